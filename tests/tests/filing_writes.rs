//! Filing a request is one write, on both databases: the request, its first entry, the
//! requester's e-mail (counted under its limits) and that e-mail's entry commit together, with
//! one take of the journal head; the limits still hold; many filings at once all succeed and
//! leave a chain that verifies; the other processes hear of the change.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use serde_json::json;
use vigie_domain::requests::{Urgency, verify_journal};
use vigie_domain::{Provenance, TenantId};
use vigie_storage::{
    JournalNote, MailLimits, MailReservation, NewRequest, RequestMail, Store, StoreError,
};
use vigie_tests::{Backend, PASSWORD, TestServer, both_backends};

struct World {
    srv: TestServer,
    tenant: TenantId,
    school: i64,
}

async fn world(backend: Backend) -> World {
    let srv = TestServer::start(backend).await.unwrap();
    srv.collective("cem", &["schools"]).await;
    let school = srv
        .object("cem", "schools", "0130001A", "École des Abeilles")
        .await;
    let tenant = srv
        .app
        .store
        .tenant_by_slug("cem")
        .await
        .unwrap()
        .unwrap()
        .id;
    World {
        srv,
        tenant,
        school,
    }
}

fn new_request(object_id: i64, title: &str) -> NewRequest {
    NewRequest {
        object_id,
        kind: "intervention".into(),
        categories: Vec::new(),
        title: title.into(),
        description: "La fuite sous l'évier de la cantine continue.".into(),
        extra_fields: "{}".into(),
        urgency: Urgency::Normal,
        reminder_on: None,
        provenance: Provenance::Anonymous,
        author: None,
        contact_email: None,
        submission_key: None,
    }
}

fn sent(id: i64) -> JournalNote {
    JournalNote::new(
        "notification_sent",
        &json!({ "to": "requester", "subject": format!("n° {id}") }),
    )
}

fn typed(hash: &str, per_hour: i64) -> RequestMail<'static> {
    RequestMail {
        address_hash: hash.into(),
        limits: MailLimits {
            by_editor: false,
            per_request_day: 10,
            per_address_hour: per_hour,
        },
        entry: &sent,
        message: None,
    }
}

async fn file(
    store: &Store,
    w: &World,
    title: &str,
    mail: Option<&RequestMail<'_>>,
) -> Result<vigie_storage::FiledRecord, StoreError> {
    store
        .file_request(
            w.tenant,
            &new_request(w.school, title),
            &JournalNote::new("filed", &json!({ "title": title })),
            &[],
            mail,
        )
        .await
}

