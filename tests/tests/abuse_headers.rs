//! Held under abuse at the HTTP edge, over HTTP on both databases: state-changing requests a
//! browser sends for another site (CSRF, login CSRF included) are refused; every answer carries
//! a Content-Security-Policy without `unsafe-inline` and the other security headers; the pages'
//! scripts and styles are files with hashed names cached for a year; uploaded files are
//! downloaded (not rendered) and a "PDF" that is an HTML page is refused.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use reqwest::header::{CONTENT_DISPOSITION, HeaderMap};
use serde_json::json;
use vigie_tests::{Backend, Client, PASSWORD, TestServer, both_backends, jpeg_with_gps};

const EVIL: &str = "https://evil.example";
const TENANT: &str = "ecoles-marseille";

/// Where a request says it comes from, as a browser would put it.
#[derive(Clone, Copy)]
enum From<'a> {
    /// `Origin` only (browsers without fetch metadata).
    Origin(&'a str),
    /// `Sec-Fetch-Site` only.
    FetchSite(&'a str),
    /// `Referer` only (old browsers).
    Referer(&'a str),
    /// A current browser on one of the server's own pages.
    SameOrigin,
}

/// A response's status, headers and text.
struct Answer {
    status: u16,
    headers: HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.text).unwrap_or_default()
    }
}

fn with_from(
    srv: &TestServer,
    req: reqwest::RequestBuilder,
    from: From<'_>,
) -> reqwest::RequestBuilder {
    match from {
        From::Origin(o) => req.header("Origin", o),
        From::FetchSite(s) => req.header("Sec-Fetch-Site", s),
        From::Referer(r) => req.header("Referer", r),
        From::SameOrigin => req
            .header("Origin", srv.base.as_str())
            .header("Sec-Fetch-Site", "same-origin"),
    }
}

async fn answer(req: reqwest::RequestBuilder) -> Answer {
    let resp = req.send().await.unwrap();
    Answer {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        text: resp.text().await.unwrap_or_default(),
    }
}

/// A URL-encoded form POST, as a browser sends it.
async fn form(
    srv: &TestServer,
    c: &Client,
    path: &str,
    fields: &[(&str, &str)],
    from: From<'_>,
) -> Answer {
    let req = c.http.post(format!("{}{path}", srv.base)).form(fields);
    answer(with_from(srv, req, from)).await
}

/// A multipart POST with one file part named `field`.
async fn multipart(
    srv: &TestServer,
    c: &Client,
    path: &str,
    fields: &[(&str, &str)],
    (field, name, bytes): (&str, &str, Vec<u8>),
    from: From<'_>,
) -> Answer {
    let mut body = reqwest::multipart::Form::new();
    for (k, v) in fields {
        body = body.text(k.to_string(), v.to_string());
    }
    body = body.part(
        field.to_owned(),
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
    );
    let req = c.http.post(format!("{}{path}", srv.base)).multipart(body);
    answer(with_from(srv, req, from)).await
}

fn assert_refused_page(a: &Answer, what: &str) {
    assert_eq!(a.status, 403, "{what}: {}", a.text);
    assert!(
        a.text.contains("Demande refusée") && a.text.contains("Request refused"),
        "{what}: a page in French and English: {}",
        a.text
    );
    assert!(
        a.text.find("Demande refusée") < a.text.find("Request refused"),
        "{what}: French first"
    );
}

fn assert_refused_api(a: &Answer, what: &str) {
    assert_eq!(a.status, 403, "{what}: {}", a.text);
    let body = a.json();
    assert_eq!(
        body["error"]["code"], "cross_site_request",
        "{what}: {}",
        a.text
    );
    assert!(
        body["error"]["message_fr"]
            .as_str()
            .is_some_and(|m| m.contains("autre site")),
        "{what}: {}",
        a.text
    );
}

async fn signed_in(srv: &TestServer, email: &str, name: &str) -> Client {
    srv.operator_user(email, name, false).await.unwrap();
    let c = srv.client();
    c.sign_in(email, PASSWORD).await;
    c
}

