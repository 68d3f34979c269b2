//! Request kinds and categories every public facility shares.
//!
//! The SST register and the DGI register exist in every public workplace
//! (décret 82-453: schools, libraries, sports halls…), so their forms live
//! here rather than in one plugin. A plugin picks what applies and says which
//! category sets each kind may use:
//!
//! ```
//! use vigie_plugin_sdk::presets;
//! let kind = presets::intervention().category_sets(&["sst"]);
//! assert_eq!(kind.key, "intervention");
//! ```

use crate::{Category, CategorySet, ChoiceOption, Field, RequestKind, Urgency};

/// The key of the SST category set.
pub const SST: &str = "sst";

const SST_CATEGORIES: &[(&str, &str, &str)] = &[
    (
        "electricity-gas",
        "Installations électriques ou de gaz",
        "Electrical or gas installations",
    ),
    ("accident-risk", "Risque d'accident", "Risk of accident"),
    (
        "premises-condition",
        "État des locaux",
        "Condition of the premises",
    ),
    (
        "hygiene",
        "Hygiène (nettoyage, sanitaires, aération)",
        "Hygiene (cleaning, toilets, ventilation)",
    ),
    (
        "physical-environment",
        "Environnement physique (lumière, bruit, température)",
        "Physical environment (light, noise, temperature)",
    ),
    (
        "working-conditions",
        "Conditions de travail (stress, harcèlement)",
        "Working conditions (stress, harassment)",
    ),
];

/// The categories of the health and safety register (RSST).
pub fn sst_categories() -> CategorySet {
    CategorySet::new(
        SST,
        "Santé et sécurité au travail (registre SST)",
        "Health and safety at work (SST register)",
        SST_CATEGORIES
            .iter()
            .map(|(key, fr, en)| Category::new(key, fr, en))
            .collect(),
    )
}

/// Something is broken or dangerous and must be repaired.
pub fn intervention() -> RequestKind {
    RequestKind::new(
        "intervention",
        "Demande d'intervention",
        "Intervention request",
    )
    .description(
        "Quelque chose est cassé ou hors service et doit être réparé.",
        "Something is broken or out of order and must be repaired.",
    )
    .field(location_field())
}

/// Something works but could be better.
pub fn improvement() -> RequestKind {
    RequestKind::new(
        "improvement",
        "Demande d'amélioration",
        "Improvement request",
    )
    .description(
        "Une proposition pour améliorer l'équipement ou le service.",
        "A proposal to improve the facility or the service.",
    )
    .urgency(Urgency::Low)
}

/// A fact worth knowing, without a request.
pub fn report() -> RequestKind {
    RequestKind::new("report", "Simple signalement", "Simple report").description(
        "Un fait à porter à la connaissance de tous, sans demande particulière.",
        "A fact to share with everyone, without a specific request.",
    )
}

fn location_field() -> Field {
    Field::text("location", "Lieu précis", "Exact place")
        .help(
            "Où exactement\u{a0}? Par exemple\u{a0}: toilettes du 1er étage, cour des petits.",
            "Where exactly? For example: first-floor toilets, nursery playground.",
        )
        .max_length(200)
}

