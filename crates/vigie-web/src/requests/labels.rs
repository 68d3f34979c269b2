//! The words of requests (statuses, urgencies, kinds, journal actions), their rows in lists,
//! and the small helpers of their URLs and personal links.

use minijinja::{Value, context};
use vigie_domain::requests::{RequestStatus, Urgency};
use vigie_plugins::wit;
use vigie_services::{ServiceError, SimilarRequest, pending_placeholder};
use vigie_storage::RequestRecord;

use crate::Lang;
use crate::page::label;

/// A status in the page's language (« en attente de modération » for a new request).
pub(crate) fn status_label(lang: Lang, s: RequestStatus) -> &'static str {
    lang.t(&format!("rs_{}", s.as_str()))
}

pub(crate) fn urgency_label(lang: Lang, u: Urgency) -> &'static str {
    lang.t(&format!("urgency_{}", u.as_str()))
}

pub(crate) fn action_label(lang: Lang, action: &str) -> String {
    let key = format!("ja_{action}");
    if crate::i18n::WORDS.iter().any(|(k, _, _)| *k == key) {
        lang.t(&key).to_owned()
    } else {
        action.replace('_', " ")
    }
}

pub(crate) fn kind_label(lang: Lang, m: &wit::PluginManifest, kind: &str) -> String {
    m.request_kinds
        .iter()
        .find(|k| k.key == kind)
        .map_or_else(|| kind.to_owned(), |k| label(lang, &k.label))
}

/// `set/category` as the category's label (the set's label in `set`).
pub(crate) fn category_tags(lang: Lang, m: &wit::PluginManifest, keys: &[String]) -> Vec<Value> {
    keys.iter()
        .map(|key| {
            let found = key.split_once('/').and_then(|(set, cat)| {
                let s = m.category_sets.iter().find(|s| s.key == set)?;
                let c = s.categories.iter().find(|c| c.key == cat)?;
                Some((label(lang, &s.label), label(lang, &c.label)))
            });
            match found {
                Some((set, cat)) => context! { set => set, label => cat },
                None => context! { set => "", label => key },
            }
        })
        .collect()
}

/// A date and time of the journal (`2026-11-28T10:00:00.000000Z`) as `2026-11-28 10:00 UTC`.
pub(crate) fn journal_time(at: &str) -> String {
    match (at.get(..10), at.get(11..16)) {
        (Some(d), Some(t)) => format!("{d} {t} UTC"),
        _ => at.to_owned(),
    }
}

pub(crate) fn date(at: time::OffsetDateTime) -> String {
    at.date().to_string()
}

/// A token as it may go back into a URL: personal link tokens are hexadecimal; anything else
/// is not a token of ours and is dropped.
pub(crate) fn clean_token(token: &str) -> Option<&str> {
    let t = token.trim();
    (!t.is_empty() && t.len() <= 200 && t.chars().all(|c| c.is_ascii_alphanumeric())).then_some(t)
}

/// The token a form sent: none when left empty, refused when it cannot be one of ours.
pub(crate) fn given_token(token: &str) -> Result<Option<&str>, ServiceError> {
    if token.trim().is_empty() {
        return Ok(None);
    }
    clean_token(token)
        .map(Some)
        .ok_or(ServiceError::InvalidToken)
}

/// Where to go after an action: the request's page, with the personal link's token kept.
pub(crate) fn request_url(slug: &str, id: i64, token: Option<&str>, extra: &str) -> String {
    let mut params: Vec<String> = Vec::new();
    if let Some(t) = token.and_then(clean_token) {
        params.push(format!("token={t}"));
    }
    if !extra.is_empty() {
        params.push(extra.to_owned());
    }
    if params.is_empty() {
        format!("/t/{slug}/r/{id}")
    } else {
        format!("/t/{slug}/r/{id}?{}", params.join("&"))
    }
}

pub(crate) fn is_moderation(s: RequestStatus) -> bool {
    matches!(
        s,
        RequestStatus::Published | RequestStatus::Refused | RequestStatus::SetApart
    )
}

/// The statuses a request may move to outside moderation, as `{key, label}`.
pub(crate) fn next_statuses(lang: Lang, from: RequestStatus) -> Vec<Value> {
    RequestStatus::ALL
        .into_iter()
        .filter(|s| from.can_move_to(*s) && !is_moderation(*s))
        .map(|s| context! { key => s.as_str(), label => status_label(lang, s) })
        .collect()
}

/// What the pages say instead of a request's content while it awaits moderation.
pub(crate) fn pending_text(lang: Lang, r: &RequestRecord) -> String {
    let p = pending_placeholder(r.filed_at);
    match lang {
        Lang::Fr => p.french().unwrap_or(p.en()).to_owned(),
        Lang::En => p.en().to_owned(),
    }
}

/// A request in a list; `readable`: whether the visitor may read it if it awaits moderation.
pub(crate) fn request_row(
    lang: Lang,
    m: &wit::PluginManifest,
    r: &RequestRecord,
    readable: bool,
) -> Value {
    let pending = r.status == RequestStatus::New && !readable;
    context! {
        id => r.id,
        title => if pending { format!("{} {}", lang.t("request_n"), r.id) } else { r.shown_title().to_owned() },
        pending_notice => pending.then(|| pending_text(lang, r)),
        status => status_label(lang, r.status),
        status_key => r.status.as_str(),
        kind => kind_label(lang, m, &r.kind),
        urgency => urgency_label(lang, r.urgency),
        urgency_key => r.urgency.as_str(),
        supporters => r.supporters,
        reexpressed => r.public_title.is_some() || r.public_description.is_some(),
        reason => r.moderation_reason.clone().filter(|_| matches!(r.status, RequestStatus::Refused | RequestStatus::SetApart)),
        merged_into => r.merged_into,
        filed_on => date(r.filed_at),
    }
}

pub(crate) fn similar_rows(
    lang: Lang,
    m: &wit::PluginManifest,
    similar: &[SimilarRequest],
) -> Vec<Value> {
    similar
        .iter()
        .map(|s| {
            let place = match s.distance_m {
                Some(d) if d < 1.0 => lang.t("same_place").to_owned(),
                Some(d) => format!(
                    "{} {} m — {}",
                    lang.t("at_distance"),
                    d.round(),
                    s.request.object_name
                ),
                None => s.request.object_name.clone(),
            };
            context! {
                row => request_row(lang, m, &s.request, true),
                place => place,
                similarity => format!("{:.0} %", s.similarity * 100.0),
            }
        })
        .collect()
}

pub(crate) fn urgency_of(u: wit::Urgency) -> Urgency {
    match u {
        wit::Urgency::Low => Urgency::Low,
        wit::Urgency::Normal => Urgency::Normal,
        wit::Urgency::High => Urgency::High,
        wit::Urgency::Maximal => Urgency::Maximal,
    }
}