async fn cross_site_posts_are_refused(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    srv.app.services.ensure_demo_tenant().await.unwrap();
    let school = srv
        .object(TENANT, "schools", "0131703F", "Collège Edouard Manet")
        .await;
    let c = signed_in(&srv, "parent@example.org", "Parent").await;
    let contribute = format!("/t/{TENANT}/o/{school}/contribute");
    let value = |v: &'static str| {
        [
            ("vintage", "2024-2025"),
            ("field", "atsem"),
            ("value", v),
            ("source", ""),
        ]
    };

    // Another site's form, the victim's cookie riding along: every way a browser says so.
    for (from, v) in [
        (From::Origin(EVIL), "7"),
        (From::Origin("null"), "7"),
        (From::Origin("http://127.0.0.1:1"), "7"),
        (From::FetchSite("cross-site"), "7"),
        (From::FetchSite("same-site"), "7"),
        (From::Referer("https://evil.example/trap.html"), "7"),
    ] {
        let a = form(&srv, &c, &contribute, &value(v), from).await;
        assert_refused_page(&a, "cross-site contribution");
    }
    let sheet = c.get(&format!("/t/{TENANT}/o/{school}")).await;
    assert!(!sheet.text.contains("en attente"), "nothing was proposed");

    // The same form from the site's own page goes through.
    let a = form(&srv, &c, &contribute, &value("2"), From::SameOrigin).await;
    assert_eq!(a.status, 303, "{}", a.text);
    let sheet = c.get(&format!("/t/{TENANT}/o/{school}")).await;
    assert!(
        sheet.text.contains("en attente"),
        "the value waits for moderation"
    );

    // Signing the victim out, renaming the account, filing a request (multipart, a "simple"
    // cross-origin request): refused, nothing changed.
    assert_refused_page(
        &form(&srv, &c, "/logout", &[], From::Origin(EVIL)).await,
        "logout",
    );
    assert_refused_page(
        &form(
            &srv,
            &c,
            "/account",
            &[("display_name", "Piraté")],
            From::FetchSite("cross-site"),
        )
        .await,
        "account",
    );
    let me = c.get("/api/v1/me").await;
    assert_eq!(me.status, 200, "still signed in: {}", me.text);
    assert_eq!(me.body["display_name"], "Parent", "{}", me.text);
    let filed = multipart(
        &srv,
        &c,
        &format!("/t/{TENANT}/o/{school}/requests"),
        &[
            ("kind", "intervention"),
            ("title", "Fuite au préau"),
            ("description", "Une fuite d'eau au préau."),
        ],
        ("photo", "p.jpg", jpeg_with_gps()),
        From::Origin(EVIL),
    )
    .await;
    assert_refused_page(&filed, "filing a request");
    let list = c.get(&format!("/api/v1/tenants/{TENANT}/requests")).await;
    assert!(!list.text.contains("Fuite au préau"), "{}", list.text);

    // The API: a multipart upload and a JSON call, refused with the envelope.
    let doc = multipart(
        &srv,
        &c,
        &format!("/api/v1/tenants/{TENANT}/objects/{school}/documents"),
        &[("kind", "photo"), ("title", "Préau")],
        ("file", "p.jpg", jpeg_with_gps()),
        From::Origin(EVIL),
    )
    .await;
    assert_refused_api(&doc, "document upload");
    let out = answer(with_from(
        &srv,
        c.http.delete(format!("{}/api/v1/session", srv.base)),
        From::FetchSite("cross-site"),
    ))
    .await;
    assert_refused_api(&out, "sign-out through the API");
    assert_eq!(c.get("/api/v1/me").await.status, 200, "still signed in");

    // Reading stays open to links from anywhere.
    let read = answer(with_from(
        &srv,
        c.http.get(format!("{}/t/{TENANT}/o/{school}", srv.base)),
        From::FetchSite("cross-site"),
    ))
    .await;
    assert_eq!(read.status, 200);

    // A client that is no browser (no Origin, no fetch metadata) holds no victim's cookie:
    // it is served as before.
    let r = c.form("/logout", &[]).await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(c.get("/api/v1/me").await.status, 401);
    srv.stop().await;
}

