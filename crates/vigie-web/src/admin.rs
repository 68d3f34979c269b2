//! The Gurus' pages: the platform (open a collective, appoint and remove Gurus, the loaded
//! plugins) and a collective's settings (its Garants and Certified citizens, its map).
//!
//! Every form calls the use case the JSON API calls; the rights are the use case's to decide.
//! The pages only ask whether to show themselves (and their links) at all.

use minijinja::{Value, context};
use poem::http::{StatusCode, header};
use poem::web::{Data, Form, Path};
use poem::{Request, Response, handler};
use vigie_domain::notify::Language;
use vigie_domain::{DataLicence, DomainError, ObjectTypeKey};
use vigie_http::Caller;
use vigie_services::{Actor, RoleIn, RoleTarget, ServiceError, TenantInput};
use vigie_storage::Tenant;

use crate::WebState;
use crate::page::Page;

/// A URL-encoded form as its (name, value) pairs: a name may come several times (checkboxes).
pub(crate) type Fields = Vec<(String, String)>;

/// The first value of `name` in a form, or "".
pub(crate) fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The form's values as a map for the template (the first of each name).
pub(crate) fn typed(fields: &Fields) -> Value {
    let mut map = std::collections::BTreeMap::new();
    for (k, v) in fields {
        map.entry(k.as_str()).or_insert(v.as_str());
    }
    Value::from_serialize(&map)
}

/// A redirect after a successful form (post/redirect/get).
pub(crate) fn see_other(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, to)
        .finish()
}

/// The sign-in page, then back to `path`.
pub(crate) fn sign_in_first(path: &str) -> Response {
    see_other(&crate::next::login_href(path))
}

/// The page refusing a signed-in visitor without the right (403).
pub(crate) fn forbidden(page: &Page<'_>) -> Response {
    let text = page.lang.t("admin_forbidden");
    page.render(
        StatusCode::FORBIDDEN,
        "message.html",
        context! { error => text },
    )
}

/// The confirmation named by `?done=` among `known`, in the page's language.
pub(crate) fn done_flash(page: &Page<'_>, req: &Request, known: &[&str]) -> Option<String> {
    let query = req.uri().query()?;
    let done = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "done")
        .map(|(_, v)| v.into_owned())?;
    known
        .iter()
        .find(|k| **k == done)
        .map(|k| page.lang.t(&format!("done_{k}")).to_owned())
}

/// A use case's refusal of a form, shown on the form: what to fix and its status. What the
/// form names and does not exist (an account by e-mail, a place by number, a type) is input to
/// fix (400), not a missing page.
pub(crate) fn form_error(page: &Page<'_>, e: &ServiceError) -> (StatusCode, String) {
    match e {
        ServiceError::NotFound("user") => (
            StatusCode::BAD_REQUEST,
            page.lang.t("admin_no_such_user").to_owned(),
        ),
        ServiceError::NotFound("role grant") => (
            StatusCode::BAD_REQUEST,
            page.lang.t("admin_no_such_grant").to_owned(),
        ),
        ServiceError::NotFound("object") => (
            StatusCode::BAD_REQUEST,
            page.lang.t("admin_no_such_place").to_owned(),
        ),
        _ => page.error(e),
    }
}

/// Whether a use case's refusal is about the caller's rights (shown as a page of its own).
pub(crate) fn is_refusal(e: &ServiceError) -> bool {
    matches!(
        e,
        ServiceError::Forbidden(_) | ServiceError::Unauthenticated(_)
    )
}

fn invalid(field: &'static str, en: &str, fr: &str) -> ServiceError {
    ServiceError::Invalid(DomainError::invalid(field, en).fr(fr))
}

/// A number typed in a form (a decimal comma is read as a point); empty is `None`.
pub(crate) fn number(
    raw: &str,
    field: &'static str,
    fr_label: &str,
) -> Result<Option<f64>, ServiceError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .map(Some)
        .ok_or_else(|| {
            invalid(
                field,
                &format!("'{raw}' is not a number"),
                &format!("« {fr_label} » : « {raw} » n'est pas un nombre."),
            )
        })
}

