//! Accounts: e-mail addresses, passwords and display names.

use serde::{Deserialize, Serialize};

use crate::{DomainError, EmailDomain};

/// Database identity of a user account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UserId(pub i64);

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A syntactically valid e-mail address, stored lowercase. Personal data: never shown
/// publicly, never exported.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Checks and normalises an address (`Jeanne@Marseille.FR` → `jeanne@marseille.fr`).
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim().to_lowercase();
        let bad = || {
            DomainError::invalid(
                "email",
                format!(
                    "'{}' is not an e-mail address: expected name@domain.tld",
                    raw.trim()
                ),
            )
            .fr(format!(
                "« {} » n'est pas une adresse e-mail : écrivez nom@domaine.fr",
                raw.trim()
            ))
        };
        let (local, domain) = s.split_once('@').ok_or_else(bad)?;
        if local.is_empty()
            || local.len() > 64
            || s.len() > 254
            || local
                .chars()
                .any(|c| c.is_whitespace() || c == '@' || c.is_control())
        {
            return Err(bad());
        }
        EmailDomain::parse(domain).map_err(|_| bad())?;
        Ok(Self(s))
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The domain part, e.g. `marseille.fr`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
    }

    /// Whether this address belongs to `domain` or one of its sub-domains
    /// (`x@ville.marseille.fr` belongs to `marseille.fr`).
    pub fn belongs_to(&self, domain: &EmailDomain) -> bool {
        let own = self.domain();
        own == domain.as_str()
            || own
                .strip_suffix(domain.as_str())
                .is_some_and(|prefix| prefix.ends_with('.'))
    }
}

impl std::fmt::Debug for Email {
    // E-mails are personal data: keep them out of logs by default.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Email(***@{})", self.domain())
    }
}

/// A password as typed by a user, checked for length. Redacted in `Debug`.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Minimum length, in characters.
    pub const MIN_CHARS: usize = 10;

    /// Checks a new password's length (10 to 1024 characters).
    pub fn new(raw: &str) -> Result<Self, DomainError> {
        let n = raw.chars().count();
        if n < Self::MIN_CHARS {
            return Err(DomainError::invalid(
                "password",
                format!(
                    "the password is too short: use at least {} characters",
                    Self::MIN_CHARS
                ),
            )
            .fr(format!(
                "Mot de passe trop court : au moins {} caractères.",
                Self::MIN_CHARS
            )));
        }
        if n > 1024 {
            return Err(DomainError::invalid(
                "password",
                "the password is too long: use at most 1024 characters",
            )
            .fr("Mot de passe trop long : au plus 1024 caractères."));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The clear text, for hashing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// The public name of a user, shown beside their contributions and role grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisplayName(String);

impl DisplayName {
    /// Checks a display name: 1 to 60 characters, no control characters, no `@` (so nobody
    /// publishes an e-mail address as a name by accident).
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        let n = s.chars().count();
        if n == 0 || n > 60 || s.chars().any(char::is_control) {
            return Err(DomainError::invalid(
                "display_name",
                "the display name must be 1 to 60 printable characters",
            )
            .fr("Le nom affiché doit compter de 1 à 60 caractères imprimables."));
        }
        if s.contains('@') {
            return Err(DomainError::invalid(
                "display_name",
                "the display name is public: do not put an e-mail address in it",
            )
            .fr("Le nom affiché est public : n'y mettez pas d'adresse e-mail."));
        }
        Ok(Self(s.to_owned()))
    }

    /// A default display name derived from an e-mail's local part, e.g. `jeanne.d` for
    /// `jeanne.d@example.org`.
    pub fn from_email(email: &Email) -> Self {
        let local: String = email
            .as_str()
            .split('@')
            .next()
            .unwrap_or("user")
            .chars()
            .filter(|c| !c.is_control())
            .take(60)
            .collect();
        Self(if local.is_empty() {
            "user".into()
        } else {
            local
        })
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_normalise_and_reject() {
        let e = Email::parse("  Jeanne.D@Marseille.FR ").unwrap();
        assert_eq!(e.as_str(), "jeanne.d@marseille.fr");
        assert_eq!(e.domain(), "marseille.fr");
        for bad in ["", "x", "@a.fr", "a@", "a@b", "a b@c.fr", "a@b@c.fr"] {
            assert!(Email::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn official_domain_membership() {
        let d = EmailDomain::parse("marseille.fr").unwrap();
        assert!(Email::parse("a@marseille.fr").unwrap().belongs_to(&d));
        assert!(Email::parse("a@ville.marseille.fr").unwrap().belongs_to(&d));
        assert!(!Email::parse("a@notmarseille.fr").unwrap().belongs_to(&d));
        assert!(
            !Email::parse("a@marseille.fr.evil.com")
                .unwrap()
                .belongs_to(&d)
        );
    }

    #[test]
    fn debug_hides_secrets() {
        let e = Email::parse("jeanne@marseille.fr").unwrap();
        assert!(!format!("{e:?}").contains("jeanne"));
        let p = Password::new("correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
        assert!(Password::new("short").is_err());
    }

    #[test]
    fn display_names() {
        assert!(DisplayName::parse("Jeanne D.").is_ok());
        assert!(DisplayName::parse("").is_err());
        assert!(DisplayName::parse("a@b.fr").is_err());
        let e = Email::parse("jeanne@marseille.fr").unwrap();
        assert_eq!(DisplayName::from_email(&e).as_str(), "jeanne");
    }
}
