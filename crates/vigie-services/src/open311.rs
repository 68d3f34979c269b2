//! Open311 GeoReport v2 (<http://wiki.open311.org/GeoReport_v2/>): a collective's requests as
//! the standard shows them, for the reporting apps and city back-offices that speak it, and
//! filing through it with an API key its Garants issue.
//!
//! A *jurisdiction* is a collective (its slug); a *service* is one request kind of one type
//! of place (`schools.intervention`), whose extra fields are the service definition's
//! attributes. A request is shown as the pages show it to anyone: awaiting moderation or set
//! apart, without its words. Nothing here ever carries an e-mail, a phone, an IP or a token,
//! except the filer's own follow token in the answer to their filing.

use std::collections::HashMap;

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use vigie_domain::requests::{RequestStatus, check_text};
use vigie_domain::{Bilingual, DomainError, ObjectTypeKey, Principal, UserId};
use vigie_plugins::wit;
use vigie_storage::{ApiKey, OPEN311_OPEN, ObservedObject, RequestFilter, RequestRecord, Tenant};

use crate::accounts::{random_token, token_hash};
use crate::actor::Actor;
use crate::objects::ProposedValue;
use crate::requests::{distance_m, nearby_box, pending_placeholder};
use crate::{FiledRequest, RequestInput, ServiceError, Services};

/// At most this many requests in one answer (Open311's default bound).
pub const OPEN311_MAX_RESULTS: i64 = 1000;

/// The default window of `GET requests`, and the widest a client may ask: 90 days.
pub const OPEN311_WINDOW_DAYS: i64 = 90;

/// A place given by position files on the nearest place of the service's type this close.
pub const OPEN311_NEAREST_M: f64 = 300.0;

/// One Open311 service: a request kind of a type of place.
#[derive(Debug, Clone)]
pub struct Open311Service {
    /// `{type}.{kind}`, e.g. `schools.intervention`.
    pub code: String,
    /// The type of place.
    pub object_type: ObjectTypeKey,
    /// The type's plural name (the service's group).
    pub group: wit::Localized,
    /// The kind, as its plugin describes it.
    pub kind: wit::RequestKind,
}

impl Open311Service {
    /// Whether it has attributes (Open311's `metadata`).
    pub fn metadata(&self) -> bool {
        !self.kind.fields.is_empty()
    }

    /// Its name: the kind's and the type's, in French (« Demande d'intervention — Écoles »).
    pub fn name(&self) -> String {
        format!("{} — {}", self.kind.label.fr, self.group.fr)
    }
}

/// What a client asks of `GET requests`, as it wrote it.
#[derive(Debug, Clone, Default)]
pub struct Open311Query {
    /// Comma-separated request ids: override every other filter.
    pub service_request_id: Option<String>,
    /// Comma-separated service codes.
    pub service_code: Option<String>,
    /// W3C date-time (or a day) from which.
    pub start_date: Option<String>,
    /// W3C date-time (or a day) until which.
    pub end_date: Option<String>,
    /// `open`, `closed` or both, comma-separated.
    pub status: Option<String>,
}

/// A request as Open311 shows it to anyone.
#[derive(Debug, Clone)]
pub struct Open311Request {
    /// The request.
    pub request: RequestRecord,
    /// The service code.
    pub service_code: String,
    /// The service name.
    pub service_name: String,
    /// Open311's `open` or `closed`.
    pub open: bool,
    /// Our detailed status (French label and key), the refusal reason, or why its words are
    /// hidden.
    pub status_notes: String,
    /// Its words, unless hidden (awaiting moderation, set apart).
    pub description: Option<String>,
    /// Who handles it: the public names and roles of its current assignees.
    pub agency_responded: Option<String>,
    /// The place: its address line, postcode and position.
    pub address: Option<String>,
    /// Postcode.
    pub zipcode: Option<String>,
    /// Latitude.
    pub lat: Option<f64>,
    /// Longitude.
    pub long: Option<f64>,
    /// The URL of its first photo, if it has one and its words are shown.
    pub media_url: Option<String>,
}