async fn login_csrf_is_refused(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    srv.operator_user("attacker@example.org", "Attaquant", false)
        .await
        .unwrap();
    let victim = srv.client();
    let credentials = [("email", "attacker@example.org"), ("password", PASSWORD)];
    // The attacker's page signs the victim's browser into the attacker's account.
    for from in [From::Origin(EVIL), From::FetchSite("cross-site")] {
        let a = form(&srv, &victim, "/login", &credentials, from).await;
        assert_refused_page(&a, "login");
        assert!(
            !a.headers.contains_key(reqwest::header::SET_COOKIE),
            "no session cookie"
        );
    }
    assert_eq!(victim.get("/api/v1/me").await.status, 401);
    let api = answer(with_from(
        &srv,
        victim
            .http
            .post(format!("{}/api/v1/session", srv.base))
            .json(&json!({"email": "attacker@example.org", "password": PASSWORD})),
        From::Origin(EVIL),
    ))
    .await;
    assert_refused_api(&api, "API sign-in");
    assert_eq!(victim.get("/api/v1/me").await.status, 401);
    let reg = form(
        &srv,
        &victim,
        "/register",
        &[
            ("email", "new@example.org"),
            ("password", PASSWORD),
            ("display_name", ""),
        ],
        From::FetchSite("same-site"),
    )
    .await;
    assert_refused_page(&reg, "register");

    // From the site's own sign-in page it works.
    let a = form(&srv, &victim, "/login", &credentials, From::SameOrigin).await;
    assert_eq!(a.status, 303, "{}", a.text);
    assert_eq!(victim.get("/api/v1/me").await.status, 200);
    srv.stop().await;
}

