//! What every page shares: [`Page`] (the visitor's language, the caller, rendering a template
//! with the common context), use-case errors in the page's language, and the words of the
//! plugins' fields and values. The page modules (`pages`, `objects`, `requests`, `desk`) build
//! on this one and never on each other's helpers.

use minijinja::{Value, context};
use poem::http::{StatusCode, header};
use poem::{IntoResponse, Request, Response};
use vigie_http::Caller;
use vigie_plugins::wit;
use vigie_services::ServiceError;
use vigie_storage::Tenant;

use crate::{Lang, WebState};

/// Everything a page needs besides its own data.
pub(crate) struct Page<'a> {
    state: &'a WebState,
    /// The page's path and query without `lang`, for the language link.
    here: String,
    pub(crate) lang: Lang,
    pub(crate) caller: Caller,
    set_lang: bool,
    /// The header's link to the visitor's moderation desk here, if they moderate.
    desk: Option<crate::desk::DeskBadge>,
    /// The page's path and query without `lang`: where signing in comes back to.
    back: String,
}

impl<'a> Page<'a> {
    pub(crate) fn new(state: &'a WebState, req: &Request, caller: Caller) -> Self {
        let set_lang = req.uri().query().is_some_and(|q| q.contains("lang="));
        let query: Vec<&str> = req
            .uri()
            .query()
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("lang="))
            .collect();
        let (here, back) = if query.is_empty() {
            (
                format!("{}?", req.uri().path()),
                req.uri().path().to_owned(),
            )
        } else {
            let q = query.join("&");
            (
                format!("{}?{q}&", req.uri().path()),
                format!("{}?{q}", req.uri().path()),
            )
        };
        Self {
            here,
            back,
            state,
            lang: Lang::detect(req),
            caller,
            set_lang,
            desk: req.extensions().get::<crate::desk::DeskBadge>().cloned(),
        }
    }

    pub(crate) fn render(&self, status: StatusCode, template: &str, data: Value) -> Response {
        let tr: std::collections::BTreeMap<&str, &str> = crate::i18n::WORDS
            .iter()
            .map(|(k, _, _)| (*k, self.lang.t(k)))
            .collect();
        let other = match self.lang {
            Lang::Fr => "en",
            Lang::En => "fr",
        };
        let ctx = context! {
            lang => self.lang.code(),
            other_lang => other,
            lang_href => format!("{}lang={other}", self.here),
            // Made of a path and URL-encoded characters only: safe in an attribute as it is.
            login_href => Value::from_safe_string(crate::next::login_href(&self.back)),
            tr => tr,
            user => self.caller.user.as_ref().map(|u| u.display_name.as_str().to_owned()),
            desk => self.desk.as_ref().map(|d| context! {
                href => Value::from_safe_string(d.href.clone()),
                waiting => d.waiting,
            }),
            ..data
        };
        let rendered = self
            .state
            .templates
            .get_template(template)
            .and_then(|t| t.render(ctx));
        let mut resp = match rendered {
            Ok(html) => poem::web::Html(html).with_status(status).into_response(),
            Err(e) => {
                tracing::error!(error = %e, template, "template failed");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        };
        if self.set_lang {
            let cookie = format!(
                "vigie_lang={}; Path=/; SameSite=Lax; Max-Age=31536000",
                self.lang.code()
            );
            if let Ok(v) = cookie.parse() {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
        }
        resp
    }

    /// The plural name a type's plugin gives it, in the page's language.
    pub(crate) fn type_label(&self, key: &str) -> String {
        match self.state.services.plugins().get(key) {
            Some(p) => {
                let n = &p.manifest().identity.plural_name;
                match self.lang {
                    Lang::Fr => n.fr.clone(),
                    Lang::En => n.en.clone(),
                }
            }
            None => key.to_owned(),
        }
    }

    /// `{type} — object {id}` or `{type}` for a role's scope.
    pub(crate) fn scope_label(&self, object_type: Option<&str>, object_id: Option<i64>) -> String {
        match (object_type, object_id) {
            (Some(ty), Some(id)) => {
                format!("{} — {} {id}", self.type_label(ty), self.lang.t("object"))
            }
            (Some(ty), None) => self.type_label(ty),
            _ => String::new(),
        }
    }

    pub(crate) fn tenant_ctx(&self, t: &Tenant) -> Value {
        context! {
            slug => t.slug.as_str(),
            name => &t.name,
            description => &t.description,
            is_demo => t.is_demo,
            types => t.object_types.iter().map(|ty| self.type_label(ty.as_str())).collect::<Vec<_>>(),
            official_domains => t.official_domains.iter().map(|d| d.as_str().to_owned()).collect::<Vec<_>>(),
        }
    }

    /// The use cases.
    pub(crate) fn services(&self) -> &vigie_services::Services {
        &self.state.services
    }

    /// An error as a page with its status.
    /// The page saying that what was sent is larger than `limit` bytes (413).
    pub(crate) fn too_large(&self, limit: u64) -> Response {
        use vigie_http::body_limit::{size_text, size_text_fr};
        let size = match self.lang {
            Lang::Fr => size_text_fr(limit),
            Lang::En => size_text(limit),
        };
        let text = self.lang.t("too_large").replace("{size}", &size);
        self.render(
            StatusCode::PAYLOAD_TOO_LARGE,
            "message.html",
            context! { error => text },
        )
    }

    pub(crate) fn error_page(&self, e: &ServiceError) -> Response {
        if matches!(e, ServiceError::NotFound(_)) {
            return self.message(StatusCode::NOT_FOUND, "not_found", true);
        }
        let (status, text) = self.error(e);
        self.render(status, "message.html", context! { error => text })
    }

    pub(crate) fn message(&self, status: StatusCode, key: &str, is_error: bool) -> Response {
        let text = self.lang.t(key);
        let data = if is_error {
            context! { error => text }
        } else {
            context! { flash => text }
        };
        self.render(status, "message.html", data)
    }

    /// A use-case error as a page: known cases in the page's language, others as they are.
    pub(crate) fn error(&self, e: &ServiceError) -> (StatusCode, String) {
        let status = match e {
            ServiceError::Invalid(_) | ServiceError::InvalidToken | ServiceError::Rejected(_) => {
                StatusCode::BAD_REQUEST
            }
            ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
            ServiceError::Conflict(_) => StatusCode::CONFLICT,
            ServiceError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ServiceError::Forbidden(_) | ServiceError::EmailNotVerified => StatusCode::FORBIDDEN,
            ServiceError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            ServiceError::Busy { .. } | ServiceError::Unavailable { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ServiceError::LinkExpired(_) => StatusCode::GONE,
            ServiceError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            ServiceError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        if self.lang == Lang::Fr
            && let Some(fr) = french(e)
        {
            return (status, fr);
        }
        let text = match (self.lang, e) {
            (Lang::Fr, ServiceError::Unauthenticated(_)) => {
                "Connectez-vous d'abord : il faut un compte pour cela.".into()
            }
            (Lang::Fr, ServiceError::Forbidden(_)) => {
                "Vous n'avez pas le droit de faire cela ici.".into()
            }
            (Lang::Fr, ServiceError::EmailNotVerified) => {
                "Confirmez d'abord votre adresse : ouvrez le lien reçu par e-mail.".into()
            }
            (_, ServiceError::InvalidToken) => self.lang.t("verify_failed").into(),
            (lang, ServiceError::Rejected(problems)) => problems
                .iter()
                .map(|p| match lang {
                    Lang::Fr => p.message_fr.clone(),
                    Lang::En => p.message_en.clone(),
                })
                .collect::<Vec<_>>()
                .join(" · "),
            (Lang::Fr, ServiceError::Conflict(_)) => {
                "Ce changement n'est pas possible dans l'état actuel : rechargez la page.".into()
            }
            (Lang::Fr, ServiceError::Internal(_)) => {
                "Une erreur est survenue de notre côté ; elle a été enregistrée.".into()
            }
            (Lang::En, ServiceError::Internal(_)) => {
                "Something went wrong on our side; it has been logged.".into()
            }
            // A message no one wrote in French is shown as it is.
            (_, ServiceError::Invalid(d)) => d.message().en().to_owned(),
            _ => e.to_string(),
        };
        (status, text)
    }
}

/// The label of a form field the use cases name in their errors.
pub(crate) fn field_label(lang: Lang, field: &str) -> &'static str {
    match field {
        "title" => lang.t("r_title"),
        "description" => lang.t("r_description"),
        "note" => lang.t("note"),
        "message" => lang.t("message"),
        "body" => lang.t("comment"),
        "reason" => lang.t("reason"),
        "name" => lang.t("name"),
        _ => "",
    }
}

/// A use case's error in French, as its author wrote it: a message that starts in lower case
/// names no subject (« écrivez entre 3 et 200 caractères »), so the field's label goes first.
/// What is not found is named by the pages' words.
pub(crate) fn french(e: &ServiceError) -> Option<String> {
    if let ServiceError::NotFound(what) = e {
        return Some(
            match *what {
                "request" => "Demande introuvable.",
                "user" => "Aucun compte ne porte ce numéro.",
                "contact" => "Contact introuvable.",
                "field" => "Information inconnue pour ce type de demande.",
                _ => "Introuvable.",
            }
            .into(),
        );
    }
    let fr = e.french()?;
    match e {
        ServiceError::Invalid(d) if fr.starts_with(char::is_lowercase) => {
            let what = match field_label(Lang::Fr, d.field()) {
                "" => "Ce texte".to_owned(),
                l => format!("« {l} »"),
            };
            Some(format!("{what} : {fr}"))
        }
        _ => Some(fr.to_owned()),
    }
}

/// A post/redirect/get answer: `303 See Other` to `to`.
pub(crate) fn redirect(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, to)
        .finish()
}

// ---------------------------------------------------------------------------------------------
// The words of plugins' fields and values
// ---------------------------------------------------------------------------------------------

/// A value as the page shows it: numbers in the page's language, a choice by its label.
pub(crate) fn value_text(lang: Lang, field: Option<&wit::Field>, v: &wit::Value) -> String {
    match v {
        #[allow(clippy::cast_precision_loss)]
        wit::Value::Integer(i) => lang.number(*i as f64, Some(0)),
        wit::Value::Decimal(d) => lang.number(*d, None),
        wit::Value::Boolean(b) => lang.t(if *b { "yes" } else { "no" }).to_owned(),
        wit::Value::Choice(c) => match field.map(|f| &f.kind) {
            Some(wit::FieldKind::Choice(options)) => options
                .iter()
                .find(|o| &o.key == c)
                .map(|o| match lang {
                    Lang::Fr => o.label.fr.clone(),
                    Lang::En => o.label.en.clone(),
                })
                .unwrap_or_else(|| c.clone()),
            _ => c.clone(),
        },
        wit::Value::Text(s)
        | wit::Value::Date(s)
        | wit::Value::DateTime(s)
        | wit::Value::Url(s) => s.clone(),
    }
}

pub(crate) fn label(lang: Lang, l: &wit::Localized) -> String {
    match lang {
        Lang::Fr => l.fr.clone(),
        Lang::En => l.en.clone(),
    }
}

/// A value typed in a form, read as the field's kind; `None` when it does not read.
pub(crate) fn parse_value(field: &wit::Field, raw: &str) -> Option<wit::Value> {
    let raw = raw.trim();
    Some(match &field.kind {
        wit::FieldKind::Integer => wit::Value::Integer(raw.parse().ok()?),
        wit::FieldKind::Decimal => wit::Value::Decimal(raw.replace(',', ".").parse().ok()?),
        wit::FieldKind::Boolean => wit::Value::Boolean(match raw.to_lowercase().as_str() {
            "oui" | "yes" | "true" | "1" | "o" | "y" => true,
            "non" | "no" | "false" | "0" | "n" => false,
            _ => return None,
        }),
        wit::FieldKind::Choice(options) => wit::Value::Choice(
            options
                .iter()
                .find(|o| {
                    o.key == raw
                        || o.label.fr.eq_ignore_ascii_case(raw)
                        || o.label.en.eq_ignore_ascii_case(raw)
                })
                .map(|o| o.key.clone())?,
        ),
        wit::FieldKind::Date => wit::Value::Date(raw.to_owned()),
        wit::FieldKind::DateTime => wit::Value::DateTime(raw.to_owned()),
        wit::FieldKind::Url => wit::Value::Url(raw.to_owned()),
        wit::FieldKind::Text | wit::FieldKind::LongText => wit::Value::Text(raw.to_owned()),
    })
}
