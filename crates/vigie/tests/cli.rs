//! The `vigie` binary as an operator uses it, on both backends.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::process::{Command, Output};

use vigie_tests::{Backend, TestDatabase, both_backends};

fn vigie(db: &TestDatabase, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(args)
        .env("VIGIE_DATABASE_URL", &db.url)
        .env("VIGIE_DATA_DIR", &db.data_dir)
        .env("RUST_LOG", "warn")
        .env_remove("VIGIE_CONFIG")
        .output()
        .expect("the vigie binary runs")
}

fn ok(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        text,
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

fn fails(out: &Output) -> String {
    assert!(!out.status.success(), "should have failed");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

async fn operator_commands(backend: Backend) {
    let db = TestDatabase::create(backend).await.unwrap();
    assert!(ok(&vigie(&db, &["migrate"])).contains("up to date"));
    let out = ok(&vigie(
        &db,
        &[
            "user",
            "create",
            "--email",
            "guru@vigie.test",
            "--password",
            "un mot de passe solide",
            "--guru",
        ],
    ));
    assert!(out.contains("is a Guru"), "{out}");
    ok(&vigie(
        &db,
        &[
            "user",
            "create",
            "--email",
            "garant@vigie.test",
            "--password",
            "un mot de passe solide",
            "--name",
            "Gaëlle",
        ],
    ));
    let out = ok(&vigie(
        &db,
        &[
            "tenant",
            "create",
            "--slug",
            "cem",
            "--name",
            "Collectif des écoles",
            "--types",
            "schools,libraries",
            "--official-domains",
            "marseille.fr",
        ],
    ));
    assert!(out.contains("/t/cem"), "{out}");
    let out = ok(&vigie(&db, &["tenant", "list"]));
    assert!(
        out.contains("cem\tCollectif des écoles\tlibraries,schools"),
        "{out}"
    );
    // The collective's own map tiles, then back to the instance's.
    let map = [
        "tenant",
        "map",
        "cem",
        "--latitude",
        "43.3",
        "--longitude",
        "5.4",
        "--zoom",
        "12",
    ];
    let tiles = [
        "--tile-url",
        "https://tiles.example.org/{z}/{x}/{y}.png",
        "--tile-attribution",
        "© exemple",
    ];
    let out = ok(&vigie(&db, &[&map[..], &tiles[..]].concat()));
    assert!(
        out.contains("https://tiles.example.org/{z}/{x}/{y}.png"),
        "{out}"
    );
    let err = fails(&vigie(&db, &[&map[..], &tiles[..2]].concat()));
    assert!(err.contains("--tile-attribution"), "{err}");
    let out = ok(&vigie(&db, &map));
    assert!(out.contains("the instance's"), "{out}");

    let out = ok(&vigie(
        &db,
        &[
            "role",
            "grant",
            "--role",
            "garant",
            "--user",
            "garant@vigie.test",
            "--tenant",
            "cem",
            "--type",
            "schools",
        ],
    ));
    assert!(out.contains("granted garant Gaëlle"), "{out}");
    let out = ok(&vigie(
        &db,
        &[
            "role",
            "revoke",
            "--role",
            "garant",
            "--user",
            "garant@vigie.test",
            "--tenant",
            "cem",
            "--type",
            "schools",
        ],
    ));
    assert!(out.contains("revoked garant"), "{out}");

    // Official open data, imported twice: the second run changes nothing.
    let file = vigie_tests::shared_data("marseille_colleges_adresse_geolocalisation.csv");
    let file = file.to_str().unwrap();
    let out = ok(&vigie(
        &db,
        &["import", "--tenant", "cem", "--type", "schools", file],
    ));
    assert!(
        out.contains("102 created, 0 updated, 0 unchanged, 0 rejected"),
        "{out}"
    );
    let out = ok(&vigie(
        &db,
        &["import", "--tenant", "cem", "--type", "schools", file],
    ));
    assert!(
        out.contains("0 created, 0 updated, 102 unchanged, 0 rejected; 0 official facts added"),
        "{out}"
    );
    let err = fails(&vigie(
        &db,
        &[
            "import",
            "--tenant",
            "cem",
            "--type",
            "schools",
            "/nonexistent.csv",
        ],
    ));
    assert!(err.contains("cannot read /nonexistent.csv"), "{err}");

    // Mistakes are explained.
    let err = fails(&vigie(
        &db,
        &["tenant", "create", "--slug", "Bad Slug", "--name", "x"],
    ));
    assert!(err.contains("not a valid collective slug"), "{err}");
    let err = fails(&vigie(
        &db,
        &[
            "tenant", "create", "--slug", "x2", "--name", "x", "--types", "rockets",
        ],
    ));
    assert!(err.contains("unknown object type 'rockets'"), "{err}");
    let err = fails(&vigie(
        &db,
        &[
            "role",
            "grant",
            "--role",
            "garant",
            "--user",
            "garant@vigie.test",
            "--tenant",
            "cem",
        ],
    ));
    assert!(err.contains("--type is required"), "{err}");
    let err = fails(&vigie(
        &db,
        &[
            "user",
            "create",
            "--email",
            "x@vigie.test",
            "--password",
            "short",
        ],
    ));
    assert!(err.contains("at least 10"), "{err}");
    db.drop_database().await;
}

both_backends!(operator_commands);

#[test]
fn help_documents_every_command() {
    let out = Command::new(env!("CARGO_BIN_EXE_vigie"))
        .arg("--help")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in [
        "serve", "migrate", "tenant", "user", "role", "openapi", "config", "journal", "requests",
    ] {
        assert!(text.contains(cmd), "--help does not mention {cmd}:\n{text}");
    }
    let sample = Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(["config", "sample"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&sample.stdout).contains("[database]"));
}

/// `vigie serve` on an empty data folder: migrates, creates the demo collective, answers, and
/// stops cleanly on SIGTERM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_starts_with_the_demo_collective() {
    let db = TestDatabase::create(Backend::Sqlite).await.unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bind = format!("127.0.0.1:{port}");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_vigie"))
        .arg("serve")
        .env("VIGIE_DATA_DIR", &db.data_dir)
        .env("VIGIE_BIND", &bind)
        .env("RUST_LOG", "warn")
        .env_remove("VIGIE_DATABASE_URL")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let base = format!("http://{bind}");
    let mut page = None;
    for _ in 0..600 {
        if let Ok(r) = client
            .get(format!("{base}/t/ecoles-marseille"))
            .send()
            .await
        {
            page = Some(r);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let page = page.expect("vigie serve answers");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Écoles de Marseille"));
    assert!(
        db.data_dir.join("vigie.db").exists(),
        "the embedded SQLite file is in the data folder"
    );
    let pid = child.id().unwrap().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let status = tokio::time::timeout(std::time::Duration::from_secs(15), child.wait())
        .await
        .expect("stops within 15 s")
        .unwrap();
    assert!(status.success(), "exit status {status}");
}
