//! The quick report (« Signaler »), made for a phone in a school yard: a photo, the place
//! (the nearest ones proposed by the page's script from where the phone stands — the position
//! never leaves the device), a kind and a short title, then send. Similar open requests are
//! shown before sending, as on a sheet. It files through the sheet's use case and form reader
//! ([`super::filing`]); without a network the page's script keeps it on the phone and sends it
//! once, with its idempotency key, when the network returns.

use minijinja::{Value, context};
use poem::http::StatusCode;
use poem::web::{Data, Multipart, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;
use vigie_domain::ObjectTypeKey;
use vigie_http::Caller;
use vigie_plugins::wit;
use vigie_services::ServiceError;

use super::filing::{FilingShown, Received, receive};
use super::labels::similar_rows;
use crate::WebState;
use crate::page::{Page, label};

/// `?o=ID`: the place already chosen (from its sheet, or from « Lieux près de moi »).
#[derive(Deserialize, Default)]
pub struct QuickQuery {
    o: Option<i64>,
}

/// The kinds a quick report offers: those that ask for nothing more than a title (a kind with
/// a required field of its own, such as a register entry, has the sheet's full form).
fn quick_kinds(m: &wit::PluginManifest) -> impl Iterator<Item = &wit::RequestKind> {
    m.request_kinds
        .iter()
        .filter(|k| !k.fields.iter().any(|f| f.constraints.required))
}

/// `GET /t/:slug/report`: the quick report form.
#[handler]
pub async fn quick_page(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path(slug): Path<String>,
    Query(q): Query<QuickQuery>,
) -> Response {
    let page = Page::new(&state, req, caller);
    let shown = FilingShown::default();
    let object = q.o.map(|o| o.to_string()).unwrap_or_default();
    match render(&page, &slug, &object, &shown).await {
        Ok(html) => html.with(StatusCode::OK, None, None),
        Err(e) => page.error_page(&e),
    }
}

/// `POST /t/:slug/report`: files the quick report (post/redirect/get to the request's page),
/// or shows the form again with what was typed and why, or with the similar open requests.
#[handler]
pub async fn quick_file(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path(slug): Path<String>,
    multipart: Multipart,
) -> Response {
    let page = Page::new(&state, req, caller);
    match receive(&page, &state, req, &slug, None, multipart).await {
        Received::Answer(response) => response,
        Received::Sheet {
            flash,
            error,
            shown,
        } => {
            let object = shown.typed.object.clone();
            match render(&page, &slug, &object, &shown).await {
                Ok(html) => match error {
                    Some((status, text)) => html.with(status, None, Some(text)),
                    None => html.with(StatusCode::OK, flash, None),
                },
                Err(e) => page.error_page(&e),
            }
        }
    }
}

/// The form, ready to render with a status and a word above it.
struct QuickForm<'p> {
    page: &'p Page<'p>,
    data: Value,
}

impl QuickForm<'_> {
    fn with(self, status: StatusCode, flash: Option<String>, error: Option<String>) -> Response {
        self.page.render(
            status,
            "quick.html",
            context! { flash => flash, error => error, ..self.data },
        )
    }
}

async fn render<'p>(
    page: &'p Page<'p>,
    slug: &str,
    object: &str,
    shown: &FilingShown,
) -> Result<QuickForm<'p>, ServiceError> {
    let services = page.services();
    let lang = page.lang;
    let tenant = services.tenant(slug).await?;
    let typed = &shown.typed;
    // Each type's quick kinds; the page shows those of the chosen place's type.
    let mut types = Vec::new();
    let mut manifests = Vec::new();
    for ty in &tenant.object_types {
        let schema = services.object_schema(&tenant, ty).await?;
        let m = schema.plugin.manifest().clone();
        let kinds: Vec<Value> = quick_kinds(&m)
            .enumerate()
            .map(|(i, k)| {
                context! {
                    key => &k.key,
                    label => label(lang, &k.label),
                    description => label(lang, &k.description),
                    checked => if typed.kind.is_empty() { i == 0 } else { typed.kind == k.key },
                }
            })
            .collect();
        if !kinds.is_empty() {
            types.push(context! { key => ty.as_str(), kinds => kinds });
        }
        manifests.push((ty.as_str().to_owned(), m));
    }
    // The place already chosen, if it is one of this collective's.
    let chosen = match object.trim().parse::<i64>() {
        Ok(id) => match services.object(&tenant, id).await {
            Ok(o) => Some(o),
            Err(ServiceError::NotFound(_)) => None,
            Err(e) => return Err(e),
        },
        Err(_) => None,
    };
    let similar = match &chosen {
        Some(o) if !shown.similar.is_empty() => {
            let key = ObjectTypeKey::parse(&o.object_type)?;
            manifests
                .iter()
                .find(|(k, _)| k == key.as_str())
                .map(|(_, m)| similar_rows(lang, m, &shown.similar))
                .unwrap_or_default()
        }
        _ => Vec::new(),
    };
    let data = context! {
        tenant => page.tenant_ctx(&tenant),
        types => types,
        place => chosen.as_ref().map(|o| context! {
            id => o.id,
            name => &o.identity.official_name,
            city => &o.identity.city,
            object_type => &o.object_type,
        }),
        title => &typed.title,
        description => if typed.description == typed.title { "" } else { typed.description.as_str() },
        submission_key => &typed.submission_key,
        photo_dropped => typed.photo.is_some(),
        similar => similar,
        places_url => format!("/api/v1/tenants/{}/places", tenant.slug.as_str()),
    };
    Ok(QuickForm { page, data })
}
