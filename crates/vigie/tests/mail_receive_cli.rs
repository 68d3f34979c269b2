//! `vigie mail receive` as Postfix's pipe runs it: one raw message on standard input, what
//! became of it on standard output, and the exit codes an MTA acts on (`sysexits.h`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use serde_json::json;
use vigie_tests::{Backend, TestServer, last_link_in};

const CONTACT: &str = "jean.travaux@marseille.fr";
const DOMAIN: &str = "reply.vigie.test";

fn receive(srv: &TestServer, db_url: &str, env: &[(&str, &str)], stdin: &[u8]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigie"));
    cmd.args(["mail", "receive"])
        .env("VIGIE_DATABASE_URL", db_url)
        .env("VIGIE_DATA_DIR", &srv.settings.storage.data_dir)
        .env("VIGIE__DEMO__ENABLED", "false")
        .env("VIGIE__MAIL__REPLY_DOMAIN", DOMAIN)
        .env("VIGIE__MAIL__INBOUND_MAX_BYTES", "100000")
        .env("RUST_LOG", "warn")
        .env_remove("VIGIE_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the vigie binary runs");
    let mut input = child.stdin.take().unwrap();
    // The binary may stop reading early (a message over the limit): a broken pipe is fine.
    let _ = input.write_all(stdin);
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn reply(to: &str, headers: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Jean Travaux <{CONTACT}>\r\nTo: {to}\r\nSubject: Re: Vigie\r\n{headers}\
         Content-Type: text/plain; charset=UTF-8\r\n\r\n{body}\r\n\r\n\
         Le mer. 2 déc. 2026 à 10:04, Vigie a écrit :\r\n> Une demande\r\n"
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_piped_reply_is_answered_held_or_ignored() {
    let srv = TestServer::start_with(Backend::Sqlite, |s| {
        s.mail.reply_domain = DOMAIN.into();
    })
    .await
    .unwrap();
    let c = srv.collective("cem", &["schools"]).await;
    let school = srv.object("cem", "schools", "0130001A", "École").await;
    let r = c
        .garant
        .post(
            "/api/v1/tenants/cem/object-types/schools/contacts",
            json!({"name": "Jean Travaux", "role_title": "Travaux", "email": CONTACT}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let contact = r.body["id"].as_i64().unwrap();
    let r = c
        .garant
        .post(
            &format!("/api/v1/tenants/cem/objects/{school}/requests"),
            json!({"kind": "intervention", "categories": ["cem/toilets"],
                   "title": "Fuite d'eau aux toilettes",
                   "description": "Une fuite d'eau inonde les toilettes du rez-de-chaussée."}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["request"]["id"].as_i64().unwrap();
    let req = format!("/api/v1/tenants/cem/requests/{id}");
    if r.body["request"]["status"] == "new" {
        let r = c
            .garant
            .post(&format!("{req}/moderation"), json!({"decision": "publish"}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = c
        .garant
        .post(&format!("{req}/assignees"), json!({"contact_id": contact}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let token = last_link_in(&srv.outbox(), CONTACT, &format!("/r/{id}")).unwrap();
    let db = srv.settings.database.url.clone();

    // Answered, the status changed.
    let to = format!("reply+{token}@{DOMAIN}");
    let out = receive(
        &srv,
        &db,
        &[],
        &reply(&to, "", "Résolu\r\n\r\nC'est réparé"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("answered: request {id} of cem, status changed")),
        "{}",
        text(&out)
    );
    let r = srv.client().get(&req).await;
    assert_eq!(r.body["request"]["status"], "solved", "{}", r.text);

    // An unknown token: held. An auto-reply: ignored.
    let wrong = format!("reply+{}@{DOMAIN}", "ab".repeat(32));
    let out = receive(&srv, &db, &[], &reply(&wrong, "", "Fermé"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("held: "), "{}", text(&out));
    assert!(text(&out).contains("(unknown_token)"), "{}", text(&out));
    let auto = reply(&to, "Auto-Submitted: auto-replied\r\n", "Absent");
    let out = receive(&srv, &db, &[], &auto);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("ignored: auto_submitted"),
        "{}",
        text(&out)
    );

    // 65: not a message, or too large.
    let out = receive(&srv, &db, &[], b"\x00\x01 garbage");
    assert_eq!(out.status.code(), Some(65), "{}", text(&out));
    assert!(
        text(&out).contains("not an e-mail message"),
        "{}",
        text(&out)
    );
    let big = reply(&to, "", &"x".repeat(150_000));
    let out = receive(&srv, &db, &[], &big);
    assert_eq!(out.status.code(), Some(65), "{}", text(&out));
    assert!(text(&out).contains("inbound_max_bytes"), "{}", text(&out));

    // 78: replies by e-mail are off. 75: the database cannot be reached (try again later).
    let out = receive(
        &srv,
        &db,
        &[("VIGIE__MAIL__REPLY_DOMAIN", "")],
        &reply(&to, "", "Résolu"),
    );
    assert_eq!(out.status.code(), Some(78), "{}", text(&out));
    assert!(text(&out).contains("reply_domain"), "{}", text(&out));
    let out = receive(
        &srv,
        "postgres://postgres@127.0.0.1:1/nowhere",
        &[],
        &reply(&to, "", "Résolu"),
    );
    assert_eq!(out.status.code(), Some(75), "{}", text(&out));
    srv.stop().await;
}
