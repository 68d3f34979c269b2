//! The Garants' pages: a collective's desk (add a place by hand, import an official file,
//! certify citizens, name the contacts requests can be assigned to) and, on any place, the
//! page adding a life event or a document.
//!
//! Every form calls the use case the JSON API calls; the rights are the use case's to decide.

use minijinja::{Value, context};
use poem::http::StatusCode;
use poem::web::{Data, Form, Multipart, Path};
use poem::{Request, Response, handler};
use vigie_domain::ObjectTypeKey;
use vigie_domain::objects::{DOCUMENT_KINDS, LIFE_EVENT_KINDS};
use vigie_http::Caller;
use vigie_http::body_limit::{FieldError, read_field};
use vigie_services::{
    Actor, DocumentInput, ImportReport, LifeEventInput, PlaceInput, ServiceError,
};
use vigie_storage::Tenant;

use crate::WebState;
use crate::admin::{
    Fields, done_flash, field, forbidden, form_error, is_refusal, number, see_other, sign_in_first,
    typed,
};
use crate::objects::label;
use crate::page::Page;

/// The rejected rows an import report lists on the page (the count says how many in all).
const REJECTED_SHOWN: usize = 500;

/// What the desk shows besides its lists.
#[derive(Default)]
pub(crate) struct DeskShown {
    pub(crate) flash: Option<String>,
    pub(crate) error: Option<(StatusCode, String)>,
    /// Which form the error is about: `place`, `import`, `certify` or `contact`.
    pub(crate) form: &'static str,
    /// That form as typed.
    pub(crate) typed: Option<Fields>,
    /// The report of the import just made.
    report: Option<ImportReport>,
}

/// The collective and the types whose official data the caller keeps; else the page to
/// answer with (403 when none).
async fn desk_tenant(
    page: &Page<'_>,
    slug: &str,
) -> Result<(Tenant, Vec<ObjectTypeKey>), Response> {
    let services = page.services();
    let tenant = services
        .tenant(slug)
        .await
        .map_err(|e| page.error_page(&e))?;
    match services
        .official_types(&page.caller.principal(), &tenant)
        .await
    {
        Ok(types) if types.is_empty() => Err(forbidden(page)),
        Ok(types) => Ok((tenant, types)),
        Err(e) => Err(page.error_page(&e)),
    }
}

fn report_ctx(page: &Page<'_>, r: &ImportReport) -> Value {
    let lang = page.lang;
    let c = &r.counts;
    context! {
        importer => &r.importer,
        created => c.created, updated => c.updated, unchanged => c.unchanged,
        rejected => c.rejected, facts_added => c.facts_added, possibly_closed => c.possibly_closed,
        rows => r.rejected.iter().take(REJECTED_SHOWN).map(|row| context! {
            line => row.line,
            column => row.column.clone().unwrap_or_default(),
            reason => label(lang, &row.reason),
        }).collect::<Vec<_>>(),
        more => r.rejected.len().saturating_sub(REJECTED_SHOWN),
    }
}

/// The desk of a collective's Garant, for the types `types`.
pub(crate) async fn render_desk(
    page: &Page<'_>,
    tenant: &Tenant,
    types: &[ObjectTypeKey],
    shown: DeskShown,
) -> Response {
    let lang = page.lang;
    let services = page.services();
    let mut type_views = Vec::new();
    let mut contacts = Vec::new();
    for key in types {
        let Ok(plugin) = services.plugin(key) else {
            continue;
        };
        let m = plugin.manifest();
        type_views.push(context! {
            key => key.as_str(), label => page.type_label(key.as_str()),
            identifier_label => label(lang, &m.identifier.label),
            identifier_help => label(lang, &m.identifier.description),
            identifier_example => m.identifier.examples.first().cloned().unwrap_or_default(),
            importers => m.importers.iter().map(|i| context! {
                label => label(lang, &i.label),
                description => label(lang, &i.description),
                source_url => &i.source_url,
                columns => i.columns.iter().filter(|c| c.required)
                    .filter_map(|c| c.names.first().cloned()).collect::<Vec<_>>(),
            }).collect::<Vec<_>>(),
        });
        match services.contacts(tenant, Some(key)).await {
            Ok(list) => contacts.extend(list.into_iter().map(|c| {
                context! {
                    id => c.id, name => c.name, role_title => c.role_title,
                    type_label => page.type_label(&c.type_key),
                }
            })),
            Err(e) => return page.error_page(&e),
        }
    }
    let status = shown.error.as_ref().map_or(StatusCode::OK, |(s, _)| *s);
    page.render(
        status,
        "garant.html",
        context! {
            tenant => page.tenant_ctx(tenant),
            types => type_views,
            contacts => contacts,
            flash => shown.flash,
            error => shown.error.map(|(_, t)| t),
            form => shown.form,
            typed => shown.typed.as_ref().map(typed),
            report => shown.report.as_ref().map(|r| report_ctx(page, r)),
        },
    )
}

