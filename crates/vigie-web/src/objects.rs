//! Pages of observed objects: an object's sheet with its values side by side per vintage,
//! and the contribution form (the collective's map and list: `map`).

use minijinja::{Value, context};
use poem::http::StatusCode;
use poem::web::{Data, Form, Multipart, Path};
use poem::{Request, Response, handler};
use serde::Deserialize;
use vigie_domain::{FactState, ObjectTypeKey, Provenance};
use vigie_http::Caller;
use vigie_plugins::wit;
use vigie_services::{Actor, Contribution, ProposedValue, ServiceError, Services, decode_value};

use crate::WebState;
use crate::page::{Page, parse_value, value_text};
use crate::requests::Received;

/// The words of a plugin's label (`crate::map` takes them from here).
pub(crate) use crate::page::label;

#[handler]
pub async fn object_page(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
) -> Response {
    // What the contribution that led here became: proposed (waiting) or entered (official).
    let said = req.uri().query().and_then(|q| {
        q.split('&').find_map(|p| {
            ["proposed", "entered"]
                .into_iter()
                .find(|w| p == format!("{w}=1"))
        })
    });
    let scope = state
        .services
        .tenant_id(&slug)
        .await
        .ok()
        .map(|t| vigie_services::ReadScope::Object(t, id));
    let key = format!("o/{slug}/{id}?said={}", said.unwrap_or_default());
    let shown = caller.clone();
    crate::cached::page(&state, req, &caller, &key, scope, || async {
        let page = Page::new(&state, req, shown);
        let flash = said.map(|w| page.lang.t(w).to_owned());
        match render_object(&page, &slug, id, flash).await {
            Ok(r) => r,
            Err(e) => page.error_page(&e),
        }
    })
    .await
}

/// What the contributor typed, shown again with the error when a proposal is refused.
#[derive(Default)]
struct Typed {
    error: Option<(StatusCode, String)>,
    form: Option<ContributeForm>,
    /// The request filing form shown again (with an error or with similar requests).
    filing: Option<crate::requests::FilingShown>,
}

/// The sheet with the request filing form shown again: with what was typed, and an error or
/// the similar open requests to look at before filing.
async fn render_filing(
    page: &Page<'_>,
    slug: &str,
    id: i64,
    flash: Option<String>,
    error: Option<(StatusCode, String)>,
    filing: crate::requests::FilingShown,
) -> Response {
    let typed = Typed {
        error,
        form: None,
        filing: Some(filing),
    };
    match render_object_with(page, slug, id, flash, typed).await {
        Ok(r) => r,
        Err(e) => page.error_page(&e),
    }
}

/// `POST /t/:slug/o/:id/requests`: files a request from the object's sheet
/// ([`crate::requests::receive`]); the sheet shows the form again when it is refused or when
/// similar open requests should be looked at first.
#[handler]
pub async fn file_request(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    multipart: Multipart,
) -> Response {
    let page = Page::new(&state, req, caller);
    match crate::requests::receive(&page, &state, req, &slug, Some(id), multipart).await {
        Received::Answer(response) => response,
        Received::Sheet {
            flash,
            error,
            shown,
        } => render_filing(&page, &slug, id, flash, error, *shown).await,
    }
}

async fn render_object(
    page: &Page<'_>,
    slug: &str,
    id: i64,
    flash: Option<String>,
) -> Result<Response, ServiceError> {
    render_object_with(page, slug, id, flash, Typed::default()).await
}