/// The map view typed in a form; all three empty: `None`.
fn map_view(fields: &Fields) -> Result<Option<(f64, f64, i64)>, ServiceError> {
    let lat = number(field(fields, "latitude"), "latitude", "Latitude")?;
    let lon = number(field(fields, "longitude"), "longitude", "Longitude")?;
    let zoom = number(field(fields, "zoom"), "zoom", "Zoom")?;
    match (lat, lon, zoom) {
        (None, None, None) => Ok(None),
        (Some(lat), Some(lon), zoom) => {
            #[allow(clippy::cast_possible_truncation)]
            let zoom = zoom.map_or(12, |z| z.round() as i64);
            Ok(Some((lat, lon, zoom)))
        }
        _ => Err(invalid(
            "latitude",
            "give the centre's latitude and longitude",
            "Donnez la latitude et la longitude du centre de la carte.",
        )),
    }
}

/// The object types this server knows, for checkboxes and selects.
fn known_types(page: &Page<'_>, checked: &[&str]) -> Vec<Value> {
    page.services()
        .known_types()
        .iter()
        .map(|k| {
            context! {
                key => k.as_str(), label => page.type_label(k.as_str()),
                checked => checked.contains(&k.as_str()),
            }
        })
        .collect()
}

/// What the platform page shows besides its lists.
#[derive(Default)]
struct PlatformShown {
    flash: Option<String>,
    error: Option<(StatusCode, String)>,
    /// The collective form as typed.
    collective: Option<Fields>,
    /// The Guru form as typed.
    guru: Option<Fields>,
}

async fn render_platform(page: &Page<'_>, shown: PlatformShown) -> Response {
    let services = page.services();
    let me = page.caller.principal();
    let lists = async {
        Ok::<_, ServiceError>((
            services.tenants().await?,
            services.role_holders(None).await?,
            services.outbox_counts(Actor::Principal(&me)).await?,
            services.outbox(Actor::Principal(&me), true, 50).await?,
        ))
    }
    .await;
    let (tenants, gurus, counts, failed) = match lists {
        Ok(l) => l,
        Err(e) => return page.error_page(&e),
    };
    let checked: Vec<&str> = shown
        .collective
        .as_ref()
        .map(|f| {
            f.iter()
                .filter(|(k, _)| k == "object_types")
                .map(|(_, v)| v.as_str())
                .collect()
        })
        .unwrap_or_default();
    let plugins: Vec<Value> = services
        .plugins()
        .plugins()
        .map(|p| {
            let m = p.manifest();
            context! {
                key => p.key(), label => page.type_label(p.key()),
                version => &m.plugin_version, interface => p.interface_version(),
                sha256 => p.sha256().get(..12).unwrap_or_default(),
            }
        })
        .collect();
    let status = shown.error.as_ref().map_or(StatusCode::OK, |(s, _)| *s);
    page.render(
        status,
        "admin.html",
        context! {
            flash => shown.flash,
            error => shown.error.map(|(_, t)| t),
            tenants => tenants.iter().map(|t| page.tenant_ctx(t)).collect::<Vec<_>>(),
            gurus => gurus.iter().map(|g| g.user_name.clone()).collect::<Vec<_>>(),
            plugins => plugins,
            outbox => context! { pending => counts.pending, sent => counts.sent, failed => counts.failed },
            failed_mail => failed.iter().map(|m| context! {
                id => m.id,
                // The address is private: its domain only.
                to => format!("…@{}", m.to.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()),
                subject => &m.subject,
                purpose => &m.purpose,
                attempts => m.attempts,
                error => m.last_error.as_deref().unwrap_or_default(),
            }).collect::<Vec<_>>(),
            types => known_types(page, &checked),
            collective => shown.collective.as_ref().map(typed),
            guru => shown.guru.as_ref().map(typed),
        },
    )
}

/// `GET /admin`: the platform page (Gurus).
#[handler]
pub async fn platform_page(req: &Request, state: Data<&WebState>, caller: Caller) -> Response {
    if caller.user.is_none() {
        return sign_in_first("/admin");
    }
    let page = Page::new(&state, req, caller);
    match state
        .services
        .may_administer_platform(&page.caller.principal())
        .await
    {
        Ok(true) => {}
        Ok(false) => return forbidden(&page),
        Err(e) => return page.error_page(&e),
    }
    let flash = done_flash(
        &page,
        req,
        &["guru_granted", "guru_revoked", "mail_retried"],
    );
    render_platform(
        &page,
        PlatformShown {
            flash,
            ..PlatformShown::default()
        },
    )
    .await
}

