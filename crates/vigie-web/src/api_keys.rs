//! The Garant's page of a collective's API keys (`/t/{slug}/garant/api-keys`): issue a key for
//! an application that files requests through Open311 (its secret shown once, on the page
//! answering the issue), see the keys and when each was last used, revoke one.
//!
//! The forms call the use cases the JSON API calls (`…/api-keys`); the rights are theirs.

use minijinja::{Value, context};
use poem::http::StatusCode;
use poem::web::{Data, Form, Path};
use poem::{Request, Response, handler};
use vigie_http::Caller;
use vigie_services::{Actor, IssuedApiKey, ServiceError};
use vigie_storage::ApiKey;

use crate::WebState;
use crate::admin::{Fields, field, form_error, is_refusal, see_other, sign_in_first};
use crate::i18n::Lang;
use crate::page::Page;

/// The words of this page, French and English.
const WORDS: [(&str, &str, &str); 16] = [
    ("title", "Clés d'API (Open311)", "API keys (Open311)"),
    (
        "intro",
        "Une clé permet à une application (appli de signalement de la mairie, de \
         l'association…) de déposer des demandes par l'interface standard Open311 \
         (/open311/v2/). Les demandes passent par la modération comme les autres.",
        "A key lets an application (the city's or an association's reporting app…) file \
         requests through the standard Open311 interface (/open311/v2/). The requests are \
         moderated like any other.",
    ),
    ("label", "Pour quoi", "What for"),
    (
        "label_example",
        "Appli de signalement de la mairie",
        "The city's reporting app",
    ),
    ("issue", "Délivrer une clé", "Issue a key"),
    (
        "secret_once",
        "Voici la clé : donnez-la à l'application maintenant, elle ne sera plus affichée.",
        "Here is the key: give it to the application now, it will not be shown again.",
    ),
    ("created_by", "Délivrée par", "Issued by"),
    ("created_at", "Le", "On"),
    ("last_used", "Dernier usage", "Last used"),
    ("never", "jamais", "never"),
    ("revoked", "Révoquée le", "Revoked on"),
    ("revoke", "Révoquer", "Revoke"),
    ("none", "Aucune clé pour l'instant.", "No key yet."),
    (
        "done_revoked",
        "La clé est révoquée.",
        "The key is revoked.",
    ),
    (
        "back",
        "Retour au bureau du Garant",
        "Back to the Garant's desk",
    ),
    (
        "docs",
        "Documentation : docs/open311.md (points d'accès, correspondances, clés).",
        "Documentation: docs/open311.md (endpoints, mapping, keys).",
    ),
];

fn word(lang: Lang, key: &str) -> &'static str {
    crate::i18n::page_word(&WORDS, lang, key)
}

fn words(lang: Lang) -> Value {
    crate::i18n::page_words(&WORDS, lang)
}

fn day(t: time::OffsetDateTime) -> String {
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

fn key_ctx(k: &ApiKey) -> Value {
    context! {
        id => k.id,
        label => &k.label,
        created_by => k.created_by_name.clone().unwrap_or_default(),
        created_at => day(k.created_at),
        last_used => k.last_used_at.map(day),
        revoked => k.revoked_at.map(day),
    }
}

/// The page, with what was just done or refused.
async fn render(
    page: &Page<'_>,
    slug: &str,
    issued: Option<IssuedApiKey>,
    error: Option<(StatusCode, String)>,
    flash: Option<String>,
) -> Response {
    let services = page.services();
    let loaded = async {
        let tenant = services.tenant(slug).await?;
        let keys = services
            .api_keys(Actor::Principal(&page.caller.principal()), &tenant)
            .await?;
        Ok::<_, ServiceError>((tenant, keys))
    }
    .await;
    let (tenant, keys) = match loaded {
        Ok(l) => l,
        Err(e) => return page.error_page(&e),
    };
    let status = error.as_ref().map_or(
        if issued.is_some() {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        |(s, _)| *s,
    );
    page.render(
        status,
        "api_keys.html",
        context! {
            tenant => page.tenant_ctx(&tenant),
            w => words(page.lang),
            keys => keys.iter().map(key_ctx).collect::<Vec<_>>(),
            issued => issued.map(|i| context! { label => i.key.label, secret => i.secret }),
            error => error.map(|(_, t)| t),
            flash => flash,
        },
    )
}

/// `GET /t/:slug/garant/api-keys`.
#[handler]
pub async fn keys_page(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Response {
    if caller.user.is_none() {
        return sign_in_first(&format!("/t/{slug}/garant/api-keys"));
    }
    let page = Page::new(&state, req, caller);
    // The one thing done elsewhere that lands here: a revocation.
    let revoked = req
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|p| p == "done=key_revoked"));
    let flash = revoked.then(|| word(page.lang, "done_revoked").to_owned());
    render(&page, &slug, None, None, flash).await
}

/// `POST /t/:slug/garant/api-keys` (`label`): issues a key and shows its secret, once.
#[handler]
pub async fn issue(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path(slug): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    if caller.user.is_none() {
        return sign_in_first(&format!("/t/{slug}/garant/api-keys"));
    }
    let page = Page::new(&state, req, caller);
    let services = page.services();
    let result = async {
        let tenant = services.tenant(&slug).await?;
        services
            .issue_api_key(
                Actor::Principal(&page.caller.principal()),
                &tenant,
                field(&fields, "label"),
            )
            .await
    }
    .await;
    match result {
        Ok(issued) => render(&page, &slug, Some(issued), None, None).await,
        Err(e) if is_refusal(&e) || matches!(e, ServiceError::NotFound(_)) => page.error_page(&e),
        Err(e) => render(&page, &slug, None, Some(form_error(&page, &e)), None).await,
    }
}

/// `POST /t/:slug/garant/api-keys/:id/revoke`.
#[handler]
pub async fn revoke(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
) -> Response {
    if caller.user.is_none() {
        return sign_in_first(&format!("/t/{slug}/garant/api-keys"));
    }
    let page = Page::new(&state, req, caller);
    let services = page.services();
    let result = async {
        let tenant = services.tenant(&slug).await?;
        services
            .revoke_api_key(Actor::Principal(&page.caller.principal()), &tenant, id)
            .await
    }
    .await;
    match result {
        Ok(_) => see_other(&format!("/t/{slug}/garant/api-keys?done=key_revoked")),
        Err(e) => page.error_page(&e),
    }
}
