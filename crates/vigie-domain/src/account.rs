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
            || local.chars().any(|c| {
                c.is_whitespace() || c.is_control() || "@\"(),:;<>[\\]".contains(c)
            })
            // A dot neither starts nor ends the name, nor follows another (RFC 5322): mail
            // servers refuse such addresses, so nothing could ever be sent to them.
            || local.starts_with('.')
            || local.ends_with('.')
            || local.contains("..")
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

/// The stable public identity of an account: 16 lowercase hexadecimal digits, drawn at random
/// once and never changed. The public journal names accounts by it (`account:7f3c1a2b3c4d5e6f`)
/// and shows their current display name beside it when it is read, so that renaming or
/// deleting an account changes no hashed byte and leaves no name behind in new entries.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Pseudonym(String);

impl Pseudonym {
    /// How a journal entry refers to an account: this prefix, then the pseudonym.
    pub const JOURNAL_PREFIX: &'static str = "account:";

    /// Checks a stored pseudonym.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        if raw.len() == 16 && raw.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(DomainError::invalid(
                "pseudonym",
                "a pseudonym is 16 lowercase hexadecimal digits",
            ))
        }
    }

    /// A pseudonym from 8 random bytes (the caller draws them).
    pub fn from_bytes(bytes: [u8; 8]) -> Self {
        Self(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The pseudonym as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The reference a journal entry writes: `account:7f3c1a2b3c4d5e6f`.
    pub fn journal_ref(&self) -> String {
        format!("{}{}", Self::JOURNAL_PREFIX, self.0)
    }

    /// The pseudonym a journal reference names, if it names one (entries written before
    /// pseudonyms carry a plain name, which names none).
    pub fn from_journal_ref(text: &str) -> Option<Self> {
        Self::parse(text.strip_prefix(Self::JOURNAL_PREFIX)?).ok()
    }
}

impl std::fmt::Display for Pseudonym {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
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

    /// The neutral name an account gets when its owner chose none, and keeps once deleted:
    /// « Membre » and the start of its pseudonym (`Membre 7f3c1a`). Nothing in it comes from
    /// the e-mail address.
    pub fn neutral(pseudonym: &Pseudonym) -> Self {
        Self(format!("Membre {}", &pseudonym.as_str()[..6]))
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
        assert!(Email::parse("jeanne.d+vigie@marseille.fr").is_ok());
        for bad in [
            "",
            "x",
            "@a.fr",
            "a@",
            "a@b",
            "a b@c.fr",
            "a@b@c.fr",
            "a..b@c.fr",
            ".a@c.fr",
            "a.@c.fr",
            "a<b@c.fr",
            "a,b@c.fr",
            "\"a\"@c.fr",
        ] {
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
        let p = Pseudonym::parse("7f3c1a2b3c4d5e6f").unwrap();
        assert_eq!(DisplayName::neutral(&p).as_str(), "Membre 7f3c1a");
        assert!(DisplayName::parse(DisplayName::neutral(&p).as_str()).is_ok());
    }

    #[test]
    fn pseudonyms_and_their_journal_references() {
        let p = Pseudonym::parse("7f3c1a2b3c4d5e6f").unwrap();
        assert_eq!(p.journal_ref(), "account:7f3c1a2b3c4d5e6f");
        assert_eq!(
            Pseudonym::from_journal_ref("account:7f3c1a2b3c4d5e6f"),
            Some(p)
        );
        assert_eq!(Pseudonym::from_journal_ref("Jeanne D."), None);
        assert_eq!(Pseudonym::from_journal_ref("account:xyz"), None);
        for bad in [
            "",
            "7f3c",
            "7F3C1A2B3C4D5E6F",
            "7f3c1a2b3c4d5e6g",
            "7f3c1a2b3c4d5e6f0",
        ] {
            assert!(Pseudonym::parse(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(
            Pseudonym::from_bytes([0xab; 8]).as_str(),
            "abababababababab"
        );
    }
}