/// Over HTTP, signed in: the request's journal is its filing then the e-mail to the
/// requester, one after the other; the e-mail is in the outbox, about that request.
async fn a_filing_journals_its_mail_with_it(backend: Backend) {
    let w = world(backend).await;
    w.srv
        .operator_user("parent@vigie.test", "Paul Parent", false)
        .await
        .unwrap();
    let parent = w.srv.client();
    parent.sign_in("parent@vigie.test", PASSWORD).await;
    let r = parent
        .post(
            &format!("/api/v1/tenants/cem/objects/{}/requests", w.school),
            json!({"kind": "intervention", "title": "Fuite à la cantine",
                   "description": "La fuite sous l'évier de la cantine continue."}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["request"]["id"].as_i64().unwrap();
    let journal = w.srv.app.store.request_journal(w.tenant, id).await.unwrap();
    let actions: Vec<&str> = journal.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["filed", "notification_sent", "notification_delivered"]
    );
    assert_eq!(journal[1].seq, journal[0].seq + 1);
    assert!(journal[1].details.contains(&format!("n° {id}")));
    assert!(!journal[1].details.contains("parent@vigie.test"));
    let mail = std::fs::read_dir(w.srv.outbox())
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
        .find(|m| m.contains("parent@vigie.test"))
        .expect("the requester's e-mail");
    assert!(mail.contains(&format!("/t/cem/r/{id}?token=")), "{mail}");
    w.srv.stop().await;
}

/// In storage: the filing's entries and its e-mail's come out of one commit; over its
/// address's hourly bound the request is filed without the e-mail or its entry; the count
/// reads up to the bound only, and still refuses.
async fn the_mail_limits_hold_inside_the_filing(backend: Backend) {
    let w = world(backend).await;
    let store = w.srv.app.store.clone();
    let twice = typed("hash-a", 2);
    for n in 0..2 {
        let filed = file(&store, &w, &format!("Fuite {n}"), Some(&twice))
            .await
            .unwrap();
        assert_eq!(filed.mail, Some(MailReservation::Reserved));
        let actions: Vec<&str> = filed.entries.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["filed", "notification_sent"], "one commit");
        assert_eq!(filed.entries[1].request_id, filed.request.id);
        assert_eq!(filed.entries[1].details, sent(filed.request.id).details);
    }
    let third = file(&store, &w, "Fuite 2", Some(&twice)).await.unwrap();
    assert_eq!(third.mail, Some(MailReservation::AddressLimit));
    assert_eq!(third.entries.len(), 1, "filed, not mailed");
    let journal = store.request_journal(w.tenant, third.request.id).await;
    assert_eq!(journal.unwrap().len(), 1);
    // A smaller bound than the mails already counted: still over.
    let once = typed("hash-a", 1);
    let fourth = file(&store, &w, "Fuite 3", Some(&once)).await.unwrap();
    assert_eq!(fourth.mail, Some(MailReservation::AddressLimit));
    // Another address; and no bound at all (an account's address).
    let other = file(&store, &w, "Fuite 4", Some(&typed("hash-b", 2)))
        .await
        .unwrap();
    assert_eq!(other.mail, Some(MailReservation::Reserved));
    let unbounded = typed("hash-a", i64::MAX);
    for n in 0..3 {
        let free = file(&store, &w, &format!("Libre {n}"), Some(&unbounded)).await;
        assert_eq!(free.unwrap().mail, Some(MailReservation::Reserved));
    }
    let none = file(&store, &w, "Sans message", None).await.unwrap();
    assert_eq!(none.mail, None);
    assert_eq!(none.entries.len(), 1);
    // The daily bound of a request's editors, counted and journaled in one transaction.
    let editor = RequestMail {
        address_hash: "hash-c".into(),
        limits: MailLimits {
            by_editor: true,
            per_request_day: 1,
            per_address_hour: i64::MAX,
        },
        entry: &sent,
        message: None,
    };
    let id = none.request.id;
    let first = store.reserve_and_journal_mail(w.tenant, id, &editor).await;
    assert_eq!(first.unwrap(), MailReservation::Reserved);
    let second = store.reserve_and_journal_mail(w.tenant, id, &editor).await;
    assert_eq!(second.unwrap(), MailReservation::RequestLimit);
    assert_eq!(store.request_journal(w.tenant, id).await.unwrap().len(), 2);
    verify_journal(&store.journal_entries(w.tenant).await.unwrap()).unwrap();
    w.srv.stop().await;
}

/// A request on another collective's object is refused, and nothing is written.
async fn a_filing_on_another_collectives_object_is_refused(backend: Backend) {
    let w = world(backend).await;
    let store = w.srv.app.store.clone();
    let other = TenantId(w.tenant.0 + 1000);
    let refused = store
        .file_request(
            other,
            &new_request(w.school, "Ailleurs"),
            &JournalNote::new("filed", &json!({})),
            &[],
            Some(&typed("hash-a", 2)),
        )
        .await;
    assert!(matches!(refused, Err(StoreError::NotFound("object"))));
    assert!(store.requests(w.tenant, None).await.unwrap().is_empty());
    assert!(store.journal_entries(other).await.unwrap().is_empty());
    w.srv.stop().await;
}