/// An entry of the health and safety register (*registre de santé et de
/// sécurité au travail*, décret 82-453 art. 3-2): anyone, staff or user, may
/// write an observation; once the head signs it the authority has two months
/// to say what it did.
pub fn sst_register_entry() -> RequestKind {
    RequestKind::new(
        "sst-register-entry",
        "Fiche du registre santé et sécurité au travail (RSST)",
        "Health and safety register entry (RSST)",
    )
    .description(
        "Une observation sur les risques ou les conditions de travail, inscrite au registre \
         SST. Une fois visée par la direction, l'autorité dispose de deux mois pour répondre. \
         Ne nommez pas les élèves.",
        "An observation on risks or working conditions, written in the SST register. Once \
         signed by the head, the authority has two months to answer. Do not name pupils.",
    )
    .response_delay_months(2)
    .printable()
    .field(
        Field::long_text("observation", "Observation", "Observation")
            .help(
                "Décrivez le risque ou la situation constatée, sans nommer d'élève.",
                "Describe the risk or situation observed, without naming any pupil.",
            )
            .max_length(4000)
            .required(),
    )
    .field(
        Field::text(
            "location-in-building",
            "Localisation dans le bâtiment",
            "Location in the building",
        )
        .max_length(200)
        .required(),
    )
    .field(
        Field::choice(
            "risk-category",
            "Catégorie de risque",
            "Risk category",
            SST_CATEGORIES
                .iter()
                .map(|(key, fr, en)| ChoiceOption::new(key, fr, en)),
        )
        .required(),
    )
    .field(
        Field::long_text(
            "suggestion",
            "Suggestion d'amélioration",
            "Suggested improvement",
        )
        .max_length(4000),
    )
}

/// A notice of serious and imminent danger (*danger grave et imminent*,
/// décret 82-453 art. 5-6 to 5-8): maximal urgency, notified at once.
pub fn dgi_notice() -> RequestKind {
    RequestKind::new(
        "dgi-notice",
        "Signalement de danger grave et imminent (DGI)",
        "Serious and imminent danger notice (DGI)",
    )
    .description(
        "Une situation qui menace de façon imminente la vie ou la santé. L'autorité est \
         alertée immédiatement et consigne les faits au registre spécial.",
        "A situation that imminently threatens life or health. The authority is alerted at \
         once and records the facts in the special register.",
    )
    .urgency(Urgency::Maximal)
    .urgency_locked()
    .notify_immediately()
    .printable()
    .field(
        Field::date_time("observed-at", "Date et heure", "Date and time")
            .help(
                "Quand le danger a-t-il été constaté\u{a0}?",
                "When was the danger observed?",
            )
            .required(),
    )
    .field(
        Field::text("place", "Lieu", "Place")
            .max_length(200)
            .required(),
    )
    .field(
        Field::long_text(
            "danger",
            "Nature et cause du danger",
            "Nature and cause of the danger",
        )
        .max_length(4000)
        .required(),
    )
    .field(
        Field::long_text("people-exposed", "Personnes exposées", "People exposed")
            .help(
                "Qui est exposé et combien (sans nommer d'élève)\u{a0}?",
                "Who is exposed and how many (without naming pupils)?",
            )
            .max_length(2000)
            .required(),
    )
    .field(
        Field::long_text("measures-taken", "Mesures prises", "Measures taken")
            .help(
                "Ce qui a déjà été fait (périmètre fermé, évacuation, alerte…).",
                "What has already been done (area closed, evacuation, alert…).",
            )
            .max_length(4000),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sst_form_has_the_register_fields() {
        let kind = sst_register_entry();
        let keys: Vec<&str> = kind.fields.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "observation",
                "location-in-building",
                "risk-category",
                "suggestion"
            ]
        );
        assert_eq!(kind.response_delay_months, Some(2));
    }

    #[test]
    fn a_dgi_notice_is_maximal_and_immediate() {
        let kind = dgi_notice();
        assert_eq!(kind.default_urgency, Urgency::Maximal);
        assert!(kind.urgency_locked && kind.notify_immediately && kind.printable);
        assert_eq!(
            kind.fields
                .iter()
                .filter(|f| f.constraints.required)
                .count(),
            4
        );
    }

    #[test]
    fn sst_categories_match_the_risk_category_options() {
        let set = sst_categories();
        assert_eq!(set.categories.len(), 6);
        let kind = sst_register_entry();
        let Some(crate::FieldKind::Choice(options)) = kind
            .fields
            .iter()
            .find(|f| f.key == "risk-category")
            .map(|f| &f.kind)
        else {
            panic!("risk-category must be a choice");
        };
        let a: Vec<&str> = set.categories.iter().map(|c| c.key.as_str()).collect();
        let b: Vec<&str> = options.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(a, b);
    }
}
