//! A request's journal as a timeline: each entry's action, who and when, and its public details
//! (never an e-mail address).

use minijinja::{Value, context};
use vigie_domain::requests::{JournalEntry, RequestStatus, Urgency};
use vigie_plugins::wit;

use super::labels::{action_label, journal_time, kind_label, status_label, urgency_label};
use crate::Lang;

/// One line of an entry's details: a label, a text and, for another request, its link.
pub(crate) fn detail(label: &str, text: String, href: Option<String>) -> Value {
    context! { label => label, text => text, href => href }
}

pub(crate) fn journal_rows(
    lang: Lang,
    slug: &str,
    m: &wit::PluginManifest,
    entries: &[JournalEntry],
    names: &std::collections::HashMap<String, String>,
    hide: bool,
) -> Vec<Value> {
    // An account is named by its pseudonym (`account:7f3c…`) and shown by its current name;
    // entries written before pseudonyms carry a plain name, shown as it is.
    let shown = |v: String| names.get(&v).cloned().unwrap_or(v);
    entries
        .iter()
        .map(|e| {
            let d: serde_json::Value = if hide {
                serde_json::Value::Null
            } else {
                serde_json::from_str(&e.details).unwrap_or(serde_json::Value::Null)
            };
            let s = |k: &str| d.get(k).and_then(|v| v.as_str()).map(str::to_owned);
            let status = |k: &str| {
                s(k).map(|v| {
                    RequestStatus::parse(&v).map_or(v, |st| status_label(lang, st).to_owned())
                })
            };
            let who = if hide {
                None
            } else {
                match (e.action.as_str(), s("by")) {
                    (_, Some(by)) => Some(shown(by)),
                    ("filed" | "supported" | "reopened", None) => {
                        Some(lang.t("anonymous_person").to_owned())
                    }
                    ("reminder_due" | "notification_sent" | "notification_delivered", None) => {
                        Some("Vigie".to_owned())
                    }
                    _ => None,
                }
            };
            let mut lines = Vec::new();
            if !hide {
                if let (Some(from), Some(to)) = (status("from"), status("to"))
                    && matches!(e.action.as_str(), "status_changed" | "reopened")
                {
                    lines.push(detail(lang.t("status"), format!("{from} → {to}"), None));
                }
                if e.action == "filed" {
                    if let Some(k) = s("kind") {
                        lines.push(detail(lang.t("kind"), kind_label(lang, m, &k), None));
                    }
                    if let Some(u) = s("urgency").and_then(|u| Urgency::parse(&u)) {
                        lines.push(detail(
                            lang.t("urgency"),
                            urgency_label(lang, u).to_owned(),
                            None,
                        ));
                    }
                    if let Some(r) = s("reminder_on") {
                        lines.push(detail(lang.t("d_reminder"), r, None));
                    }
                }
                if matches!(e.action.as_str(), "filed" | "reexpressed")
                    && let Some(t) = s("title")
                {
                    lines.push(detail(lang.t("r_title"), t, None));
                }
                if matches!(
                    e.action.as_str(),
                    "assigned" | "unassigned" | "notification_sent" | "notification_delivered"
                ) && let Some(to) = s("to")
                {
                    // Never an e-mail address: the requester is « the requester ».
                    let to = if to == "requester" {
                        lang.t("the_requester").to_owned()
                    } else if to.contains('@') {
                        "—".to_owned()
                    } else {
                        shown(to)
                    };
                    let role = s("role").map(|r| format!(" ({r})")).unwrap_or_default();
                    let official =
                        if d.get("official").and_then(serde_json::Value::as_bool) == Some(true) {
                            format!(" — {}", lang.t("role_official"))
                        } else {
                            String::new()
                        };
                    lines.push(detail(
                        lang.t("d_to"),
                        format!("{to}{role}{official}"),
                        None,
                    ));
                }
                if let Some(subject) = s("subject") {
                    lines.push(detail(lang.t("d_subject"), subject, None));
                }
                if let Some(reason) = s("reason") {
                    lines.push(detail(lang.t("reason"), reason, None));
                }
                if let Some(note) = s("note") {
                    lines.push(detail(lang.t("note"), note, None));
                }
                if let Some(message) = s("message") {
                    lines.push(detail(lang.t("message"), message, None));
                }
                if e.action == "attachment_added"
                    && let Some(t) = s("title")
                {
                    lines.push(detail(lang.t("attachment"), t, None));
                }
                if let Some(into) = d.get("into").and_then(serde_json::Value::as_i64) {
                    lines.push(detail(
                        lang.t("d_into"),
                        format!("{} {into}", lang.t("request_n")),
                        Some(format!("/t/{slug}/r/{into}")),
                    ));
                }
                if let Some(from) = d.get("from").and_then(serde_json::Value::as_i64) {
                    lines.push(detail(
                        lang.t("d_from"),
                        format!("{} {from}", lang.t("request_n")),
                        Some(format!("/t/{slug}/r/{from}")),
                    ));
                }
            }
            context! {
                seq => e.seq,
                action => action_label(lang, &e.action),
                action_key => &e.action,
                at => journal_time(&e.at),
                at_iso => &e.at,
                who => who,
                lines => lines,
                hash => &e.hash,
                short_hash => e.hash.get(..12).unwrap_or(&e.hash),
                prev_hash => &e.prev_hash,
            }
        })
        .collect()
}
