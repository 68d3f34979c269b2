//! Mail that really leaves: a real SMTP server (aiosmtpd) started by each test, the durable
//! outbox in the database delivered by the worker `vigie serve` runs, on both backends.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vigie_mail::{Mailer as _, Message, SmtpConfig, SmtpMailer};
use vigie_services::Actor;
use vigie_storage::{NewOutboxMail, OutboxMail, OutboxState};
use vigie_tests::smtp::{SelfSigned, SmtpSink};
use vigie_tests::{Backend, PASSWORD, TestServer, both_backends, uai};

/// A server sending through `smtp_url`, retrying after one second, with its delivery worker
/// running (as `vigie serve` does).
async fn server(
    backend: Backend,
    smtp_url: &str,
    adjust: impl FnOnce(&mut vigie_config::Settings),
) -> (TestServer, tokio::task::JoinHandle<()>) {
    let url = smtp_url.to_owned();
    let srv = TestServer::start_with(backend, move |s| {
        s.mail.smtp_url = url;
        s.mail.retry_base_seconds = 1;
        s.mail.retry_max_seconds = 1;
        s.mail.poll_seconds = 1;
        adjust(s);
    })
    .await
    .unwrap();
    let worker = vigie::spawn_mail_worker(
        srv.app.services.clone(),
        Duration::from_secs(1),
        vigie::Shutdown::new(),
    );
    (srv, worker)
}

/// The outbox rows, oldest first.
async fn outbox(srv: &TestServer) -> Vec<OutboxMail> {
    let mut rows = srv.app.store.outbox(None, 1000).await.unwrap();
    rows.reverse();
    rows
}

