//! Who hears of what, and how: the kinds of events a follower of a request or a place may
//! hear of, how each reaches them (at once, in a daily digest, or never), and the language
//! their messages are written in.

/// A language messages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// French, the default.
    #[default]
    Fr,
    /// English.
    En,
}

impl Language {
    /// Both.
    pub const ALL: [Language; 2] = [Language::Fr, Language::En];

    /// The stored code.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Fr => "fr",
            Language::En => "en",
        }
    }

    /// Reads a stored code (anything else is French).
    pub fn parse(s: &str) -> Self {
        if s.eq_ignore_ascii_case("en") {
            Language::En
        } else {
            Language::Fr
        }
    }

    /// One of two texts.
    pub fn pick<'a>(self, fr: &'a str, en: &'a str) -> &'a str {
        match self {
            Language::Fr => fr,
            Language::En => en,
        }
    }
}

/// What a follower may hear of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FollowEvent {
    /// A followed request changed status (published, in progress, solved…).
    Status,
    /// Someone answered or commented on a followed request.
    Answer,
    /// A followed request was assigned to someone.
    Assignment,
    /// A new request was published about a followed place.
    NewRequest,
    /// The reader earned a badge or a new level of one.
    Badge,
}

impl FollowEvent {
    /// Every kind, in the order the settings page lists them.
    pub const ALL: [FollowEvent; 5] = [
        FollowEvent::Status,
        FollowEvent::Answer,
        FollowEvent::Assignment,
        FollowEvent::NewRequest,
        FollowEvent::Badge,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            FollowEvent::Status => "status",
            FollowEvent::Answer => "answer",
            FollowEvent::Assignment => "assignment",
            FollowEvent::NewRequest => "new_request",
            FollowEvent::Badge => "badge",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// How it reaches a follower who chose nothing: at once, except new requests on a place,
    /// which come once a day, and badges, shown on the site and mailed only to those who ask.
    pub fn default_delivery(self) -> Delivery {
        match self {
            FollowEvent::NewRequest => Delivery::Daily,
            FollowEvent::Badge => Delivery::Never,
            _ => Delivery::Immediately,
        }
    }

    /// Its name for people.
    pub fn label(self, lang: Language) -> &'static str {
        match self {
            FollowEvent::Status => lang.pick(
                "Changements de statut des demandes suivies",
                "Status changes of followed requests",
            ),
            FollowEvent::Answer => lang.pick(
                "Réponses et commentaires sur les demandes suivies",
                "Answers and comments on followed requests",
            ),
            FollowEvent::Assignment => lang.pick(
                "Prises en charge des demandes suivies",
                "Assignments of followed requests",
            ),
            FollowEvent::NewRequest => lang.pick(
                "Nouvelles demandes sur les lieux suivis",
                "New requests about followed places",
            ),
            FollowEvent::Badge => lang.pick("Badges et niveaux gagnés", "Badges and levels earned"),
        }
    }
}

/// How a kind of event reaches a follower.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// One message per event.
    Immediately,
    /// One message a day gathering the day's events.
    Daily,
    /// Nothing.
    Never,
}

impl Delivery {
    /// Every choice.
    pub const ALL: [Delivery; 3] = [Delivery::Immediately, Delivery::Daily, Delivery::Never];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Immediately => "immediately",
            Delivery::Daily => "daily",
            Delivery::Never => "never",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// Its name for people.
    pub fn label(self, lang: Language) -> &'static str {
        match self {
            Delivery::Immediately => lang.pick("À chaque fois", "Each time"),
            Delivery::Daily => lang.pick("Un résumé par jour", "A daily digest"),
            Delivery::Never => lang.pick("Jamais", "Never"),
        }
    }
}

/// Why someone follows a request or a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowReason {
    /// They filed the request.
    Filed,
    /// They said « moi aussi ».
    Supported,
    /// It was assigned to them.
    Assigned,
    /// They chose to.
    Chosen,
}

impl FollowReason {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            FollowReason::Filed => "filed",
            FollowReason::Supported => "supported",
            FollowReason::Assigned => "assigned",
            FollowReason::Chosen => "chosen",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for e in FollowEvent::ALL {
            assert_eq!(FollowEvent::parse(e.as_str()), Some(e));
            assert_ne!(e.label(Language::Fr), e.label(Language::En));
        }
        for d in Delivery::ALL {
            assert_eq!(Delivery::parse(d.as_str()), Some(d));
        }
        assert_eq!(Delivery::parse("weekly"), None);
        assert_eq!(Language::parse("EN"), Language::En);
        assert_eq!(Language::parse("de"), Language::Fr);
        assert_eq!(FollowEvent::NewRequest.default_delivery(), Delivery::Daily);
    }
}
