//! Badges, « the only reward for the citizen who acts »: what a badge is (a key, names and
//! descriptions in French and English, a visual, levels with thresholds) and how it is earned
//! (granted by a Garant with a reason, or by a rule: a SQL query scoring each account, see
//! `vigie_storage::badge_rules`). A level is how many thresholds a score has passed; a level
//! once reached is never taken back.

use crate::DomainError;
use crate::notify::Language;

/// The most levels a badge may have.
pub const MAX_LEVELS: usize = 10;

/// The visuals shipped with Vigie (`static/badges/{name}.svg`); a Guru picks one of them or
/// uploads an SVG of their own, which is sanitized first.
pub const BUNDLED_VISUALS: [&str; 8] = [
    "star",
    "shield",
    "megaphone",
    "hand",
    "check",
    "pin",
    "book",
    "heart",
];

/// A badge's key, unique in its collective: `a-z`, digits, `-` and `_`, 2 to 40 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BadgeKey(String);

impl BadgeKey {
    /// Checks a key.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let key = raw.trim();
        let ok = (2..=40).contains(&key.len())
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !ok {
            return Err(DomainError::invalid(
                "key",
                "a badge key is 2 to 40 characters: lower-case letters, digits, - and _",
            )
            .fr("la clé d'un badge compte 2 à 40 caractères : minuscules, chiffres, - et _"));
        }
        Ok(Self(key.to_owned()))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A badge's levels: the score each one needs, strictly increasing and positive
/// (e.g. 1 / 5 / 10 / 30 / 60).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Levels(Vec<i64>);

impl Levels {
    /// Checks thresholds.
    pub fn new(thresholds: Vec<i64>) -> Result<Self, DomainError> {
        let increasing = thresholds.windows(2).all(|w| w[0] < w[1]);
        if thresholds.is_empty()
            || thresholds.len() > MAX_LEVELS
            || thresholds[0] < 1
            || !increasing
        {
            return Err(DomainError::invalid(
                "levels",
                format!(
                    "give 1 to {MAX_LEVELS} thresholds, positive and increasing, e.g. 1, 5, 10, 30, 60"
                ),
            )
            .fr(format!(
                "donnez 1 à {MAX_LEVELS} seuils, positifs et croissants, par exemple 1, 5, 10, 30, 60"
            )));
        }
        Ok(Self(thresholds))
    }

    /// Reads thresholds written as « 1, 5, 10 » (commas, semicolons or spaces).
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let parsed: Result<Vec<i64>, _> = text
            .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::parse::<i64>)
            .collect();
        match parsed {
            Ok(v) => Self::new(v),
            Err(_) => Self::new(Vec::new()),
        }
    }

    /// The thresholds.
    pub fn thresholds(&self) -> &[i64] {
        &self.0
    }

    /// How many levels there are.
    pub fn count(&self) -> usize {
        self.0.len()
    }

    /// The level a score reaches: how many thresholds it has passed (0 = none yet).
    pub fn level_for(&self, score: i64) -> u32 {
        self.0.iter().take_while(|&&t| score >= t).count() as u32
    }

    /// What a score still needs for the next level after `level`: the level and how much
    /// more; `None` once the last level is reached.
    pub fn next_goal(&self, level: u32, score: i64) -> Option<Goal> {
        let threshold = *self.0.get(level as usize)?;
        Some(Goal {
            level: level + 1,
            missing: (threshold - score).max(1),
        })
    }

    /// Written back as « 1, 5, 10 ».
    pub fn to_text(&self) -> String {
        self.0
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The next level of a badge and what it still takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Goal {
    /// The level to reach.
    pub level: u32,
    /// How much the score must still grow.
    pub missing: i64,
}

/// The name of a level in a language: « bronze », « argent »… then « niveau 6 ».
pub fn level_name(level: u32, lang: Language) -> String {
    const FR: [&str; 5] = ["bronze", "argent", "or", "platine", "diamant"];
    const EN: [&str; 5] = ["bronze", "silver", "gold", "platinum", "diamond"];
    let names = match lang {
        Language::Fr => FR,
        Language::En => EN,
    };
    match level {
        1..=5 => names[level as usize - 1].to_owned(),
        _ => format!("{} {level}", lang.pick("niveau", "level")),
    }
}

/// A text of a badge in both languages, checked: `max` characters at most, the French given.
pub fn checked_text(
    field: &'static str,
    value: &str,
    max: usize,
    required: bool,
) -> Result<String, DomainError> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(DomainError::invalid(field, "write it").fr("ce champ est à remplir"));
    }
    if value.chars().count() > max {
        return Err(
            DomainError::invalid(field, format!("{max} characters at most"))
                .fr(format!("{max} caractères au plus")),
        );
    }
    Ok(value.to_owned())
}

/// The reason a Garant gives for a manual badge: 3 to 500 characters, shown publicly.
pub fn award_reason(reason: &str) -> Result<String, DomainError> {
    let reason = reason.trim();
    if reason.chars().count() < 3 {
        return Err(DomainError::invalid(
            "reason",
            "say why this badge is granted (3 characters at least); it is shown publicly",
        )
        .fr("dites pourquoi ce badge est attribué (3 caractères au moins) ; c'est public"));
    }
    checked_text("reason", reason, 500, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_count_passed_thresholds() {
        let l = Levels::parse("1, 5 10;30 60").unwrap();
        assert_eq!(l.thresholds(), &[1, 5, 10, 30, 60]);
        assert_eq!(l.level_for(0), 0);
        assert_eq!(l.level_for(1), 1);
        assert_eq!(l.level_for(9), 2);
        assert_eq!(l.level_for(10), 3);
        assert_eq!(l.level_for(1000), 5);
        assert_eq!(
            l.next_goal(2, 7),
            Some(Goal {
                level: 3,
                missing: 3
            })
        );
        assert_eq!(l.next_goal(5, 1000), None);
        assert_eq!(l.to_text(), "1, 5, 10, 30, 60");
    }

    #[test]
    fn bad_levels_are_refused() {
        for bad in [
            "",
            "0, 5",
            "5, 5",
            "10, 5",
            "a, b",
            "1,2,3,4,5,6,7,8,9,10,11",
        ] {
            assert!(Levels::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_and_reasons() {
        assert!(BadgeKey::parse("first-contribution").is_ok());
        assert!(BadgeKey::parse("A").is_err());
        assert!(BadgeKey::parse("drop table").is_err());
        assert!(award_reason("ok").is_err());
        assert_eq!(award_reason("  merci !  ").unwrap(), "merci !");
        assert_eq!(level_name(2, Language::Fr), "argent");
        assert_eq!(level_name(7, Language::En), "level 7");
    }
}
