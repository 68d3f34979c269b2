//! Observed objects and their vintaged facts.

use serde::{Deserialize, Serialize};

/// Whether a facility is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectStatus {
    /// In service.
    Open,
    /// Closed (with a date when known).
    Closed,
}

impl ObjectStatus {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectStatus::Open => "open",
            ObjectStatus::Closed => "closed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(ObjectStatus::Open),
            "closed" => Some(ObjectStatus::Closed),
            _ => None,
        }
    }
}

/// Where a fact comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provenance {
    /// An official open-data file, through an importer.
    OfficialImport,
    /// A Garant of the type.
    Garant,
    /// A signed-in citizen.
    Citizen,
    /// Someone not signed in.
    Anonymous,
}

impl Provenance {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Provenance::OfficialImport => "official_import",
            Provenance::Garant => "garant",
            Provenance::Citizen => "citizen",
            Provenance::Anonymous => "anonymous",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Provenance::OfficialImport,
            Provenance::Garant,
            Provenance::Citizen,
            Provenance::Anonymous,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }

    /// Official data is accepted when filed; contributions wait for moderation.
    pub fn filed_state(self) -> FactState {
        match self {
            Provenance::OfficialImport | Provenance::Garant => FactState::Accepted,
            Provenance::Citizen | Provenance::Anonymous => FactState::Pending,
        }
    }
}

/// Moderation state of a fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactState {
    /// Waiting for a Garant or a Certified citizen.
    Pending,
    /// Counts for the current value.
    Accepted,
    /// Refused, with a public reason.
    Refused,
}

impl FactState {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            FactState::Pending => "pending",
            FactState::Accepted => "accepted",
            FactState::Refused => "refused",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(FactState::Pending),
            "accepted" => Some(FactState::Accepted),
            "refused" => Some(FactState::Refused),
            _ => None,
        }
    }
}

/// A moderation decision on a pending fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The value becomes current.
    Accept,
    /// The value stays public with the reason.
    Refuse {
        /// Why, shown publicly.
        reason: String,
    },
}

impl Decision {
    /// Checks a decision: a refusal needs a reason of 3 to 2000 characters.
    pub fn new(accept: bool, reason: Option<&str>) -> Result<Self, crate::DomainError> {
        if accept {
            return Ok(Decision::Accept);
        }
        let reason = reason.map(str::trim).unwrap_or_default();
        let n = reason.chars().count();
        if !(3..=2000).contains(&n) {
            return Err(crate::DomainError::invalid(
                "reason",
                "a refusal needs a reason (3 to 2000 characters): it is shown publicly",
            )
            .fr("Un refus demande un motif (3 à 2000 caractères) : il est affiché publiquement."));
        }
        Ok(Decision::Refuse {
            reason: reason.to_owned(),
        })
    }
}

/// How an object type counts its vintages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VintageKind {
    /// School years, written `2026-2027`; a school year starts on 1 September.
    SchoolYear,
    /// Calendar years, written `2026`.
    CalendarYear,
}

/// The first year of the school year a day of `month` (1 to 12) of `year` falls in: a school
/// year starts on 1 September, so both 1 September 2026 and 31 August 2027 are in 2026-2027.
pub fn school_year_start(year: i32, month: u8) -> i32 {
    if month >= 9 { year } else { year - 1 }
}

/// The vintage a day falls in, as the type writes it: `2026-2027` (school years) or `2026`.
/// Forms suggest it, and a snapshot import (a file without vintages) files its facts under it.
pub fn vintage_on(kind: VintageKind, year: i32, month: u8) -> String {
    match kind {
        VintageKind::SchoolYear => {
            let start = school_year_start(year, month);
            format!("{start}-{}", start + 1)
        }
        VintageKind::CalendarYear => year.to_string(),
    }
}

/// Kinds of dated events in the life of an object.
pub const LIFE_EVENT_KINDS: [&str; 7] = [
    "exceptional_closure",
    "works",
    "strike",
    "reopening",
    "incident",
    "inspection",
    "other",
];