/// `GET /t/:slug/garant`: the Garant's desk.
#[handler]
pub async fn desk_page(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Response {
    if caller.user.is_none() {
        return sign_in_first(&format!("/t/{slug}/garant"));
    }
    let page = Page::new(&state, req, caller);
    let (tenant, types) = match desk_tenant(&page, &slug).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let flash = done_flash(
        &page,
        req,
        &["contact", "contact_retired", "role_granted", "role_revoked"],
    );
    render_desk(
        &page,
        &tenant,
        &types,
        DeskShown {
            flash,
            ..DeskShown::default()
        },
    )
    .await
}

/// A form of the desk refused: the desk again, with the error on that form.
pub(crate) async fn desk_again(
    page: &Page<'_>,
    slug: &str,
    form: &'static str,
    fields: Fields,
    e: &ServiceError,
) -> Response {
    if is_refusal(e) {
        return page.error_page(e);
    }
    let (tenant, types) = match desk_tenant(page, slug).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let shown = DeskShown {
        error: Some(form_error(page, e)),
        form,
        typed: Some(fields),
        ..DeskShown::default()
    };
    render_desk(page, &tenant, &types, shown).await
}

/// `POST /t/:slug/garant/places`: adds a place by hand, then shows it.
#[handler]
pub async fn add_place(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path(slug): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    if caller.user.is_none() {
        return sign_in_first(&format!("/t/{slug}/garant"));
    }
    let page = Page::new(&state, req, caller);
    let services = page.services();
    let result = async {
        let tenant = services.tenant(&slug).await?;
        let key = ObjectTypeKey::parse(field(&fields, "object_type"))?;
        let input = PlaceInput {
            identifier: field(&fields, "identifier").to_owned(),
            official_name: field(&fields, "official_name").to_owned(),
            street: field(&fields, "street").to_owned(),
            postcode: field(&fields, "postcode").to_owned(),
            city: field(&fields, "city").to_owned(),
            latitude: number(field(&fields, "latitude"), "latitude", "Latitude")?,
            longitude: number(field(&fields, "longitude"), "longitude", "Longitude")?,
        };
        services
            .add_place(
                Actor::Principal(&page.caller.principal()),
                &tenant,
                &key,
                input,
            )
            .await
    }
    .await;
    match result {
        Ok(o) => see_other(&format!("/t/{slug}/o/{}", o.id)),
        Err(ServiceError::NotFound("collective")) => {
            page.error_page(&ServiceError::NotFound("collective"))
        }
        Err(e) => desk_again(&page, &slug, "place", fields, &e).await,
    }
}

/// `POST /t/:slug/garant/imports` (multipart: `object_type`, `file`): imports an official
/// file and shows its report.
#[handler]
pub async fn import(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path(slug): Path<String>,
    mut multipart: Multipart,
) -> Response {
    if caller.user.is_none() {
        return sign_in_first(&format!("/t/{slug}/garant"));
    }
    let page = Page::new(&state, req, caller);
    let mut fields: Fields = Vec::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    // The edge bounds the whole body (`limits.import_mib`): the file is read as it comes.
    let read = async {
        while let Some(f) = multipart.next_field().await? {
            let name = f.name().unwrap_or_default().to_owned();
            if name == "file" {
                let file_name = f.file_name().unwrap_or("upload").to_owned();
                file = Some((file_name, f.bytes().await?));
            } else {
                fields.push((name, f.text().await?));
            }
        }
        Ok::<_, FieldError>(())
    }
    .await;
    if let Err(e) = read {
        tracing::info!(error = %e, "unreadable import form");
        let text = page.lang.t("unreadable_form");
        return page.render(
            StatusCode::BAD_REQUEST,
            "message.html",
            context! { error => text },
        );
    }
    let services = page.services();
    let result = async {
        let tenant = services.tenant(&slug).await?;
        let key = ObjectTypeKey::parse(field(&fields, "object_type"))?;
        let (name, bytes) = file.filter(|(_, b)| !b.is_empty()).ok_or_else(|| {
            ServiceError::Invalid(
                vigie_domain::DomainError::invalid("file", "choose the file to import")
                    .fr("Choisissez le fichier à importer."),
            )
        })?;
        let report = services
            .import_dataset(
                Actor::Principal(&page.caller.principal()),
                &tenant,
                &key,
                &name,
                &bytes,
            )
            .await?;
        Ok::<_, ServiceError>((tenant, report))
    }
    .await;
    match result {
        Ok((tenant, report)) => {
            let types = match services
                .official_types(&page.caller.principal(), &tenant)
                .await
            {
                Ok(t) => t,
                Err(e) => return page.error_page(&e),
            };
            let shown = DeskShown {
                flash: Some(page.lang.t("done_imported").to_owned()),
                form: "import",
                typed: Some(fields),
                report: Some(report),
                ..DeskShown::default()
            };
            render_desk(&page, &tenant, &types, shown).await
        }
        Err(ServiceError::NotFound("collective")) => {
            page.error_page(&ServiceError::NotFound("collective"))
        }
        Err(e) => desk_again(&page, &slug, "import", fields, &e).await,
    }
}

/// `POST /t/:slug/garant/contacts`: names a contact requests of a type can be assigned to.
#[handler]
pub async fn add_contact(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path(slug): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    if caller.user.is_none() {
        return sign_in_first(&format!("/t/{slug}/garant"));
    }
    let page = Page::new(&state, req, caller);
    let services = page.services();
    let result = async {
        let tenant = services.tenant(&slug).await?;
        let key = ObjectTypeKey::parse(field(&fields, "object_type"))?;
        services
            .add_contact(
                Actor::Principal(&page.caller.principal()),
                &tenant,
                &key,
                field(&fields, "name"),
                field(&fields, "role_title"),
                field(&fields, "email"),
            )
            .await
    }
    .await;
    match result {
        Ok(_) => see_other(&format!("/t/{slug}/garant?done=contact#contacts")),
        Err(ServiceError::NotFound("collective")) => {
            page.error_page(&ServiceError::NotFound("collective"))
        }
        Err(e) => desk_again(&page, &slug, "contact", fields, &e).await,
    }
}

/// `POST /t/:slug/garant/contacts/:id/retire`: retires a contact who left their post.
#[handler]
pub async fn retire_contact(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
) -> Response {
    if caller.user.is_none() {
        return sign_in_first(&format!("/t/{slug}/garant"));
    }
    let page = Page::new(&state, req, caller);
    let services = page.services();
    let result = async {
        let tenant = services.tenant(&slug).await?;
        services
            .retire_contact(Actor::Principal(&page.caller.principal()), &tenant, id)
            .await
    }
    .await;
    match result {
        Ok(_) => see_other(&format!("/t/{slug}/garant?done=contact_retired#contacts")),
        Err(e) => page.error_page(&e),
    }
}

/// What the life page shows besides the place.
#[derive(Default)]
struct LifeShown {
    flash: Option<String>,
    error: Option<(StatusCode, String)>,
    /// `event` or `document`.
    form: &'static str,
    typed: Option<Fields>,
}

async fn render_life(page: &Page<'_>, slug: &str, id: i64, shown: LifeShown) -> Response {
    let lang = page.lang;
    let services = page.services();
    let loaded = async {
        let tenant = services.tenant(slug).await?;
        let object = services.object(&tenant, id).await?;
        let moderator = services
            .may_moderate_object(&page.caller.principal(), &tenant, id)
            .await?;
        Ok::<_, ServiceError>((tenant, object, moderator))
    }
    .await;
    let (tenant, object, moderator) = match loaded {
        Ok(l) => l,
        Err(e) => return page.error_page(&e),
    };
    let kinds = |prefix: &str, keys: &[&str]| -> Vec<Value> {
        keys.iter()
            .map(|k| context! { key => *k, label => lang.t(&format!("{prefix}_{k}")) })
            .collect()
    };
    let status = shown.error.as_ref().map_or(StatusCode::OK, |(s, _)| *s);
    page.render(
        status,
        "life.html",
        context! {
            tenant => page.tenant_ctx(&tenant),
            object => context! { id => object.id, name => &object.identity.official_name },
            event_kinds => kinds("event", &LIFE_EVENT_KINDS),
            document_kinds => kinds("doc", &DOCUMENT_KINDS),
            moderator => moderator,
            flash => shown.flash,
            error => shown.error.map(|(_, t)| t),
            form => shown.form,
            typed => shown.typed.as_ref().map(typed),
            today => time::OffsetDateTime::now_utc().date().to_string(),
        },
    )
}

/// `GET /t/:slug/o/:id/life`: adding a life event or a document to a place (signed-in
/// users; what a moderator of the place adds is published at once, the rest waits).
#[handler]
pub async fn life_page(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
) -> Response {
    if caller.user.is_none() {
        return sign_in_first(&format!("/t/{slug}/o/{id}/life"));
    }
    let page = Page::new(&state, req, caller);
    let flash = done_flash(&page, req, &["event_added", "document_added"]);
    render_life(
        &page,
        &slug,
        id,
        LifeShown {
            flash,
            ..LifeShown::default()
        },
    )
    .await
}

/// A form of the life page refused: the page again, with the error on that form.
async fn life_again(
    page: &Page<'_>,
    slug: &str,
    id: i64,
    form: &'static str,
    fields: Fields,
    e: &ServiceError,
) -> Response {
    if is_refusal(e) || matches!(e, ServiceError::NotFound("collective" | "object")) {
        return page.error_page(e);
    }
    let shown = LifeShown {
        error: Some(form_error(page, e)),
        form,
        typed: Some(fields),
        ..LifeShown::default()
    };
    render_life(page, slug, id, shown).await
}

/// `POST /t/:slug/o/:id/life/events`: adds a life event to the place.
#[handler]
pub async fn add_event(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    Form(fields): Form<Fields>,
) -> Response {
    if caller.user.is_none() {
        return sign_in_first(&format!("/t/{slug}/o/{id}/life"));
    }
    let page = Page::new(&state, req, caller);
    let services = page.services();
    let result = async {
        let tenant = services.tenant(&slug).await?;
        let ends_on = field(&fields, "ends_on").trim();
        services
            .add_life_event(
                Actor::Principal(&page.caller.principal()),
                &tenant,
                id,
                LifeEventInput {
                    kind: field(&fields, "kind").to_owned(),
                    title: field(&fields, "title").to_owned(),
                    description: field(&fields, "description").to_owned(),
                    starts_on: field(&fields, "starts_on").trim().to_owned(),
                    ends_on: (!ends_on.is_empty()).then(|| ends_on.to_owned()),
                    contact_email: None,
                },
            )
            .await
    }
    .await;
    match result {
        Ok(_) => see_other(&format!("/t/{slug}/o/{id}/life?done=event_added")),
        Err(e) => life_again(&page, &slug, id, "event", fields, &e).await,
    }
}

/// `POST /t/:slug/o/:id/life/documents` (multipart: `kind`, `title`, `document_date`,
/// `source`, `file`): attaches a document to the place.
#[handler]
pub async fn add_document(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    mut multipart: Multipart,
) -> Response {
    if caller.user.is_none() {
        return sign_in_first(&format!("/t/{slug}/o/{id}/life"));
    }
    let page = Page::new(&state, req, caller);
    let services = page.services();
    let max_file = services.max_upload_bytes();
    let mut fields: Fields = Vec::new();
    let mut file: Option<(Option<String>, Option<String>, Vec<u8>)> = None;
    let read = async {
        while let Some(f) = multipart.next_field().await? {
            let name = f.name().unwrap_or_default().to_owned();
            if name == "file" {
                let file_name = f.file_name().map(str::to_owned).filter(|n| !n.is_empty());
                let content_type = f.content_type().map(str::to_owned);
                file = Some((file_name, content_type, read_field(f, max_file).await?));
            } else {
                fields.push((name, f.text().await?));
            }
        }
        Ok::<_, FieldError>(())
    }
    .await;
    if let Err(FieldError::TooLarge { limit }) = read {
        return page.too_large(limit);
    }
    if let Err(e) = read {
        tracing::info!(error = %e, "unreadable document form");
        let text = page.lang.t("unreadable_form");
        return page.render(
            StatusCode::BAD_REQUEST,
            "message.html",
            context! { error => text },
        );
    }
    let result = async {
        let tenant = services.tenant(&slug).await?;
        let (file_name, content_type, bytes) =
            file.filter(|(_, _, b)| !b.is_empty()).ok_or_else(|| {
                ServiceError::Invalid(
                    vigie_domain::DomainError::invalid("file", "choose the file to attach")
                        .fr("Choisissez le fichier à joindre."),
                )
            })?;
        let date = field(&fields, "document_date").trim();
        let source = field(&fields, "source").trim();
        services
            .upload_document(
                Actor::Principal(&page.caller.principal()),
                &tenant,
                id,
                DocumentInput {
                    kind: field(&fields, "kind").to_owned(),
                    title: field(&fields, "title").to_owned(),
                    document_date: (!date.is_empty()).then(|| date.to_owned()),
                    source: (!source.is_empty()).then(|| source.to_owned()),
                    file_name,
                    content_type,
                },
                bytes,
            )
            .await
    }
    .await;
    match result {
        Ok(_) => see_other(&format!("/t/{slug}/o/{id}/life?done=document_added")),
        Err(e) => life_again(&page, &slug, id, "document", fields, &e).await,
    }
}