/// `POST /admin/collectives`: opens a collective, then its settings page.
#[handler]
pub async fn create_collective(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Form(fields): Form<Fields>,
) -> Response {
    if caller.user.is_none() {
        return sign_in_first("/admin");
    }
    let page = Page::new(&state, req, caller);
    let result = async {
        let input = TenantInput {
            slug: field(&fields, "slug").trim().to_owned(),
            name: field(&fields, "name").trim().to_owned(),
            description: field(&fields, "description").trim().to_owned(),
            map: map_view(&fields)?,
            tiles: None,
            object_types: fields
                .iter()
                .filter(|(k, _)| k == "object_types")
                .map(|(_, v)| v.clone())
                .collect(),
            official_domains: field(&fields, "official_domains")
                .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
                .map(|d| d.trim().trim_start_matches('@'))
                .filter(|d| !d.is_empty())
                .map(str::to_owned)
                .collect(),
        };
        state
            .services
            .create_tenant(Actor::Principal(&page.caller.principal()), input)
            .await
    }
    .await;
    match result {
        Ok(t) => see_other(&format!("/t/{}/admin?done=created", t.slug)),
        Err(e) if is_refusal(&e) => page.error_page(&e),
        Err(e) => {
            let error = Some(form_error(&page, &e));
            render_platform(
                &page,
                PlatformShown {
                    error,
                    collective: Some(fields),
                    ..PlatformShown::default()
                },
            )
            .await
        }
    }
}