/// A filing through Open311, as the client sent it.
#[derive(Debug, Clone, Default)]
pub struct Open311Filing {
    /// The API key.
    pub api_key: Option<String>,
    /// The service code.
    pub service_code: Option<String>,
    /// Our place id (Open311's `address_id`).
    pub address_id: Option<String>,
    /// Latitude, when no `address_id`.
    pub lat: Option<String>,
    /// Longitude, when no `address_id`.
    pub long: Option<String>,
    /// What is wrong.
    pub description: Option<String>,
    /// `attribute[CODE]` values.
    pub attributes: Vec<(String, String)>,
    /// The filer's address: their private contact, confirmed by the usual e-mail.
    pub email: Option<String>,
    /// Whether a `media_url` was sent (not fetched: photos are attached on the request page).
    pub media_url_given: bool,
    /// The client's idempotency key.
    pub submission_key: Option<String>,
}

/// A request filed through Open311.
#[derive(Debug, Clone)]
pub struct Open311Filed {
    /// What filing gave.
    pub filed: FiledRequest,
    /// What the filer should know (moderation, an ignored `media_url`).
    pub notice: String,
}

/// An API key just issued: the secret is shown once, here.
#[derive(Debug, Clone)]
pub struct IssuedApiKey {
    /// The key as stored.
    pub key: ApiKey,
    /// The secret to give the application.
    pub secret: String,
}

fn invalid(field: &'static str, en: impl Into<String>, fr: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(DomainError::invalid(field, en).fr(fr))
}

/// A W3C date-time as Open311 writes it (UTC, whole seconds).
pub fn w3c(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A date-time (`2026-12-01T10:00:00Z`, `…+01:00`) or a day (`2026-12-01`: its start, or its
/// end when `end_of_day`).
fn parse_when(
    field: &'static str,
    raw: &str,
    end_of_day: bool,
) -> Result<OffsetDateTime, ServiceError> {
    let raw = raw.trim();
    if let Ok(t) = OffsetDateTime::parse(raw, &Rfc3339) {
        return Ok(t);
    }
    let day = time::Date::parse(
        raw,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| {
        invalid(
            field,
            format!("'{raw}' is not a W3C date-time: write 2026-12-01T00:00:00Z or 2026-12-01"),
            format!("« {raw} » n'est pas une date : écrivez 2026-12-01T00:00:00Z ou 2026-12-01."),
        )
    })?;
    let time = if end_of_day {
        time::Time::from_hms(23, 59, 59).unwrap_or(time::Time::MIDNIGHT)
    } else {
        time::Time::MIDNIGHT
    };
    Ok(day.with_time(time).assume_utc())
}

/// A title for a request filed with a description only: its first line, cut at a word.
fn title_of(description: &str, fallback: &str) -> String {
    let first = description
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    let title = if first.chars().count() <= 80 {
        first.to_owned()
    } else {
        let cut: String = first.chars().take(80).collect();
        let at = cut.rfind(' ').filter(|&i| i > 40).unwrap_or(cut.len());
        format!("{}…", cut[..at].trim_end())
    };
    if title.chars().count() >= 3 {
        title
    } else {
        fallback.to_owned()
    }
}

/// A value typed for an attribute, read as its field's kind.
fn attribute_value(field: &wit::Field, raw: &str) -> Option<wit::Value> {
    let raw = raw.trim();
    Some(match &field.kind {
        wit::FieldKind::Integer => wit::Value::Integer(raw.parse().ok()?),
        wit::FieldKind::Decimal => wit::Value::Decimal(raw.replace(',', ".").parse().ok()?),
        wit::FieldKind::Boolean => wit::Value::Boolean(match raw.to_lowercase().as_str() {
            "true" | "1" | "yes" | "oui" => true,
            "false" | "0" | "no" | "non" => false,
            _ => return None,
        }),
        wit::FieldKind::Choice(options) => wit::Value::Choice(
            options
                .iter()
                .find(|o| o.key == raw)
                .map(|o| o.key.clone())?,
        ),
        wit::FieldKind::Date => wit::Value::Date(raw.get(..10)?.to_owned()),
        wit::FieldKind::DateTime => wit::Value::DateTime(raw.to_owned()),
        wit::FieldKind::Url => wit::Value::Url(raw.to_owned()),
        wit::FieldKind::Text | wit::FieldKind::LongText => wit::Value::Text(raw.to_owned()),
    })
}

/// Open311's datatype of a field.
pub fn datatype(kind: &wit::FieldKind) -> &'static str {
    match kind {
        wit::FieldKind::Integer | wit::FieldKind::Decimal => "number",
        wit::FieldKind::Text | wit::FieldKind::Url => "string",
        wit::FieldKind::LongText => "text",
        wit::FieldKind::Date | wit::FieldKind::DateTime => "datetime",
        wit::FieldKind::Boolean | wit::FieldKind::Choice(_) => "singlevaluelist",
    }
}

/// The values a list field offers, `(key, name)`.
pub fn list_values(kind: &wit::FieldKind) -> Vec<(String, String)> {
    match kind {
        wit::FieldKind::Boolean => vec![
            ("true".into(), "Oui / Yes".into()),
            ("false".into(), "Non / No".into()),
        ],
        wit::FieldKind::Choice(options) => options
            .iter()
            .map(|o| (o.key.clone(), format!("{} / {}", o.label.fr, o.label.en)))
            .collect(),
        _ => Vec::new(),
    }
}

/// A field's help for Open311's `datatype_description`: the help and unit it has, and the
/// format of dates.
pub fn datatype_description(field: &wit::Field) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(h) = &field.help {
        parts.push(format!("{} / {}", h.fr, h.en));
    }
    if let Some(u) = &field.unit {
        parts.push(format!("{} / {}", u.fr, u.en));
    }
    match field.kind {
        wit::FieldKind::Date => parts.push("AAAA-MM-JJ / YYYY-MM-DD".into()),
        wit::FieldKind::DateTime => parts.push("2026-12-01T10:00:00Z".into()),
        _ => {}
    }
    (!parts.is_empty()).then(|| parts.join(" — "))
}

