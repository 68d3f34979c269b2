//! Pages of requests for intervention or improvement: the « Demandes » section of an object's
//! sheet with its filing form (similar open requests shown before filing), a request's page with
//! its journal, and the actions its editors may take, each a post/redirect/get.
//!
//! - [`labels`]: the words of statuses, urgencies, kinds and journal actions, rows of lists;
//! - [`errors`]: a use case's error in the page's language;
//! - [`filing`]: the sheet's section and the filing form;
//! - [`view`]: a request's page;
//! - [`journal`]: its journal as a timeline;
//! - [`actions`]: the forms' handlers;
//! - [`quick`]: the quick report, for a phone.

mod actions;
mod errors;
mod filing;
mod journal;
mod labels;
mod quick;
mod view;

pub(crate) use actions::{AssignForm, MergeForm, ModerateForm, WordingForm};
pub use actions::{
    answer, assign, attach, change_status, comment, merge, moderate, new_link, notify, reexpress,
    support, unassign,
};
pub(crate) use actions::{assign_request, merge_request, moderate_request, reexpress_request};
pub(crate) use errors::error_text;
pub use filing::similar_fragment;
pub(crate) use filing::{FilingShown, Received, object_section, receive};
pub(crate) use labels::{kind_label, similar_rows, status_label, urgency_label};
pub use quick::{quick_file, quick_page};
pub use view::request_page;

#[cfg(test)]
mod tests {
    use super::errors::invalid;
    use super::labels::{
        action_label, clean_token, journal_time, request_url, status_label, urgency_label,
    };
    use crate::Lang;
    use vigie_domain::DomainError;
    use vigie_domain::requests::{RequestStatus, Urgency};
    use vigie_services::ServiceError;

    #[test]
    fn every_status_urgency_and_action_has_words() {
        for s in RequestStatus::ALL {
            for lang in [Lang::Fr, Lang::En] {
                assert_ne!(status_label(lang, s), "??", "{s:?}");
            }
        }
        assert_eq!(
            status_label(Lang::Fr, RequestStatus::New),
            "en attente de modération"
        );
        for u in Urgency::ALL {
            assert_ne!(urgency_label(Lang::Fr, u), "??", "{u:?}");
        }
        for a in [
            "filed",
            "published",
            "refused",
            "set_apart",
            "reexpressed",
            "status_changed",
            "reopened",
            "assigned",
            "unassigned",
            "notification_sent",
            "notification_delivered",
            "answered",
            "comment_added",
            "attachment_added",
            "supported",
            "merged",
            "merged_from",
            "reminder_due",
        ] {
            assert_ne!(action_label(Lang::Fr, a), a.replace('_', " "), "{a}");
            assert!(!action_label(Lang::En, a).is_empty());
        }
        assert_eq!(action_label(Lang::Fr, "something_new"), "something new");
    }

    #[test]
    fn journal_times_and_tokens() {
        assert_eq!(
            journal_time("2026-11-28T10:05:00.000000Z"),
            "2026-11-28 10:05 UTC"
        );
        assert_eq!(journal_time("?"), "?");
        assert_eq!(clean_token(" ab12 "), Some("ab12"));
        assert_eq!(clean_token("a&b=c"), None);
        assert_eq!(clean_token(""), None);
        assert_eq!(request_url("s", 3, None, ""), "/t/s/r/3");
        assert_eq!(
            request_url("s", 3, Some("ab"), "done=x"),
            "/t/s/r/3?token=ab&done=x"
        );
        assert_eq!(
            request_url("s", 3, Some("a b"), "done=x"),
            "/t/s/r/3?done=x"
        );
    }

    #[test]
    fn the_pages_and_the_use_cases_name_statuses_alike_in_french() {
        for s in RequestStatus::ALL {
            assert_eq!(status_label(Lang::Fr, s), s.label_fr(), "{s:?}");
        }
    }

    #[test]
    fn errors_about_requests_are_in_french() {
        // The French the domain and the use cases wrote, with the field's label before a
        // fragment that names no subject.
        let too_short = vigie_domain::requests::check_text("title", "ab", 3, 200).unwrap_err();
        assert_eq!(
            crate::page::french(&ServiceError::Invalid(too_short)).as_deref(),
            Some("« Titre » : écrivez entre 3 et 200 caractères (ici 2).")
        );
        let conflict = ServiceError::Conflict(
            vigie_domain::Bilingual::new("this request was already merged")
                .fr("Cette demande a déjà été fusionnée."),
        );
        assert_eq!(
            crate::page::french(&conflict).as_deref(),
            Some("Cette demande a déjà été fusionnée.")
        );
        assert_eq!(
            crate::page::french(&ServiceError::NotFound("request")).as_deref(),
            Some("Demande introuvable.")
        );
        // Nothing written in French: the common translation decides (no guessing from English).
        let english = ServiceError::Invalid(DomainError::invalid("kind", "unknown kind 'x'"));
        assert_eq!(crate::page::french(&english), None);
        assert_eq!(
            crate::page::french(&invalid(
                "into",
                "no request 9 here",
                "Pas de demande n° 9 ici."
            ))
            .as_deref(),
            Some("Pas de demande n° 9 ici.")
        );
    }
}