/// `POST /admin/mail/{id}/retry`: sends a failed e-mail again (Gurus).
#[handler]
pub async fn retry_mail(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Response {
    if caller.user.is_none() {
        return sign_in_first("/admin");
    }
    let page = Page::new(&state, req, caller);
    let me = page.caller.principal();
    match page.services().retry_mail(Actor::Principal(&me), id).await {
        Ok(_) => see_other("/admin?done=mail_retried#courriel"),
        Err(e) => page.error_page(&e),
    }
}

/// `POST /admin/gurus`: appoints (`action=grant`) or removes (`action=revoke`) a Guru, by
/// e-mail.
#[handler]
pub async fn change_guru(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Form(fields): Form<Fields>,
) -> Response {
    if caller.user.is_none() {
        return sign_in_first("/admin");
    }
    let page = Page::new(&state, req, caller);
    let grant = field(&fields, "action") != "revoke";
    let result = state
        .services
        .change_role(
            Actor::Principal(&page.caller.principal()),
            None,
            &RoleIn::Guru,
            grant,
            &RoleTarget::Email(field(&fields, "email").trim().to_owned()),
        )
        .await;
    match result {
        Ok(_) if grant => see_other("/admin?done=guru_granted#gurus"),
        Ok(_) => see_other("/admin?done=guru_revoked#gurus"),
        Err(e) if is_refusal(&e) => page.error_page(&e),
        Err(e) => {
            let error = Some(form_error(&page, &e));
            render_platform(
                &page,
                PlatformShown {
                    error,
                    guru: Some(fields),
                    ..PlatformShown::default()
                },
            )
            .await
        }
    }
}

/// What a collective's settings page shows besides its lists.
#[derive(Default)]
struct SettingsShown {
    flash: Option<String>,
    error: Option<(StatusCode, String)>,
    /// The role forms as typed (with `role`: `garant` or `certified`).
    role: Option<Fields>,
    /// The map form as typed.
    map: Option<Fields>,
    /// The language and licence form as typed.
    publication: Option<Fields>,
}

/// `{type} — {place number}` or `{type}` of a role's domain pattern (`slug/type/id`).
fn role_scope(page: &Page<'_>, pattern: &str) -> String {
    let mut parts = pattern.splitn(3, '/').skip(1);
    match (parts.next(), parts.next()) {
        (Some(ty), Some(id)) => format!(
            "{} — {} {id}",
            page.type_label(ty),
            page.lang.t("place_number")
        ),
        (Some(ty), None) => page.type_label(ty),
        _ => String::new(),
    }
}

async fn render_settings(page: &Page<'_>, tenant: &Tenant, shown: SettingsShown) -> Response {
    let lang = page.lang;
    let holders = match page.services().role_holders(Some(tenant)).await {
        Ok(h) => h,
        Err(e) => return page.error_page(&e),
    };
    let holders: Vec<Value> = holders
        .iter()
        .map(|h| {
            context! {
                role => lang.t(&format!("role_{}", h.role.as_str())),
                name => &h.user_name,
                scope => role_scope(page, &h.domain_pattern),
            }
        })
        .collect();
    let types: Vec<Value> = tenant
        .object_types
        .iter()
        .map(|k| context! { key => k.as_str(), label => page.type_label(k.as_str()) })
        .collect();
    let map = match &shown.map {
        Some(f) => typed(f),
        None => context! {
            latitude => tenant.map.latitude.to_string(),
            longitude => tenant.map.longitude.to_string(),
            zoom => tenant.map.zoom.to_string(),
            tile_url => tenant.tiles.as_ref().map(|t| t.url().to_owned()).unwrap_or_default(),
            attribution => tenant.tiles.as_ref().map(|t| t.attribution().to_owned()).unwrap_or_default(),
        },
    };
    let (language, licence) = match &shown.publication {
        Some(f) => (field(f, "language"), field(f, "licence")),
        None => (tenant.language.as_str(), tenant.licence.id()),
    };
    let publication = context! {
        language => language,
        licence => licence,
        licence_title => tenant.licence.title(),
        licence_url => tenant.licence.url(),
        languages => Language::ALL
            .iter()
            .map(|l| context! { id => l.as_str(), label => lang.t(&format!("language_{}", l.as_str())) })
            .collect::<Vec<_>>(),
        licences => DataLicence::ALL
            .iter()
            .map(|l| context! { id => l.id(), title => l.title() })
            .collect::<Vec<_>>(),
    };
    let status = shown.error.as_ref().map_or(StatusCode::OK, |(s, _)| *s);
    page.render(
        status,
        "tenant_admin.html",
        context! {
            tenant => page.tenant_ctx(tenant),
            flash => shown.flash,
            error => shown.error.map(|(_, t)| t),
            holders => holders,
            types => types,
            role => shown.role.as_ref().map(typed),
            map => map,
            publication => publication,
        },
    )
}

/// The collective, if the caller may change its settings: else the page to answer with.
async fn settings_tenant(page: &Page<'_>, slug: &str) -> Result<Tenant, Response> {
    let services = page.services();
    let tenant = services
        .tenant(slug)
        .await
        .map_err(|e| page.error_page(&e))?;
    match services
        .may_administer_tenant(&page.caller.principal(), &tenant)
        .await
    {
        Ok(true) => Ok(tenant),
        Ok(false) => Err(forbidden(page)),
        Err(e) => Err(page.error_page(&e)),
    }
}

/// `GET /t/:slug/admin`: a collective's settings (Gurus).
#[handler]
pub async fn settings_page(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Response {
    if caller.user.is_none() {
        return sign_in_first(&format!("/t/{slug}/admin"));
    }
    let page = Page::new(&state, req, caller);
    let tenant = match settings_tenant(&page, &slug).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let flash = done_flash(
        &page,
        req,
        &[
            "created",
            "role_granted",
            "role_revoked",
            "map_saved",
            "publication_saved",
        ],
    );
    render_settings(
        &page,
        &tenant,
        SettingsShown {
            flash,
            ..SettingsShown::default()
        },
    )
    .await
}

/// `POST /t/:slug/admin/roles`: appoints or removes a Garant of a type (`role=garant`,
/// `object_type`) or a Certified citizen of a place (`role=certified`, `object_id`), by
/// e-mail (`action=grant` or `revoke`).
#[handler]
pub async fn change_role(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path(slug): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    if caller.user.is_none() {
        return sign_in_first(&format!("/t/{slug}/admin"));
    }
    let page = Page::new(&state, req, caller);
    let services = page.services();
    let tenant = match services.tenant(&slug).await {
        Ok(t) => t,
        Err(e) => return page.error_page(&e),
    };
    let grant = field(&fields, "action") != "revoke";
    let result = async {
        let role = match field(&fields, "role") {
            "certified" => {
                let raw = field(&fields, "object_id").trim();
                let id: i64 = raw.parse().map_err(|_| {
                    invalid(
                        "object_id",
                        "write the place's number (it is in the place's address: /o/NUMBER)",
                        "Écrivez le numéro du lieu (il est dans l'adresse de sa page : /o/NUMÉRO).",
                    )
                })?;
                // The place's own type: the use case checks it is one of this collective's.
                let object = services.object(&tenant, id).await?;
                RoleIn::Certified(ObjectTypeKey::parse(&object.object_type)?, id)
            }
            _ => RoleIn::Garant(ObjectTypeKey::parse(field(&fields, "object_type"))?),
        };
        services
            .change_role(
                Actor::Principal(&page.caller.principal()),
                Some(&tenant),
                &role,
                grant,
                &RoleTarget::Email(field(&fields, "email").trim().to_owned()),
            )
            .await
    }
    .await;
    // A Garant certifies from their desk, and goes back there.
    let from_desk = field(&fields, "from") == "garant";
    let (back, anchor) = if from_desk {
        ("garant", "certify")
    } else {
        ("admin", "roles")
    };
    match result {
        Ok(_) if grant => see_other(&format!("/t/{slug}/{back}?done=role_granted#{anchor}")),
        Ok(_) => see_other(&format!("/t/{slug}/{back}?done=role_revoked#{anchor}")),
        Err(e) if is_refusal(&e) => page.error_page(&e),
        Err(e) if from_desk => crate::garant::desk_again(&page, &slug, "certify", fields, &e).await,
        Err(e) => {
            let error = Some(form_error(&page, &e));
            render_settings(
                &page,
                &tenant,
                SettingsShown {
                    error,
                    role: Some(fields),
                    ..SettingsShown::default()
                },
            )
            .await
        }
    }
}

/// `POST /t/:slug/admin/map`: the map's default view and the collective's own tiles (both
/// tile fields empty: the instance's).
#[handler]
pub async fn set_map(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path(slug): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    if caller.user.is_none() {
        return sign_in_first(&format!("/t/{slug}/admin"));
    }
    let page = Page::new(&state, req, caller);
    let services = page.services();
    let tenant = match services.tenant(&slug).await {
        Ok(t) => t,
        Err(e) => return page.error_page(&e),
    };
    let result = async {
        let view = map_view(&fields)?.ok_or_else(|| {
            invalid(
                "latitude",
                "give the centre's latitude and longitude",
                "Donnez la latitude et la longitude du centre de la carte.",
            )
        })?;
        let url = field(&fields, "tile_url").trim();
        let attribution = field(&fields, "attribution").trim();
        let tiles = (!url.is_empty() || !attribution.is_empty())
            .then(|| (url.to_owned(), attribution.to_owned()));
        services
            .set_tenant_map(
                Actor::Principal(&page.caller.principal()),
                &slug,
                view,
                tiles,
            )
            .await
    }
    .await;
    match result {
        Ok(_) => see_other(&format!("/t/{slug}/admin?done=map_saved#carte")),
        Err(e) if is_refusal(&e) => page.error_page(&e),
        Err(e) => {
            let error = Some(form_error(&page, &e));
            render_settings(
                &page,
                &tenant,
                SettingsShown {
                    error,
                    map: Some(fields),
                    ..SettingsShown::default()
                },
            )
            .await
        }
    }
}

/// `POST /t/:slug/admin/publication`: the language of the collective's messages to people
/// without an account and the licence of its open data.
#[handler]
pub async fn set_publication(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path(slug): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    if caller.user.is_none() {
        return sign_in_first(&format!("/t/{slug}/admin"));
    }
    let page = Page::new(&state, req, caller);
    let services = page.services();
    let tenant = match services.tenant(&slug).await {
        Ok(t) => t,
        Err(e) => return page.error_page(&e),
    };
    let result = services
        .set_tenant_publication(
            Actor::Principal(&page.caller.principal()),
            &slug,
            field(&fields, "language"),
            field(&fields, "licence"),
        )
        .await;
    match result {
        Ok(_) => see_other(&format!(
            "/t/{slug}/admin?done=publication_saved#publication"
        )),
        Err(e) if is_refusal(&e) => page.error_page(&e),
        Err(e) => {
            let error = Some(form_error(&page, &e));
            render_settings(
                &page,
                &tenant,
                SettingsShown {
                    error,
                    publication: Some(fields),
                    ..SettingsShown::default()
                },
            )
            .await
        }
    }
}