/// Waits until `check` holds on the outbox (or fails after `within`).
async fn outbox_until(
    srv: &TestServer,
    within: Duration,
    what: &str,
    check: impl Fn(&[OutboxMail]) -> bool,
) -> Vec<OutboxMail> {
    let deadline = Instant::now() + within;
    loop {
        let rows = outbox(srv).await;
        if check(&rows) {
            return rows;
        }
        assert!(Instant::now() < deadline, "{what}: outbox is {rows:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn register(srv: &TestServer, email: &str) {
    let r = srv
        .client()
        .post(
            "/api/v1/accounts",
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert!(r.status < 300, "{} {}", r.status, r.text);
}

/// An account e-mail and a request's e-mail (queued in the request's own transaction, with its
/// journal entry) reach a real SMTP server, each with the `Message-ID` of its outbox row, and
/// the row keeps what the server said. No address is in the journal.
async fn a_message_reaches_the_smtp_server(backend: Backend) {
    let sink = SmtpSink::start_new(None).await.unwrap();
    let (srv, worker) = server(backend, &sink.url(), |_| {}).await;

    register(&srv, "jeanne@example.org").await;
    let got = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1, "{got:#?}");
    let mail = &got[0];
    assert_eq!(mail["rcpt_tos"], json!(["jeanne@example.org"]));
    assert_eq!(mail["mail_from"], "no-reply@vigie.localhost");
    assert!(
        mail["body"].as_str().unwrap().contains("/verify?token="),
        "{mail}"
    );
    let rows = outbox_until(&srv, Duration::from_secs(5), "sent", |r| {
        r.len() == 1 && r[0].state == OutboxState::Sent
    })
    .await;
    assert_eq!(
        mail["message_id"].as_str().unwrap(),
        format!("<{}@vigie.localhost>", rows[0].message_id)
    );
    assert_eq!(rows[0].attempts, 1);
    assert_eq!(rows[0].purpose, "verify_email");
    // Sent, its body (a personal link) is forgotten.
    assert_eq!(rows[0].body, "");
    assert!(
        rows[0].server_reply.as_deref().unwrap().starts_with("250 "),
        "{:?}",
        rows[0].server_reply
    );

    // A request filed with a contact address: the e-mail is queued with the request.
    srv.collective("cem", &["schools"]).await;
    let school = srv
        .object("cem", "schools", &uai(1), "École des Chartreux")
        .await;
    let r = srv
        .client()
        .post(
            &format!("/api/v1/tenants/cem/objects/{school}/requests"),
            json!({
                "kind": "intervention",
                "categories": ["cem/toilets"],
                "title": "Toilettes bouchées",
                "description": "Les toilettes du premier étage sont bouchées depuis lundi.",
                "contact_email": "parent@example.org",
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["request"]["id"].as_i64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while sink.messages_to("parent@example.org").is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let to_parent = sink.messages_to("parent@example.org");
    assert_eq!(to_parent.len(), 1, "{to_parent:#?}");
    assert!(
        to_parent[0]["body"]
            .as_str()
            .unwrap()
            .contains(&format!("/t/cem/r/{id}?token=")),
        "{}",
        to_parent[0]
    );
    assert!(
        to_parent[0]["subject"]
            .as_str()
            .unwrap()
            .contains(&format!("n° {id}"))
    );
    let row = outbox(&srv)
        .await
        .into_iter()
        .find(|m| m.request_id == Some(id))
        .expect("the request's e-mail is in the outbox");
    assert_eq!(row.purpose, "notification");
    let tenant = srv.app.store.tenant_by_slug("cem").await.unwrap().unwrap();
    // The delivery is journaled just after the server took the message: wait for it.
    let mut journal = Vec::new();
    for _ in 0..200 {
        journal = srv.app.store.request_journal(tenant.id, id).await.unwrap();
        if journal.len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let actions: Vec<&str> = journal.iter().map(|e| e.action.as_str()).collect();
    // Queued with the request, then journaled again once the server took it: to "the
    // requester", never to an address.
    assert_eq!(
        actions,
        ["filed", "notification_sent", "notification_delivered"]
    );
    for e in &journal[1..] {
        assert!(!e.details.contains("parent@example.org"), "{}", e.details);
        assert!(e.details.contains("\"to\":\"requester\""), "{}", e.details);
    }

    // A deleted account's address leaves the outbox with it.
    let email = vigie_domain::Email::parse("jeanne@example.org").unwrap();
    let user = srv.app.store.user_by_email(&email).await.unwrap().unwrap();
    let neutral = vigie_domain::DisplayName::parse("Compte supprimé").unwrap();
    srv.app
        .store
        .delete_account(user.id, &neutral)
        .await
        .unwrap();
    let rows = outbox(&srv).await;
    assert!(
        rows.iter().all(|m| m.to != "jeanne@example.org"),
        "{rows:#?}"
    );
    assert!(rows.iter().any(|m| m.to == "parent@example.org"));
    worker.abort();
    srv.stop().await;
}

/// With the SMTP server down, the action succeeds and its message waits in the outbox, tried
/// again with back-off; once the server is up it is delivered, exactly once.
async fn mail_waits_for_a_server_that_is_down(backend: Backend) {
    let mut sink = SmtpSink::new(None).unwrap();
    let (srv, worker) = server(backend, &sink.url(), |_| {}).await;

    register(&srv, "jeanne@example.org").await;
    let rows = outbox_until(&srv, Duration::from_secs(10), "a failed attempt", |r| {
        r.len() == 1 && r[0].attempts >= 1 && r[0].last_error.is_some()
    })
    .await;
    assert_eq!(rows[0].state, OutboxState::Pending, "{rows:#?}");
    assert!(
        rows[0].last_error.as_deref().unwrap().contains("SMTP"),
        "{:?}",
        rows[0].last_error
    );

    let started = Instant::now();
    sink.start().await.unwrap();
    let got = sink.wait_for(1, Duration::from_secs(15)).await;
    assert_eq!(got.len(), 1, "{got:#?}");
    let delay = started.elapsed();
    // Given time for a duplicate to show up, there is none.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(sink.messages().len(), 1);
    let rows = outbox(&srv).await;
    assert_eq!(rows[0].state, OutboxState::Sent, "{rows:#?}");
    assert!(rows[0].attempts >= 2, "{rows:#?}");
    eprintln!(
        "{backend:?}: delivered {} ms after the SMTP server came back, at attempt {}",
        delay.as_millis(),
        rows[0].attempts
    );
    worker.abort();
    srv.stop().await;
}

/// After its last attempt a message is marked failed; a Guru lists the failed messages and
/// sends one again, which goes once the server is back (same `Message-ID`). Nobody else may.
async fn a_failed_message_is_retried_by_a_guru(backend: Backend) {
    let mut sink = SmtpSink::new(None).unwrap();
    let (srv, worker) = server(backend, &sink.url(), |s| s.mail.max_attempts = 2).await;
    register(&srv, "jeanne@example.org").await;
    let rows = outbox_until(&srv, Duration::from_secs(15), "failed", |r| {
        r.len() == 1 && r[0].state == OutboxState::Failed
    })
    .await;
    assert_eq!(rows[0].attempts, 2);
    let services = &srv.app.services;
    let failed = services.outbox(Actor::Operator, true, 50).await.unwrap();
    assert_eq!(failed.len(), 1);

    // Over HTTP: a Guru sees it (without the address), a citizen does not.
    srv.operator_user("guru@vigie.test", "Guru", true)
        .await
        .unwrap();
    srv.operator_user("citoyen@vigie.test", "Cité Citoyen", false)
        .await
        .unwrap();
    let guru = srv.client();
    guru.sign_in("guru@vigie.test", PASSWORD).await;
    let citizen = srv.client();
    citizen.sign_in("citoyen@vigie.test", PASSWORD).await;
    let r = citizen.get("/api/v1/mail/outbox?state=failed").await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = guru.get("/api/v1/mail/outbox?state=failed").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let listed = r.body["messages"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{}", r.text);
    assert_eq!(listed[0]["state"], "failed");
    assert!(!r.text.contains("jeanne@example.org"), "{}", r.text);
    assert_eq!(r.body["counts"]["failed"], 1);
    let id = rows[0].id;
    let r = citizen
        .post(&format!("/api/v1/mail/outbox/{id}/retry"), json!({}))
        .await;
    assert_eq!(r.status, 403, "{}", r.text);

    // The platform page shows it too, by domain, with a button; not to a citizen.
    let page = guru.get("/admin").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("…@example.org"), "{}", page.text);
    assert!(
        page.text.contains(&format!("/admin/mail/{id}/retry")),
        "{}",
        page.text
    );
    assert!(!page.text.contains("jeanne@example.org"), "{}", page.text);
    let r = citizen.form(&format!("/admin/mail/{id}/retry"), &[]).await;
    assert_eq!(r.status, 403, "{}", r.text);

    sink.start().await.unwrap();
    let r = guru.form(&format!("/admin/mail/{id}/retry"), &[]).await;
    assert_eq!(r.status, 303, "{}", r.text);
    let got = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0]["message_id"].as_str().unwrap(),
        format!("<{}@vigie.localhost>", rows[0].message_id)
    );
    // A failed message kept its body for the retry.
    assert!(got[0]["body"].as_str().unwrap().contains("/verify?token="));
    // A message not failed is not sent again.
    outbox_until(&srv, Duration::from_secs(5), "sent", |r| {
        r[0].state == OutboxState::Sent
    })
    .await;
    let r = guru
        .post(&format!("/api/v1/mail/outbox/{id}/retry"), json!({}))
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    let r = guru
        .post("/api/v1/mail/outbox/999999/retry", json!({}))
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    worker.abort();
    srv.stop().await;
}

/// Many messages queued at once, two server processes on one database each running the
/// delivery worker: every message is delivered exactly once.
async fn two_workers_deliver_each_message_once(backend: Backend) {
    const N: usize = 60;
    let sink = SmtpSink::start_new(None).await.unwrap();
    let (srv, worker) = server(backend, &sink.url(), |_| {}).await;
    let peer = srv.another_process().await.unwrap();
    let peer_worker = vigie::spawn_mail_worker(
        peer.app.services.clone(),
        Duration::from_secs(1),
        vigie::Shutdown::new(),
    );
    for n in 0..N {
        srv.app
            .store
            .enqueue_mail(&NewOutboxMail {
                message_id: format!("bulk-{n}-{}", uuid::Uuid::new_v4().simple()),
                to: format!("habitant{n}@example.org"),
                subject: format!("Message {n}"),
                body: format!("Corps du message {n}."),
                purpose: "notification".into(),
                tenant: None,
                request_id: None,
                ..Default::default()
            })
            .await
            .unwrap();
    }
    srv.app.services.mail_wakeup().notify_one();
    peer.app.services.mail_wakeup().notify_one();
    let started = Instant::now();
    let got = sink.wait_for(N, Duration::from_secs(60)).await;
    let took = started.elapsed();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let got_after = sink.messages();
    assert_eq!(got.len(), N, "only {} of {N} delivered", got.len());
    assert_eq!(got_after.len(), N, "a message was delivered twice");
    let mut ids: Vec<&str> = got_after
        .iter()
        .map(|m| m["message_id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), N);
    let rows = outbox(&srv).await;
    assert!(
        rows.iter()
            .all(|r| r.state == OutboxState::Sent && r.attempts == 1),
        "{rows:#?}"
    );
    eprintln!(
        "{backend:?}: {N} messages delivered by two workers in {} ms",
        took.as_millis()
    );
    worker.abort();
    peer_worker.abort();
    peer.stop().await;
    srv.stop().await;
}

/// A worker that dies between sending a message and marking it sent leaves its claim to
/// expire; the message then goes again with the same `Message-ID`, so the receiving side can
/// recognise the duplicate.
async fn a_crash_after_sending_resends_the_same_message_id(backend: Backend) {
    let sink = SmtpSink::start_new(None).await.unwrap();
    let srv = TestServer::start_with(backend, |s| {
        s.mail.smtp_url = sink.url();
        s.mail.retry_base_seconds = 1;
        s.mail.lease_seconds = 1;
    })
    .await
    .unwrap();
    let store = &srv.app.store;
    store
        .enqueue_mail(&NewOutboxMail {
            message_id: "crash-test-1".into(),
            to: "jeanne@example.org".into(),
            subject: "Avant la panne".into(),
            body: "Corps.".into(),
            purpose: "notification".into(),
            tenant: None,
            request_id: None,
            ..Default::default()
        })
        .await
        .unwrap();
    // The first worker claims it, sends it… and dies before marking it.
    let claimed = store
        .claim_due_mail("doomed-worker", 10, time::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let mailer = SmtpMailer::new(
        SmtpConfig::parse(&sink.url()).unwrap(),
        "Vigie <no-reply@vigie.localhost>",
    )
    .unwrap();
    mailer
        .send(&Message {
            to: claimed[0].to.clone(),
            subject: claimed[0].subject.clone(),
            body: claimed[0].body.clone(),
            message_id: Some(claimed[0].message_id.clone()),
            ..Message::default()
        })
        .await
        .unwrap();
    // While its claim holds, nobody else takes it.
    let round = srv.app.services.deliver_due_mail().await.unwrap();
    assert_eq!(round.sent, 0);
    // Once it expired, a live worker sends it again, and its mark sticks; the dead worker's
    // late mark would not.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let round = srv.app.services.deliver_due_mail().await.unwrap();
    assert_eq!(round.sent, 1);
    assert!(
        !store
            .mark_mail_sent(&claimed[0], "doomed-worker", "late")
            .await
            .unwrap()
    );
    let got = sink.wait_for(2, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[0]["message_id"], got[1]["message_id"]);
    assert_eq!(got[0]["message_id"], "<crash-test-1@vigie.localhost>");
    let row = store.outbox_mail(claimed[0].id).await.unwrap().unwrap();
    assert_eq!((row.state, row.attempts), (OutboxState::Sent, 2));
    // Sent messages go after `mail.keep_sent_days`; pending ones stay whatever their age.
    assert_eq!(srv.app.services.prune_sent_mail().await.unwrap(), 0);
    let pending = store
        .enqueue_mail(&NewOutboxMail {
            message_id: "crash-test-2".into(),
            to: "jeanne@example.org".into(),
            subject: "En attente".into(),
            body: "Corps.".into(),
            purpose: "notification".into(),
            tenant: None,
            request_id: None,
            ..Default::default()
        })
        .await
        .unwrap();
    let later = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    assert_eq!(store.prune_sent_mail(later).await.unwrap(), 1);
    assert!(store.outbox_mail(row.id).await.unwrap().is_none());
    assert!(store.outbox_mail(pending).await.unwrap().is_some());
    srv.stop().await;
}

both_backends!(
    a_message_reaches_the_smtp_server,
    mail_waits_for_a_server_that_is_down,
    a_failed_message_is_retried_by_a_guru,
    two_workers_deliver_each_message_once,
    a_crash_after_sending_resends_the_same_message_id,
);

fn test_message(to: &str) -> Message {
    Message {
        to: to.into(),
        subject: "Essai chiffré — ça marche".into(),
        body: "Un lien : https://vigie.example/t/cem/r/1?token=abc\n".into(),
        ..Message::default()
    }
}

/// STARTTLS with a self-signed certificate: refused while the certificate is not trusted,
/// sent under TLS once `ca=` names it; `tls=starttls` never falls back to plain text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_with_a_self_signed_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let cert = SelfSigned::create(dir.path()).unwrap();
    let sink = SmtpSink::start_new(Some(&cert)).await.unwrap();
    let from = "Vigie <no-reply@vigie.example>";

    let untrusted = format!("smtp://localhost:{}?tls=starttls&timeout=5", sink.port);
    let mailer = SmtpMailer::new(SmtpConfig::parse(&untrusted).unwrap(), from).unwrap();
    let err = mailer
        .send(&test_message("a@example.org"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );
    assert!(sink.messages().is_empty());

    let mailer = SmtpMailer::new(SmtpConfig::parse(&sink.url()).unwrap(), from).unwrap();
    let sent = mailer.send(&test_message("a@example.org")).await.unwrap();
    assert!(sent.reply.starts_with("250 "), "{}", sent.reply);
    assert!(
        sent.message_id.ends_with("@vigie.example>"),
        "{}",
        sent.message_id
    );
    let got = sink.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["tls"], Value::Bool(true), "{}", got[0]);
    assert_eq!(got[0]["subject"], "Essai chiffré — ça marche");
    assert_eq!(got[0]["message_id"].as_str().unwrap(), sent.message_id);
    assert!(got[0]["body"].as_str().unwrap().contains("?token=abc"));

    // Plain SMTP against a server that requires STARTTLS: refused, nothing delivered.
    let plain = format!("smtp://localhost:{}?timeout=5", sink.port);
    let mailer = SmtpMailer::new(SmtpConfig::parse(&plain).unwrap(), from).unwrap();
    assert!(mailer.send(&test_message("b@example.org")).await.is_err());
    assert_eq!(sink.messages().len(), 1);
}

/// Implicit TLS (`smtps://`) with the same kind of certificate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn implicit_tls_with_a_self_signed_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let cert = SelfSigned::create(dir.path()).unwrap();
    let port = vigie_tests::smtp::free_port();
    let received = dir.path().join("received");
    let tools = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tools");
    let mut child = std::process::Command::new("python3")
        .env("PYTHONPATH", &tools)
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .args(["-c", "smtp_sink.FolderHandler"])
        .arg("--smtpscert")
        .arg(&cert.cert)
        .arg("--smtpskey")
        .arg(&cert.key)
        .arg(&received)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "aiosmtpd (smtps) did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let url = format!(
        "smtps://localhost:{port}?ca={}&timeout=5",
        cert.cert.display()
    );
    let mailer =
        SmtpMailer::new(SmtpConfig::parse(&url).unwrap(), "no-reply@vigie.example").unwrap();
    let sent = mailer.send(&test_message("c@example.org")).await;
    let _ = child.kill();
    let _ = child.wait();
    let sent = sent.unwrap();
    assert!(sent.reply.starts_with("250 "), "{}", sent.reply);
    assert_eq!(std::fs::read_dir(&received).unwrap().count(), 1);
}

/// Authentication after STARTTLS: the right user and password send, a wrong password is
/// refused and nothing is delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_after_starttls() {
    let dir = tempfile::tempdir().unwrap();
    let cert = SelfSigned::create(dir.path()).unwrap();
    let port = vigie_tests::smtp::free_port();
    let received = dir.path().join("received");
    let tools = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tools");
    let mut child = std::process::Command::new("python3")
        .env("PYTHONPATH", &tools)
        .arg(tools.join("smtp_auth_sink.py"))
        .arg(port.to_string())
        .arg(&received)
        .arg(&cert.cert)
        .arg(&cert.key)
        .args(["vigie@example.org", "s3cret+pass"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "the SMTP server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let url = |password: &str| {
        format!(
            "smtp://vigie%40example.org:{password}@localhost:{port}?tls=starttls&ca={}&timeout=5",
            cert.cert.display()
        )
    };
    let from = "no-reply@vigie.example";
    let wrong = SmtpMailer::new(SmtpConfig::parse(&url("nope")).unwrap(), from).unwrap();
    let refused = wrong.send(&test_message("d@example.org")).await;
    let right = SmtpMailer::new(SmtpConfig::parse(&url("s3cret%2Bpass")).unwrap(), from).unwrap();
    let sent = right.send(&test_message("d@example.org")).await;
    let count = std::fs::read_dir(&received).map(|d| d.count()).unwrap_or(0);
    let _ = child.kill();
    let _ = child.wait();
    let err = refused.unwrap_err().to_string();
    assert!(
        err.contains("535") || err.to_lowercase().contains("auth"),
        "{err}"
    );
    let sent = sent.unwrap();
    assert!(sent.reply.starts_with("250 "), "{}", sent.reply);
    assert_eq!(count, 1);
}