/// Kinds of documents attached to objects.
pub const DOCUMENT_KINDS: [&str; 8] = [
    "school_council_minutes",
    "asbestos_survey",
    "fire_safety_report",
    "council_deliberation",
    "cada_document",
    "photo",
    "letter",
    "other",
];

/// Checks a kind against a closed list, with a message listing the list.
pub fn check_kind(
    field: &'static str,
    kind: &str,
    kinds: &[&str],
) -> Result<(), crate::DomainError> {
    if kinds.contains(&kind) {
        Ok(())
    } else {
        Err(crate::DomainError::invalid(
            field,
            format!("unknown kind '{kind}': use one of {}", kinds.join(", ")),
        )
        .fr(format!(
            "Nature inconnue « {kind} » : choisissez-la dans la liste."
        )))
    }
}

/// Checks a `YYYY-MM-DD` date.
pub fn check_date(field: &'static str, date: &str) -> Result<(), crate::DomainError> {
    let b = date.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && digits(0..4)
        && digits(5..7)
        && digits(8..10)
        && {
            let m: u32 = date[5..7].parse().unwrap_or(0);
            let d: u32 = date[8..10].parse().unwrap_or(0);
            (1..=12).contains(&m) && (1..=31).contains(&d)
        };
    if ok {
        Ok(())
    } else {
        Err(
            crate::DomainError::invalid(field, format!("'{date}' is not a date: write YYYY-MM-DD"))
                .fr(format!(
                    "« {date} » n'est pas une date : écrivez-la sous la forme AAAA-MM-JJ."
                )),
        )
    }
}

/// Checks a title: 3 to 200 characters.
pub fn check_title(field: &'static str, title: &str) -> Result<String, crate::DomainError> {
    let t = title.trim();
    if (3..=200).contains(&t.chars().count()) {
        Ok(t.to_owned())
    } else {
        Err(
            crate::DomainError::invalid(field, "write a title of 3 to 200 characters")
                .fr("Titre invalide : 3 à 200 caractères."),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_need_a_reason() {
        assert_eq!(Decision::new(true, None), Ok(Decision::Accept));
        assert!(Decision::new(false, None).is_err());
        assert!(Decision::new(false, Some("  ")).is_err());
        assert!(matches!(
            Decision::new(false, Some("source introuvable")),
            Ok(Decision::Refuse { .. })
        ));
    }

    #[test]
    fn dates_kinds_and_titles() {
        assert!(check_date("d", "2025-02-28").is_ok());
        for bad in ["2025-2-28", "28/02/2025", "2025-13-01", "2025-00-10", ""] {
            assert!(check_date("d", bad).is_err(), "{bad}");
        }
        assert!(check_kind("k", "works", &LIFE_EVENT_KINDS).is_ok());
        assert!(
            check_kind("k", "party", &LIFE_EVENT_KINDS)
                .unwrap_err()
                .to_string()
                .contains("works")
        );
        assert!(check_title("t", " a ").is_err());
    }

    #[test]
    fn the_current_vintage_turns_on_1_september() {
        let school = |y, m| vintage_on(VintageKind::SchoolYear, y, m);
        // December 2026: the school year 2026-2027, not the plugin's first example.
        assert_eq!(school(2026, 12), "2026-2027");
        assert_eq!(school(2027, 1), "2026-2027");
        assert_eq!(school(2027, 8), "2026-2027");
        assert_eq!(school(2027, 9), "2027-2028");
        assert_eq!(school(2026, 9), "2026-2027");
        assert_eq!(school(2026, 8), "2025-2026");
        assert_eq!(school_year_start(2027, 3), 2026);
        assert_eq!(vintage_on(VintageKind::CalendarYear, 2026, 12), "2026");
        assert_eq!(vintage_on(VintageKind::CalendarYear, 2027, 1), "2027");
    }

    #[test]
    fn official_data_is_accepted_when_filed() {
        assert_eq!(
            Provenance::OfficialImport.filed_state(),
            FactState::Accepted
        );
        assert_eq!(Provenance::Anonymous.filed_state(), FactState::Pending);
        for p in ["official_import", "garant", "citizen", "anonymous"] {
            assert_eq!(Provenance::parse(p).map(Provenance::as_str), Some(p));
        }
    }
}