/// Many filings at once, each with its e-mail: all succeed (SQLite's writers queue for their
/// turn instead of failing busy), and the chain verifies.
async fn concurrent_filings_all_succeed(backend: Backend) {
    let w = world(backend).await;
    let store = w.srv.app.store.clone();
    let (tenant, school) = (w.tenant, w.school);
    let mut tasks = Vec::new();
    for n in 0..48 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let hash = format!("hash-{}", n % 4);
            let mail = RequestMail {
                address_hash: hash,
                limits: MailLimits {
                    by_editor: false,
                    per_request_day: 10,
                    per_address_hour: 5,
                },
                entry: &sent,
                message: None,
            };
            store
                .file_request(
                    tenant,
                    &new_request(school, &format!("Fuite {n}")),
                    &JournalNote::new("filed", &json!({ "n": n })),
                    &[],
                    Some(&mail),
                )
                .await
        }));
    }
    let mut mailed = 0;
    for t in tasks {
        let filed = t.await.unwrap().expect("every filing succeeds");
        if filed.mail == Some(MailReservation::Reserved) {
            mailed += 1;
        }
    }
    // Four addresses, five e-mails each in the hour: counted one after the other.
    assert_eq!(mailed, 20);
    let entries = store.journal_entries(tenant).await.unwrap();
    assert_eq!(entries.len(), 48 + 20);
    verify_journal(&entries).unwrap();
    assert_eq!(store.requests(tenant, None).await.unwrap().len(), 48);
    w.srv.stop().await;
}

/// The similar-requests lookup reads a bounded number of index rows: with more requests than
/// `STEM_PROBE` sharing the common words of a text, those words find none of them by
/// themselves, while a request sharing a rarer word is found with every stem it shares
/// counted.
async fn common_words_do_not_make_the_lookup_grow(backend: Backend) {
    use vigie_domain::requests::{request_text, stems};
    let w = world(backend).await;
    let store = w.srv.app.store.clone();
    let common = "Signalé pendant le banc d'essai, depuis lundi";
    for n in 0..vigie_storage::STEM_PROBE + 4 {
        let mut r = new_request(w.school, &format!("Fuite numéro {n}"));
        r.description = format!("{common} : fuite à la cantine.");
        let note = JournalNote::new("filed", &json!({}));
        store
            .file_request(w.tenant, &r, &note, &[], None)
            .await
            .unwrap();
    }
    let mut r = new_request(w.school, "Radiateur glacé");
    r.description = format!("{common} : radiateur glacé au gymnase.");
    let note = JournalNote::new("filed", &json!({}));
    let radiator = store
        .file_request(w.tenant, &r, &note, &[], None)
        .await
        .unwrap()
        .request;
    let text = format!("Radiateur du gymnase {common}");
    let mine = stems(&text);
    let found = store
        .stem_matches(w.tenant, &[w.school], &mine, true)
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    let theirs = stems(&request_text(&r.title, &r.title, &r.description));
    let shared = mine.iter().filter(|s| theirs.contains(s)).count();
    assert_eq!(found[0].request_id, radiator.id);
    assert_eq!(found[0].common, shared, "every shared stem counted");
    assert_eq!(found[0].stem_count, theirs.len());
    // Published requests only: those awaiting moderation are not offered.
    let offered = store
        .stem_matches(w.tenant, &[w.school], &mine, false)
        .await;
    assert!(offered.unwrap().is_empty());
    w.srv.stop().await;
}

both_backends!(
    common_words_do_not_make_the_lookup_grow,
    a_filing_journals_its_mail_with_it,
    the_mail_limits_hold_inside_the_filing,
    a_filing_on_another_collectives_object_is_refused,
    concurrent_filings_all_succeed,
);

/// On PostgreSQL the change of the object's sheet is published by the filing's own
/// transaction: a listener hears it, naming the object.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filing_publishes_its_change() {
    let w = world(Backend::Postgres).await;
    let mut listener = sqlx::postgres::PgListener::connect(&w.srv.db.url)
        .await
        .unwrap();
    listener
        .listen(vigie_storage::CHANGES_CHANNEL)
        .await
        .unwrap();
    let filed = file(&w.srv.app.store, &w, "Fuite", Some(&typed("hash-a", 2)))
        .await
        .unwrap();
    let wanted = format!("o:{}:{}", w.tenant.0, w.school);
    let heard = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            let n = listener.recv().await.unwrap();
            if n.payload() == wanted {
                return;
            }
        }
    })
    .await;
    assert!(heard.is_ok(), "no notification {wanted}");
    assert_eq!(filed.entries.len(), 2);
    w.srv.stop().await;
}