/// The security headers every answer carries.
fn assert_security_headers(a: &Answer, what: &str) {
    let h = |name: &str| {
        a.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let csp = h("content-security-policy");
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{what}: {directive} in {csp:?}");
    }
    assert!(!csp.contains("unsafe"), "{what}: {csp}");
    assert_eq!(h("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(h("x-frame-options"), "DENY", "{what}");
    assert_eq!(h("referrer-policy"), "same-origin", "{what}");
}

async fn every_answer_carries_the_security_headers(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    srv.app.services.ensure_demo_tenant().await.unwrap();
    let school = srv
        .object(TENANT, "schools", "0131703F", "Collège Edouard Manet")
        .await;
    let c = srv.client();
    let get = |path: String| {
        let req = c.http.get(format!("{}{path}", srv.base));
        answer(req)
    };
    let mut pages = Vec::new();
    for path in [
        "/".to_owned(),
        "/login".to_owned(),
        "/register".to_owned(),
        format!("/t/{TENANT}"),
        format!("/t/{TENANT}/o/{school}"),
        "/t/nulle-part".to_owned(),
        "/api/v1/tenants".to_owned(),
        "/api/v1/nothing".to_owned(),
        "/healthz".to_owned(),
    ] {
        let a = get(path.clone()).await;
        assert_security_headers(&a, &path);
        pages.push(a);
    }
    let refused = form(&srv, &c, "/login", &[], From::Origin(EVIL)).await;
    assert_security_headers(&refused, "a refusal");

    // No inline script or style in any page: they are files with hashed names.
    let sheet = &pages[4];
    assert_eq!(sheet.status, 200);
    for page in &pages[..5] {
        let lower = page.text.to_ascii_lowercase();
        assert!(
            !lower.contains("<style") && !lower.contains(" style="),
            "{}",
            page.text
        );
        for (at, _) in lower.match_indices("<script") {
            let tag = &lower[at..at + lower[at..].find('>').unwrap()];
            // Files with hashed names, or a JSON data block (not run: the map's description).
            assert!(
                tag.contains(" src=\"/static/") || tag.contains(" type=\"application/json\""),
                "inline script: {tag}"
            );
        }
        assert!(!lower.contains(" onclick=") && !lower.contains(" onfocus="));
    }
    let url_of = |ext: &str| {
        let at = sheet.text.find("/static/vigie.").unwrap();
        let rest = &sheet.text[at..];
        let url = &rest[..rest.find('"').unwrap()];
        assert!(url.ends_with(ext), "{url}");
        url.to_owned()
    };
    let css_url = url_of(".css");
    let js_at = sheet.text.find("<script src=\"").unwrap() + "<script src=\"".len();
    let js_url = sheet.text[js_at..sheet.text[js_at..].find('"').unwrap() + js_at].to_owned();
    for (url, ty, needle) in [
        (&css_url, "text/css", ".card"),
        (&js_url, "text/javascript", "geolocation"),
    ] {
        // `vigie.<12 hex digits>.ext`
        let hash = url.split('.').nth(1).unwrap();
        assert_eq!(hash.len(), 12, "{url}");
        assert!(hash.chars().all(|c| c.is_ascii_hexdigit()), "{url}");
        let a = get(url.clone()).await;
        assert_eq!(a.status, 200, "{url}");
        assert!(a.headers["content-type"].to_str().unwrap().starts_with(ty));
        assert_eq!(
            a.headers["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert!(a.text.contains(needle), "{url}");
        assert_security_headers(&a, url);
    }
    assert_eq!(get("/static/vigie.css".into()).await.status, 404);
    assert_eq!(
        get("/static/vigie.000000000000.css".into()).await.status,
        404
    );

    // The API's documentation (Swagger UI, inline by nature) has its own policy: its inline
    // blocks by their hashes, still no `unsafe-inline`.
    let docs = get("/api/docs".into()).await;
    assert_eq!(docs.status, 200);
    let csp = docs.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    assert!(
        csp.contains("script-src 'sha256-") && !csp.contains("unsafe"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("form-action 'none'"));
    srv.stop().await;
}

async fn uploaded_files_are_downloaded_not_rendered(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    srv.app.services.ensure_demo_tenant().await.unwrap();
    let school = srv
        .object(TENANT, "schools", "0131703F", "Collège Edouard Manet")
        .await;
    srv.operator_user("guru@vigie.test", "Guru", true)
        .await
        .unwrap();
    let guru = srv.client();
    guru.sign_in("guru@vigie.test", PASSWORD).await;
    let path = format!("/api/v1/tenants/{TENANT}/objects/{school}/documents");
    let fields = [("kind", "asbestos_survey"), ("title", "Diagnostic amiante")];

    let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    let r = guru
        .upload(&path, &fields, "diagnostic amiante été.pdf", pdf.to_vec())
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let a = answer(guru.http.get(format!(
        "{}{}",
        srv.base,
        r.body["download"].as_str().unwrap()
    )))
    .await;
    assert_eq!(a.status, 200);
    let disposition = a.headers[CONTENT_DISPOSITION].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\""),
        "{disposition}"
    );
    assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");
    let csp = a.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("sandbox") && csp.starts_with("default-src 'none'"),
        "{csp}"
    );
    assert_eq!(a.headers["x-content-type-options"], "nosniff");

    // A photo we re-encoded is shown in the page.
    let r = guru
        .upload(
            &path,
            &[("kind", "photo"), ("title", "Préau")],
            "préau.jpg",
            jpeg_with_gps(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let a = answer(guru.http.get(format!(
        "{}{}",
        srv.base,
        r.body["download"].as_str().unwrap()
    )))
    .await;
    assert_eq!(a.headers["content-type"], "image/jpeg");
    let disposition = a.headers[CONTENT_DISPOSITION].to_str().unwrap();
    assert!(disposition.starts_with("inline;"), "{disposition}");
    assert!(
        a.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );

    // An HTML page dressed up as a PDF is refused, in both languages.
    let polyglot =
        b"%PDF-1.4\n<html><body><script>fetch('/api/v1/me')</script></body></html>\n%%EOF\n";
    let r = guru
        .upload(&path, &fields, "devis.pdf", polyglot.to_vec())
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("not one"), "{}", r.text);
    assert!(
        r.body["error"]["message_fr"]
            .as_str()
            .is_some_and(|m| m.contains("PDF")),
        "{}",
        r.text
    );
    let list = guru.get(&path).await;
    assert_eq!(list.body.as_array().map(Vec::len), Some(2), "{}", list.text);
    srv.stop().await;
}

both_backends!(
    cross_site_posts_are_refused,
    login_csrf_is_refused,
    every_answer_carries_the_security_headers,
    uploaded_files_are_downloaded_not_rendered,
);
