//! Importing in bulk: thousands of generated rows of the schools geolocation referential,
//! written in several chunks, then imported again, then a referential that no longer lists
//! some schools.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use serde_json::{Value, json};
use vigie_tests::{Backend, Client, PASSWORD, TestServer, both_backends};

/// More rows than one chunk of an import holds (1 000), so that several chunks are written.
const SCHOOLS: usize = 2_600;

/// A valid UAI for school `n` of this file.
fn uai(n: usize) -> String {
    vigie_tests::uai(131_000 + n)
}

const HEADER: &str = vigie_tests::GEOLOCATION_HEADER;

/// The row of school `n` in the geolocation dataset's CSV format.
fn row(n: usize, name: &str, sector: &str) -> String {
    format!(
        "{};{name};{} RUE DES ECOLES;13001;MARSEILLE;13201;{:.6};{:.6};{sector};151;\
         ECOLE DE NIVEAU ELEMENTAIRE;OUVERT;1990-09-01",
        uai(n),
        n % 200 + 1,
        43.2 + (n as f64) * 0.00003,
        5.3 + (n as f64) * 0.00002,
    )
}

fn name(n: usize) -> String {
    format!("Ecole elementaire numero {n}")
}

fn sector(n: usize) -> &'static str {
    if n.is_multiple_of(3) {
        "Privé"
    } else {
        "Public"
    }
}

/// Schools `schools`, plus (at their place in the file) two rows the plugin refuses in the
/// middle of the second chunk and a repeated row. Returns the file and the lines refused.
fn file(schools: impl Iterator<Item = usize>, renamed: Option<usize>) -> (Vec<u8>, Vec<i64>) {
    let mut lines = vec![HEADER.to_owned()];
    let mut refused = Vec::new();
    for n in schools {
        let name = if renamed == Some(n) {
            format!("{} (renommée)", name(n))
        } else {
            name(n)
        };
        lines.push(row(n, &name, sector(n)));
        if n == 1_500 {
            // A wrong check letter, then no official name: both refused by the plugin.
            let good = uai(n + 100_000);
            let bad = good.replace(|c: char| c.is_ascii_uppercase(), "I");
            lines.push(row(n + 100_000, "x", "Public").replacen(&good, &bad, 1));
            refused.push(lines.len() as i64);
            lines.push(row(n + 100_000, "", "Public"));
            refused.push(lines.len() as i64);
        }
        if n == 1_200 {
            // The same school twice: the second row changes nothing.
            lines.push(row(20, &name_of(20, renamed), sector(20)));
        }
    }
    (lines.join("\n").into_bytes(), refused)
}

fn name_of(n: usize, renamed: Option<usize>) -> String {
    if renamed == Some(n) {
        format!("{} (renommée)", name(n))
    } else {
        name(n)
    }
}