impl Services {
    /// The collective a `jurisdiction_id` names; without one, the instance's only collective
    /// (several: the client must say which).
    pub async fn open311_jurisdiction(&self, id: Option<&str>) -> Result<Tenant, ServiceError> {
        if let Some(slug) = id.map(str::trim).filter(|s| !s.is_empty()) {
            return self.tenant(slug).await;
        }
        let mut tenants = self.tenants().await?;
        if tenants.len() == 1 {
            return Ok(tenants.remove(0));
        }
        let slugs: Vec<String> = tenants.iter().map(|t| t.slug.as_str().to_owned()).collect();
        Err(invalid(
            "jurisdiction_id",
            format!(
                "this instance hosts several collectives: give jurisdiction_id, one of {}",
                slugs.join(", ")
            ),
            format!(
                "Ce serveur héberge plusieurs collectifs : précisez jurisdiction_id, parmi {}.",
                slugs.join(", ")
            ),
        ))
    }

    /// The services of a collective: each request kind of each of its types.
    pub fn open311_services(&self, tenant: &Tenant) -> Vec<Open311Service> {
        let mut out = Vec::new();
        for key in &tenant.object_types {
            let Some(plugin) = self.plugins.get(key.as_str()) else {
                continue;
            };
            let m = plugin.manifest();
            for kind in &m.request_kinds {
                out.push(Open311Service {
                    code: format!("{}.{}", key.as_str(), kind.key),
                    object_type: key.clone(),
                    group: m.identity.plural_name.clone(),
                    kind: kind.clone(),
                });
            }
        }
        out
    }

    /// One service of a collective, by its code.
    pub fn open311_service(
        &self,
        tenant: &Tenant,
        code: &str,
    ) -> Result<Open311Service, ServiceError> {
        self.open311_services(tenant)
            .into_iter()
            .find(|s| s.code == code)
            .ok_or(ServiceError::NotFound("service"))
    }

    fn service_name(&self, r: &RequestRecord) -> String {
        let Some(plugin) = self.plugins.get(&r.object_type) else {
            return r.kind.clone();
        };
        let m = plugin.manifest();
        match m.request_kinds.iter().find(|k| k.key == r.kind) {
            Some(k) => format!("{} — {}", k.label.fr, m.identity.plural_name.fr),
            None => r.kind.clone(),
        }
    }