async fn render_object_with(
    page: &Page<'_>,
    slug: &str,
    id: i64,
    flash: Option<String>,
    typed: Typed,
) -> Result<Response, ServiceError> {
    let services = page.services();
    let lang = page.lang;
    let tenant = services.tenant(slug).await?;
    let sheet = services.object_sheet(&tenant, id).await?;
    let key = ObjectTypeKey::parse(&sheet.object.object_type)?;
    let schema = services.object_schema(&tenant, &key).await?;
    let m = schema.plugin.manifest();
    let fields: Vec<&wit::Field> = m
        .fields
        .iter()
        .chain(schema.added.iter().map(|(_, f)| f))
        .collect();
    let vintages: Vec<&String> = sheet.current.keys().collect();
    let mark = |p: Provenance| match p {
        Provenance::OfficialImport => "◆",
        Provenance::Garant => "●",
        _ => "○",
    };
    let rows: Vec<Value> = fields
        .iter()
        .filter(|f| sheet.current.values().any(|vals| vals.contains_key(&f.key)))
        .map(|f| {
            let cells: Vec<Value> = vintages
                .iter()
                .map(|v| {
                    sheet.current[*v].get(&f.key).map_or(Value::from(()), |fact| {
                        let text = decode_value(&fact.value).map(|val| value_text(lang, Some(f), &val)).unwrap_or_default();
                        context! { text => text, mark => mark(fact.provenance), provenance => fact.provenance.as_str() }
                    })
                })
                .collect();
            context! { label => label(lang, &f.label), official => f.origin == wit::FieldOrigin::Official, cells => cells }
        })
        .collect();
    let indicator_rows: Vec<Value> = m
        .indicators
        .iter()
        .filter(|i| {
            sheet
                .indicators
                .values()
                .any(|l| l.iter().any(|v| v.key == i.key))
        })
        .map(|i| {
            let cells: Vec<String> = vintages
                .iter()
                .map(|v| {
                    sheet
                        .indicators
                        .get(*v)
                        .and_then(|l| l.iter().find(|x| x.key == i.key))
                        .map_or(String::new(), |x| {
                            lang.number(x.value, Some(usize::from(i.decimals)))
                        })
                })
                .collect();
            context! { label => label(lang, &i.label), cells => cells }
        })
        .collect();
    let history: Vec<Value> = sheet
        .facts
        .iter()
        .rev()
        .map(|f| {
            let field = fields.iter().find(|d| d.key == f.field_key).copied();
            context! {
                at => f.at.date().to_string(),
                field => field.map_or(f.field_key.clone(), |d| label(lang, &d.label)),
                vintage => &f.vintage,
                text => decode_value(&f.value).map(|v| value_text(lang, field, &v)).unwrap_or_default(),
                who => f.author_name.clone().unwrap_or_else(|| match f.provenance {
                    Provenance::OfficialImport => "import".into(),
                    _ => "—".into(),
                }),
                state => lang.t(&format!("state_{}", f.state.as_str())),
                reason => f.decision.as_ref().filter(|_| f.state == FactState::Refused).and_then(|d| d.reason.clone()),
            }
        })
        .collect();
    let events: Vec<Value> = services
        .life_events(&tenant, id)
        .await?
        .iter()
        .map(|e| {
            context! {
                kind => lang.t(&format!("event_{}", e.kind)), title => &e.title, description => &e.description,
                starts_on => &e.starts_on, ends_on => &e.ends_on,
                state => lang.t(&format!("state_{}", e.state.as_str())),
                reason => e.decision.as_ref().and_then(|d| d.reason.clone()),
            }
        })
        .collect();
    // A citizen's document awaiting moderation: in full for its uploader and the moderators,
    // a placeholder for others; a refused one keeps its title and reason, its file only for
    // the moderators.
    let documents: Vec<Value> = services
        .documents(&page.caller.principal(), &tenant, id)
        .await?
        .iter()
        .map(|e| {
            let d = &e.document;
            context! {
                awaiting => e.concealed, since => d.at.date().to_string(),
                title => &d.title, kind => lang.t(&format!("doc_{}", d.kind)), date => &d.document_date,
                by => &d.uploaded_by,
                url => e.downloadable.then(|| format!("/api/v1/tenants/{}/documents/{}/file", tenant.slug, d.id)),
                state => match d.state {
                    FactState::Pending => Some(lang.t("doc_pending")),
                    FactState::Refused => Some(lang.t("doc_refused")),
                    _ => None,
                },
                reason => d.decision.as_ref().and_then(|x| x.reason.clone()),
            }
        })
        .collect();
    let citizen_fields: Vec<Value> = fields
        .iter()
        .filter(|f| f.origin == wit::FieldOrigin::Citizen)
        .map(|f| context! { key => &f.key, label => label(lang, &f.label) })
        .collect();
    let o = &sheet.object.identity;
    let address = [o.street.clone(), o.postcode.clone(), o.city.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let requests =
        crate::requests::object_section(page, &tenant, id, m, typed.filing.as_ref()).await?;
    let following = match page.caller.user {
        Some(_) => Some(
            page.services()
                .is_following(
                    Actor::Principal(&page.caller.principal()),
                    vigie_services::FollowTarget::Object(id),
                )
                .await?,
        ),
        None => None,
    };
    let data = context! {
        following => following,
        tenant => page.tenant_ctx(&tenant),
        type_name => page.type_label(key.as_str()),
        identifier_label => label(lang, &m.identifier.label),
        object => context! {
            id => sheet.object.id, name => &o.official_name, identifier => &o.identifier, address => address,
            status => o.status.as_str(), possibly_closed => sheet.object.possibly_closed_since.is_some(),
        },
        certified => sheet.certified.iter().map(|h| h.user_name.clone()).collect::<Vec<_>>(),
        vintages => vintages,
        rows => rows,
        indicator_rows => indicator_rows,
        history => history,
        citizen_fields => citizen_fields,
        default_vintage => schema.current_vintage()?,
        flash => flash,
        error => typed.error.as_ref().map(|(_, m)| m.clone()),
        typed => typed.form.as_ref().map(|f| context! {
            vintage => &f.vintage, field => &f.field, value => &f.value, source => &f.source,
            contact_email => &f.contact_email, submission_key => &f.submission_key,
        }),
        events => events,
        documents => documents,
        requests => requests,
    };
    let status = typed.error.as_ref().map_or(StatusCode::OK, |(s, _)| *s);
    Ok(page.render(status, "object.html", data))
}

#[derive(Deserialize, Clone)]
pub struct ContributeForm {
    vintage: String,
    field: String,
    value: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    contact_email: String,
    /// The idempotency key the page's script gave this submission (none without script).
    #[serde(default)]
    submission_key: String,
}

#[handler]
pub async fn contribute(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<ContributeForm>,
) -> Response {
    let page = Page::new(&state, req, caller);
    let form_copy = form.clone();
    let result = async {
        let services: &Services = page.services();
        let tenant = services.tenant(&slug).await?;
        let object = services.object(&tenant, id).await?;
        // Without an account: within the client's allowance, shared with the API.
        if !state.anonymous_allowed(req, page.caller.user.is_some()) {
            return Ok(None);
        }
        let key = ObjectTypeKey::parse(&object.object_type)?;
        let schema = services.object_schema(&tenant, &key).await?;
        let field = schema
            .plugin
            .manifest()
            .fields
            .iter()
            .chain(schema.added.iter().map(|(_, f)| f))
            .find(|f| f.key == form.field)
            .ok_or(ServiceError::NotFound("field"))?
            .clone();
        let value = parse_value(&field, &form.value).ok_or_else(|| {
            ServiceError::Invalid(
                vigie_domain::DomainError::invalid(
                    "value",
                    format!("\"{}\": unreadable value '{}'", field.label.en, form.value),
                )
                .fr(format!(
                    "« {} » : valeur illisible « {} ».",
                    field.label.fr, form.value
                )),
            )
        })?;
        services
            .contribute(
                Actor::Principal(&page.caller.principal()),
                &tenant,
                id,
                Contribution {
                    vintage: form.vintage.clone(),
                    values: vec![ProposedValue {
                        field: field.key.clone(),
                        value,
                    }],
                    source: Some(form.source.clone()),
                    contact_email: Some(form.contact_email.clone()),
                    contact_phone: None,
                    submission_key: Some(form.submission_key.clone()).filter(|k| !k.is_empty()),
                },
            )
            .await
            .map(Some)
    }
    .await;
    match result {
        Ok(None) => {
            let typed = Typed {
                error: Some((
                    StatusCode::TOO_MANY_REQUESTS,
                    page.lang.t("too_many").to_owned(),
                )),
                form: Some(form_copy),
                filing: None,
            };
            match render_object_with(&page, &slug, id, None, typed).await {
                Ok(r) => r,
                Err(e) => page.error_page(&e),
            }
        }
        // Post/redirect/get: reloading the page does not file the proposal twice. A Garant's
        // values are official at once; everyone else's wait for a decision.
        Ok(Some(facts)) => {
            let said = if facts
                .iter()
                .all(|f| f.state == vigie_domain::FactState::Accepted)
            {
                "entered"
            } else {
                "proposed"
            };
            poem::Response::builder()
                .status(StatusCode::SEE_OTHER)
                .header(
                    poem::http::header::LOCATION,
                    format!("/t/{slug}/o/{id}?{said}=1"),
                )
                .finish()
        }
        Err(ServiceError::NotFound(what)) => page.error_page(&ServiceError::NotFound(what)),
        Err(e) => {
            let error = Some(page.error(&e));
            let typed = Typed {
                error,
                form: Some(form_copy),
                filing: None,
            };
            match render_object_with(&page, &slug, id, None, typed).await {
                Ok(r) => r,
                Err(e) => page.error_page(&e),
            }
        }
    }
}