async fn import(c: &Client, bytes: Vec<u8>) -> Value {
    let r = c
        .upload(
            "/api/v1/tenants/bulk/imports",
            &[("object_type", "schools")],
            "geolocalisation.csv",
            bytes,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

fn counts(r: &Value) -> [i64; 6] {
    [
        "created",
        "updated",
        "unchanged",
        "rejected",
        "facts_added",
        "possibly_closed",
    ]
    .map(|k| r[k].as_i64().unwrap_or(-1))
}

async fn count(srv: &TestServer, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(srv.app.store.raw_pool())
        .await
        .unwrap()
}

/// What the database holds for the objects, facts and identity history of the import.
async fn totals(srv: &TestServer) -> [i64; 5] {
    [
        count(srv, "SELECT COUNT(*) FROM objects").await,
        count(srv, "SELECT COUNT(DISTINCT identifier) FROM objects").await,
        count(srv, "SELECT COUNT(*) FROM facts").await,
        count(srv, "SELECT COUNT(*) FROM object_identity_changes").await,
        count(
            srv,
            "SELECT COUNT(*) FROM objects WHERE possibly_closed_since IS NOT NULL",
        )
        .await,
    ]
}

async fn bulk_import(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    srv.operator_user("guru@vigie.test", "Guru", true)
        .await
        .unwrap();
    let guru = srv.client();
    guru.sign_in("guru@vigie.test", PASSWORD).await;
    let r = guru
        .post(
            "/api/v1/tenants",
            json!({"slug": "bulk", "name": "Bulk", "object_types": ["schools"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    // First import: every school created once, the refused rows reported with their line.
    let (bytes, refused) = file(0..SCHOOLS, None);
    let first = import(&guru, bytes.clone()).await;
    let [created, updated, unchanged, rejected, facts, closed] = counts(&first);
    assert_eq!(
        (created, updated, unchanged, rejected, closed),
        (SCHOOLS as i64, 0, 1, 2, 0),
        "{first}"
    );
    let lines: Vec<i64> = first["rejected_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, refused, "{first}");
    let after_first = totals(&srv).await;
    assert_eq!(after_first[0], SCHOOLS as i64, "every object once");
    assert_eq!(after_first[1], SCHOOLS as i64, "no identifier twice");
    assert_eq!(
        after_first[2], facts,
        "the facts reported are the facts stored"
    );
    assert!(
        facts >= SCHOOLS as i64,
        "each school has official facts: {facts}"
    );
    // No fact twice for the same object, field and vintage; every school has its facts.
    let doubles = count(
        &srv,
        "SELECT COUNT(*) FROM (SELECT object_id, field_key, vintage FROM facts \
         GROUP BY object_id, field_key, vintage HAVING COUNT(*) > 1) d",
    )
    .await;
    assert_eq!(doubles, 0);
    let without_facts = count(
        &srv,
        "SELECT COUNT(*) FROM objects o WHERE NOT EXISTS \
         (SELECT 1 FROM facts f WHERE f.object_id = o.id)",
    )
    .await;
    assert_eq!(without_facts, 0);
    // The identity history: each created object's non-empty fields, once (name, street,
    // postcode, city, INSEE code, latitude, longitude, status, opening date).
    assert_eq!(after_first[3], 9 * SCHOOLS as i64);
    assert_eq!(after_first[4], 0);
    // The rows around the refused ones, in the same chunk, are there, as the file says.
    let tenant = srv.app.store.tenant_by_slug("bulk").await.unwrap().unwrap();
    let ty = vigie_domain::ObjectTypeKey::parse("schools").unwrap();
    for n in [0, 999, 1_000, 1_499, 1_500, 1_501, 2_000, SCHOOLS - 1] {
        let o = srv
            .app
            .store
            .object_by_identifier(tenant.id, &ty, &uai(n))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("school {n} missing"));
        assert_eq!(o.identity.official_name, name(n));
        assert_eq!(o.identity.postcode.as_deref(), Some("13001"));
        assert!((o.identity.latitude.unwrap() - (43.2 + n as f64 * 0.00003)).abs() < 1e-6);
    }

    // What an import compares its rows with: the current values of the collective's own
    // objects, never another collective's.
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM objects ORDER BY id LIMIT 50")
        .fetch_all(srv.app.store.raw_pool())
        .await
        .unwrap();
    let current = srv.app.store.current_values(tenant.id, &ids).await.unwrap();
    assert!(current.len() >= ids.len(), "{} values", current.len());
    let elsewhere = vigie_domain::TenantId(tenant.id.0 + 1);
    let foreign = srv.app.store.current_values(elsewhere, &ids).await.unwrap();
    assert!(foreign.is_empty(), "{foreign:?}");
    if backend == Backend::Postgres {
        // The planner measured the tables the import filled (not waiting for autovacuum).
        let measured = count(
            &srv,
            "SELECT COUNT(*) FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL \
             AND relname IN ('objects', 'facts', 'object_identity_changes')",
        )
        .await;
        assert_eq!(measured, 3);
    }

    // The same file again: everything unchanged, nothing written.
    let again = import(&guru, bytes).await;
    assert_eq!(
        counts(&again),
        [0, 0, SCHOOLS as i64 + 1, 2, 0, 0],
        "{again}"
    );
    assert_eq!(totals(&srv).await, after_first);

    // A referential without the first 10 schools, one school renamed and one whose sector
    // changed: the 10 are marked possibly closed, nothing is deleted.
    let mut changed_sector = file(10..SCHOOLS, Some(42)).0;
    let text = String::from_utf8(changed_sector.clone()).unwrap();
    let old = row(43, &name(43), sector(43));
    assert!(text.contains(&old));
    changed_sector = text
        .replace(&old, &row(43, &name(43), "Privé"))
        .into_bytes();
    let second = import(&guru, changed_sector).await;
    assert_eq!(
        counts(&second),
        [0, 2, SCHOOLS as i64 - 12 + 1, 2, 1, 10],
        "{second}"
    );
    let after_second = totals(&srv).await;
    assert_eq!(after_second[0], SCHOOLS as i64, "nothing deleted");
    assert_eq!(after_second[2], after_first[2] + 1, "one new fact");
    assert_eq!(after_second[3], after_first[3] + 1, "one identity change");
    assert_eq!(after_second[4], 10);
    for n in 0..12 {
        let o = srv
            .app
            .store
            .object_by_identifier(tenant.id, &ty, &uai(n))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(o.possibly_closed_since.is_some(), n < 10, "school {n}");
    }
    let renamed = srv
        .app
        .store
        .object_by_identifier(tenant.id, &ty, &uai(42))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(renamed.identity.official_name, name_of(42, Some(42)));
    let history = srv
        .app
        .store
        .identity_changes(tenant.id, renamed.id)
        .await
        .unwrap();
    let last = history.last().unwrap();
    assert_eq!(
        (last.field.as_str(), last.old_value.clone()),
        ("official_name", Some(name(42)))
    );
    assert_eq!(last.import_id, second["import_id"].as_i64());

    // The first file once more: the 10 are listed again (their mark cleared), the renamed
    // school gets its name back, the sector its old value.
    let third = import(&guru, file(0..SCHOOLS, None).0).await;
    assert_eq!(
        counts(&third),
        [0, 2, SCHOOLS as i64 - 2 + 1, 2, 1, 0],
        "{third}"
    );
    assert_eq!(totals(&srv).await[4], 0);
    srv.stop().await;
}

both_backends!(bulk_import);