    /// The requests a client asks for, as anyone sees them, newest first, at most
    /// [`OPEN311_MAX_RESULTS`]; by default those filed in the last 90 days.
    pub async fn open311_requests(
        &self,
        tenant: &Tenant,
        query: &Open311Query,
    ) -> Result<Vec<Open311Request>, ServiceError> {
        let mut filter = RequestFilter::default();
        if let Some(ids) = query
            .service_request_id
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            for raw in ids.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let id = raw.parse::<i64>().map_err(|_| {
                    invalid(
                        "service_request_id",
                        format!("'{raw}' is not a request id: give numbers, comma-separated"),
                        format!("« {raw} » n'est pas un numéro de demande : donnez des nombres séparés par des virgules."),
                    )
                })?;
                if !filter.ids.contains(&id) {
                    filter.ids.push(id);
                }
            }
            if filter.ids.len() > OPEN311_MAX_RESULTS as usize {
                return Err(invalid(
                    "service_request_id",
                    format!("ask for at most {OPEN311_MAX_RESULTS} requests at once"),
                    format!("Demandez au plus {OPEN311_MAX_RESULTS} demandes à la fois."),
                ));
            }
        } else {
            if let Some(codes) = query
                .service_code
                .as_deref()
                .filter(|s| !s.trim().is_empty())
            {
                let services = self.open311_services(tenant);
                for code in codes.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let s = services.iter().find(|s| s.code == code).ok_or_else(|| {
                        invalid(
                            "service_code",
                            format!("unknown service_code '{code}': the list is at services.json"),
                            format!(
                                "Code de service inconnu « {code} » : la liste est à services.json."
                            ),
                        )
                    })?;
                    filter
                        .services
                        .push((s.object_type.as_str().to_owned(), s.kind.key.clone()));
                }
            }
            let start = query
                .start_date
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(|s| parse_when("start_date", s, false))
                .transpose()?;
            let end = query
                .end_date
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(|s| parse_when("end_date", s, true))
                .transpose()?;
            let window = Duration::days(OPEN311_WINDOW_DAYS);
            let (start, end) = match (start, end) {
                (None, None) => {
                    let now = OffsetDateTime::now_utc();
                    (now - window, now)
                }
                (Some(s), None) => (s, s + window),
                (None, Some(e)) => (e - window, e),
                (Some(s), Some(e)) => (s, e),
            };
            if end < start {
                return Err(invalid(
                    "end_date",
                    "end_date is before start_date",
                    "La date de fin (end_date) précède la date de début (start_date).",
                ));
            }
            if end - start > window + Duration::days(1) {
                return Err(invalid(
                    "end_date",
                    format!("the dates may not span more than {OPEN311_WINDOW_DAYS} days"),
                    format!(
                        "Les dates ne peuvent pas couvrir plus de {OPEN311_WINDOW_DAYS} jours."
                    ),
                ));
            }
            filter.filed_from = Some(vigie_storage::timestamp(start));
            filter.filed_until = Some(vigie_storage::timestamp(end));
            if let Some(status) = query.status.as_deref().filter(|s| !s.trim().is_empty()) {
                let (mut open, mut closed) = (false, false);
                for s in status.split(',').map(str::trim) {
                    match s {
                        "open" => open = true,
                        "closed" => closed = true,
                        other => {
                            return Err(invalid(
                                "status",
                                format!("unknown status '{other}': use open or closed"),
                                format!("Statut inconnu « {other} » : écrivez open ou closed."),
                            ));
                        }
                    }
                }
                filter.open = (open != closed).then_some(open);
            }
        }
        let records = self
            .store
            .open311_requests(tenant.id, &filter, OPEN311_MAX_RESULTS)
            .await?;
        let mut places: HashMap<i64, ObservedObject> = HashMap::new();
        let mut out = Vec::with_capacity(records.len());
        for r in records {
            let place = match places.entry(r.object_id) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(self.object(tenant, r.object_id).await?)
                }
            };
            let place = Some(&*place);
            out.push(self.open311_view(tenant, r, place).await?);
        }
        Ok(out)
    }

    /// One request, as anyone sees it.
    pub async fn open311_request(
        &self,
        tenant: &Tenant,
        raw_id: &str,
    ) -> Result<Open311Request, ServiceError> {
        let id = raw_id
            .trim()
            .parse::<i64>()
            .map_err(|_| ServiceError::NotFound("request"))?;
        let r = self.request(tenant, id).await?;
        let place = self.object(tenant, r.object_id).await?;
        self.open311_view(tenant, r, Some(&place)).await
    }

    async fn open311_view(
        &self,
        tenant: &Tenant,
        r: RequestRecord,
        place: Option<&ObservedObject>,
    ) -> Result<Open311Request, ServiceError> {
        let open = OPEN311_OPEN.contains(&r.status) && r.merged_into.is_none();
        let hidden = matches!(r.status, RequestStatus::New | RequestStatus::SetApart);
        let label = format!("{} ({})", r.status.label_fr(), r.status.as_str());
        let status_notes = match (r.status, r.merged_into) {
            (_, Some(into)) => format!(
                "{label} — fusionnée dans la demande n° {into} / merged into request {into}"
            ),
            (RequestStatus::New, _) => {
                let p = pending_placeholder(r.filed_at);
                format!("{label} — {}", p.french().unwrap_or(p.en()))
            }
            (RequestStatus::SetApart, _) => format!(
                "{label} — contenu masqué / content hidden{}",
                r.moderation_reason
                    .as_deref()
                    .map(|m| format!(" — motif / reason : {m}"))
                    .unwrap_or_default()
            ),
            (RequestStatus::Refused, _) => format!(
                "{label} — motif / reason : {}",
                r.moderation_reason.as_deref().unwrap_or("—")
            ),
            _ => label,
        };
        let description = (!hidden).then(|| {
            let (title, text) = (r.shown_title(), r.shown_description());
            if text.starts_with(title.trim_end_matches('…')) {
                text.to_owned()
            } else {
                format!("{title}\n\n{text}")
            }
        });
        let (mut agency_responded, mut media_url) = (None, None);
        if !hidden {
            let names: Vec<String> = self
                .store
                .assignments(r.id)
                .await?
                .into_iter()
                .filter(|a| a.removed_at.is_none())
                .map(|a| match a.role_title {
                    Some(role) => format!("{} ({role})", a.name),
                    None => a.name,
                })
                .collect();
            agency_responded = (!names.is_empty()).then(|| names.join("; "));
            media_url = self
                .store
                .request_documents(tenant.id, r.id)
                .await?
                .into_iter()
                .find(|d| d.content_type.starts_with("image/"))
                .map(|d| {
                    format!(
                        "{}/api/v1/tenants/{}/documents/{}/file",
                        self.settings.public_url, tenant.slug, d.id
                    )
                });
        }
        let (mut address, mut zipcode, mut lat, mut long) = (None, None, None, None);
        if let Some(o) = place {
            let i = &o.identity;
            let town = [i.postcode.as_deref(), i.city.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            let line = [
                Some(i.official_name.as_str()),
                i.street.as_deref(),
                Some(town.as_str()),
            ]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
            address = Some(line);
            zipcode = i.postcode.clone();
            lat = i.latitude;
            long = i.longitude;
        }
        Ok(Open311Request {
            service_code: format!("{}.{}", r.object_type, r.kind),
            service_name: self.service_name(&r),
            open,
            status_notes,
            description,
            agency_responded,
            address,
            zipcode,
            lat,
            long,
            media_url,
            request: r,
        })
    }

    /// The key a filing came with, if it is a live key of this collective.
    async fn open311_key(
        &self,
        tenant: &Tenant,
        secret: Option<&str>,
    ) -> Result<ApiKey, ServiceError> {
        let refused = |en: &str, fr: &str| {
            ServiceError::Unauthenticated(Bilingual::new(en.to_owned()).fr(fr.to_owned()))
        };
        let secret = secret.map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| {
            refused(
                "api_key is required to file a request: ask the collective's Garant for one",
                "Une clé (api_key) est nécessaire pour déposer une demande : demandez-la au Garant du collectif.",
            )
        })?;
        let key = self.store.api_key_by_hash(&token_hash(secret)).await?;
        match key {
            Some(k) if k.tenant_id == tenant.id && k.revoked_at.is_none() => {
                self.store.touch_api_key(k.id).await?;
                Ok(k)
            }
            Some(k) if k.tenant_id == tenant.id => Err(refused(
                "this api_key was revoked: ask the collective's Garant for a new one",
                "Cette clé (api_key) a été révoquée : demandez-en une nouvelle au Garant du collectif.",
            )),
            _ => Err(refused(
                "this api_key is not one of this collective: ask its Garant for one",
                "Cette clé (api_key) n'est pas une clé de ce collectif : demandez-en une à son Garant.",
            )),
        }
    }

    /// Files a request through Open311: a live key of the collective, a service, a place
    /// (`address_id`, or a position within 300 m of a place of the service's type) and a
    /// description. It goes through [`Services::file_request`] as an anonymous filing:
    /// moderation, bounds and idempotency as usual; an e-mail becomes the filer's private
    /// contact, which the usual message confirms.
    pub async fn open311_file(
        &self,
        tenant: &Tenant,
        filing: Open311Filing,
    ) -> Result<Open311Filed, ServiceError> {
        self.open311_key(tenant, filing.api_key.as_deref()).await?;
        let code = filing
            .service_code
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                invalid(
                    "service_code",
                    "service_code is required: the list is at services.json",
                    "Le code de service (service_code) est obligatoire : la liste est à services.json.",
                )
            })?;
        let service = self.open311_service(tenant, code).map_err(|_| {
            invalid(
                "service_code",
                format!("unknown service_code '{code}': the list is at services.json"),
                format!("Code de service inconnu « {code} » : la liste est à services.json."),
            )
        })?;
        let description = filing.description.as_deref().map(str::trim).unwrap_or("");
        if description.is_empty() {
            return Err(invalid(
                "description",
                "description is required: say what is wrong",
                "La description est obligatoire : dites ce qui ne va pas.",
            ));
        }
        let description = check_text("description", description, 3, 4000)?;
        let ty = service.object_type.as_str();
        let object_id = if let Some(raw) = filing
            .address_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let object = match raw.parse::<i64>() {
                Ok(id) => self.object(tenant, id).await.ok(),
                Err(_) => None,
            };
            match object {
                Some(o) if o.object_type == ty => o.id,
                _ => {
                    return Err(invalid(
                        "address_id",
                        format!(
                            "address_id '{raw}' is not a place of type {ty} of this collective"
                        ),
                        format!(
                            "address_id « {raw} » n'est pas un lieu de type {ty} de ce collectif."
                        ),
                    ));
                }
            }
        } else {
            let number = |field: &'static str, raw: Option<&str>| {
                raw.map(str::trim)
                    .filter(|s| !s.is_empty())
                    .and_then(|s| s.parse::<f64>().ok())
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| {
                        invalid(
                            field,
                            "give the place: address_id (a place id), or lat and long (WGS84 degrees)",
                            "Indiquez le lieu : address_id (numéro du lieu), ou lat et long (degrés WGS84).",
                        )
                    })
            };
            let lat = number("lat", filing.lat.as_deref())?;
            let long = number("long", filing.long.as_deref())?;
            if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&long) {
                return Err(invalid(
                    "lat",
                    "lat must be within -90..90 and long within -180..180",
                    "lat doit être entre -90 et 90, long entre -180 et 180.",
                ));
            }
            let here = (lat, long);
            let (latitudes, longitudes) = nearby_box(here, OPEN311_NEAREST_M);
            self.store
                .objects_in_box(tenant.id, ty, latitudes, longitudes)
                .await?
                .into_iter()
                .map(|(id, la, lo)| (id, distance_m(here, (la, lo))))
                .filter(|(_, d)| *d <= OPEN311_NEAREST_M)
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(id, _)| id)
                .ok_or_else(|| {
                    invalid(
                        "lat",
                        format!(
                            "no place of type {ty} within {OPEN311_NEAREST_M} m of this position: \
                             give its address_id, or a position closer to it"
                        ),
                        format!(
                            "Aucun lieu de type {ty} à moins de {OPEN311_NEAREST_M} m de cette \
                             position : donnez son address_id, ou une position plus proche."
                        ),
                    )
                })?
        };
        let mut fields = Vec::new();
        for (code, raw) in &filing.attributes {
            let field = service
                .kind
                .fields
                .iter()
                .find(|f| &f.key == code)
                .ok_or_else(|| {
                    invalid(
                        "attribute",
                        format!(
                            "'{code}' is not an attribute of {}: see services/{}.json",
                            service.code, service.code
                        ),
                        format!("« {code} » n'est pas un attribut de ce service."),
                    )
                })?;
            if raw.trim().is_empty() {
                continue;
            }
            let value = attribute_value(field, raw).ok_or_else(|| {
                invalid(
                    "attribute",
                    format!(
                        "attribute[{code}] = '{raw}' is not a {}",
                        datatype(&field.kind)
                    ),
                    format!("La valeur « {raw} » ne convient pas à l'attribut {code}."),
                )
            })?;
            fields.push(ProposedValue {
                field: code.clone(),
                value,
            });
        }
        let input = RequestInput {
            kind: service.kind.key.clone(),
            title: title_of(&description, &service.kind.label.fr),
            description,
            fields,
            contact_email: filing.email.clone(),
            submission_key: filing.submission_key.clone(),
            ..RequestInput::default()
        };
        let filed = self
            .file_request(
                Actor::Principal(&Principal::Anonymous),
                tenant,
                object_id,
                input,
            )
            .await?;
        let mut notice = String::from(
            "Demande enregistrée : elle sera publiée après modération. / \
             Request recorded: it will be public once moderated.",
        );
        if filing.media_url_given {
            notice.push_str(
                " media_url n'est pas lu : joignez les photos depuis la page de la demande. / \
                 media_url is not fetched: attach photos from the request's page.",
            );
        }
        Ok(Open311Filed { filed, notice })
    }

    /// Whom the caller is, if they may manage the collective's API keys (a Garant of one of
    /// its types, a Guru, the operator).
    async fn key_keeper(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
    ) -> Result<Option<UserId>, ServiceError> {
        let principal = match actor {
            Actor::Operator => return Ok(None),
            Actor::Principal(p) => p,
        };
        let Some(user) = principal.user_id() else {
            return Err(ServiceError::Unauthenticated(
                Bilingual::new(
                    "sign in first: only a Garant of the collective manages its API keys",
                )
                .fr("Connectez-vous d'abord : seul un Garant du collectif gère ses clés d'API."),
            ));
        };
        if self.official_types(principal, tenant).await?.is_empty() {
            return Err(ServiceError::Forbidden(
                Bilingual::new("only a Garant of the collective manages its API keys")
                    .fr("Seul un Garant du collectif gère ses clés d'API."),
            ));
        }
        Ok(Some(user))
    }

    /// Issues an API key for an application that files requests through Open311 (a Garant
    /// of the collective). The secret is in the answer only.
    pub async fn issue_api_key(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        label: &str,
    ) -> Result<IssuedApiKey, ServiceError> {
        let by = self.key_keeper(actor, tenant).await?;
        let label = check_text("label", label, 2, 120)?;
        let secret = format!("vk_{}", random_token());
        let key = self
            .store
            .insert_api_key(tenant.id, &label, &token_hash(&secret), by)
            .await?;
        Ok(IssuedApiKey { key, secret })
    }

    /// The collective's API keys, revoked ones included (a Garant of the collective).
    pub async fn api_keys(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
    ) -> Result<Vec<ApiKey>, ServiceError> {
        self.key_keeper(actor, tenant).await?;
        Ok(self.store.api_keys(tenant.id).await?)
    }

    /// Revokes an API key of the collective (a Garant of the collective): filings with it are
    /// refused from now on.
    pub async fn revoke_api_key(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        id: i64,
    ) -> Result<ApiKey, ServiceError> {
        self.key_keeper(actor, tenant).await?;
        self.store
            .revoke_api_key(tenant.id, id)
            .await?
            .ok_or(ServiceError::NotFound("api key"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_is_the_first_line_cut_at_a_word() {
        assert_eq!(
            title_of("Fuite au préau\nDepuis lundi", "x"),
            "Fuite au préau"
        );
        let long = "mot ".repeat(40);
        let t = title_of(&long, "x");
        assert!(t.ends_with('…') && t.chars().count() <= 81, "{t}");
        assert_eq!(title_of("ab", "Intervention"), "Intervention");
    }

    #[test]
    fn dates_read_as_w3c_or_days() {
        let t = parse_when("start_date", "2026-12-01T10:00:00+01:00", false).unwrap();
        assert_eq!(w3c(t), "2026-12-01T09:00:00Z");
        let d = parse_when("end_date", "2026-12-01", true).unwrap();
        assert_eq!(w3c(d), "2026-12-01T23:59:59Z");
        assert!(parse_when("start_date", "yesterday", false).is_err());
    }
}
