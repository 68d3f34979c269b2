//! Replies by e-mail: a reply whose first line is a status word (« Résolu », "in progress")
//! asks for that status; the rest of the text is the answer.
//!
//! Pure: the words are compared without accents, case or surrounding punctuation, so that
//! « RÉSOLU ! », « resolu » and "Solved." all say the same.

use crate::requests::RequestStatus;

/// Status words, already folded (lower case, no accents), and what they ask for.
const WORDS: &[(&str, RequestStatus)] = &[
    ("resolu", RequestStatus::Solved),
    ("resolue", RequestStatus::Solved),
    ("regle", RequestStatus::Solved),
    ("reglee", RequestStatus::Solved),
    ("repare", RequestStatus::Solved),
    ("reparee", RequestStatus::Solved),
    ("solved", RequestStatus::Solved),
    ("resolved", RequestStatus::Solved),
    ("fixed", RequestStatus::Solved),
    ("non resolu", RequestStatus::NotSolved),
    ("non resolue", RequestStatus::NotSolved),
    ("pas resolu", RequestStatus::NotSolved),
    ("pas resolue", RequestStatus::NotSolved),
    ("not solved", RequestStatus::NotSolved),
    ("unsolved", RequestStatus::NotSolved),
    ("en cours", RequestStatus::InProgress),
    ("travaux en cours", RequestStatus::InProgress),
    ("in progress", RequestStatus::InProgress),
    ("pris en compte", RequestStatus::Acknowledged),
    ("prise en compte", RequestStatus::Acknowledged),
    ("bien recu", RequestStatus::Acknowledged),
    ("acknowledged", RequestStatus::Acknowledged),
    ("planifie", RequestStatus::Planned),
    ("planifiee", RequestStatus::Planned),
    ("programme", RequestStatus::Planned),
    ("programmee", RequestStatus::Planned),
    ("prevu", RequestStatus::Planned),
    ("prevue", RequestStatus::Planned),
    ("planned", RequestStatus::Planned),
    ("scheduled", RequestStatus::Planned),
    ("ferme", RequestStatus::Closed),
    ("fermee", RequestStatus::Closed),
    ("clos", RequestStatus::Closed),
    ("close", RequestStatus::Closed),
    ("cloture", RequestStatus::Closed),
    ("cloturee", RequestStatus::Closed),
    ("closed", RequestStatus::Closed),
];

/// A reply read for its status word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyText {
    /// The status its first line asks for, if the first line is a status word.
    pub status: Option<RequestStatus>,
    /// The answer: the text without the status word (trimmed; may be empty).
    pub answer: String,
}

/// Lower case, without accents, inner spaces collapsed, surrounding punctuation dropped.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        out.push(match c {
            'à' | 'â' | 'ä' | 'á' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' => 'i',
            'ô' | 'ö' | 'ó' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ç' => 'c',
            'ÿ' => 'y',
            '\u{a0}' | '\u{202f}' | '\t' => ' ',
            c => c,
        });
    }
    let trimmed = out.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, '.' | '!' | ':' | ',' | ';' | '-' | '*' | '«' | '»' | '"')
    });
    trimmed.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The status a line says, when the whole line is one status word (« Résolu », "In progress.").
pub fn status_word(line: &str) -> Option<RequestStatus> {
    let folded = fold(line);
    WORDS.iter().find(|(w, _)| *w == folded).map(|(_, s)| *s)
}

/// Splits a reply into its status word and its answer. The status word is the first non-empty
/// line, alone (« Résolu ») or followed by a colon, a dash or a full stop and more text
/// (« Résolu : c'est réparé »), which then begins the answer.
pub fn read_reply(text: &str) -> ReplyText {
    let text = text.trim();
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    if let Some(status) = status_word(first) {
        return ReplyText {
            status: Some(status),
            answer: rest.trim().to_owned(),
        };
    }
    for sep in [':', '.', '!', '—', '–', '-'] {
        if let Some((word, more)) = first.split_once(sep)
            && let Some(status) = status_word(word)
        {
            let answer = format!("{}\n{}", more.trim(), rest.trim());
            return ReplyText {
                status: Some(status),
                answer: answer.trim().to_owned(),
            };
        }
    }
    ReplyText {
        status: None,
        answer: text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_words_ignore_accents_case_and_punctuation() {
        for (line, status) in [
            ("Résolu", RequestStatus::Solved),
            ("RÉSOLUE !", RequestStatus::Solved),
            ("resolu.", RequestStatus::Solved),
            ("Solved", RequestStatus::Solved),
            ("resolved", RequestStatus::Solved),
            ("En  cours", RequestStatus::InProgress),
            ("in progress", RequestStatus::InProgress),
            ("Pris en compte", RequestStatus::Acknowledged),
            ("Fermé", RequestStatus::Closed),
            ("closed", RequestStatus::Closed),
            ("Clôturée", RequestStatus::Closed),
            ("Planifié", RequestStatus::Planned),
            ("Non résolu", RequestStatus::NotSolved),
        ] {
            assert_eq!(status_word(line), Some(status), "{line}");
        }
        for line in [
            "Bonjour",
            "résolution",
            "",
            "c'est résolu",
            "en cours de route",
        ] {
            assert_eq!(status_word(line), None, "{line}");
        }
    }

    #[test]
    fn the_first_line_is_the_status_and_the_rest_the_answer() {
        let r = read_reply("Résolu\n\nC'est réparé");
        assert_eq!(r.status, Some(RequestStatus::Solved));
        assert_eq!(r.answer, "C'est réparé");
        let r = read_reply("\n  En cours : l'équipe passe jeudi.\nMerci");
        assert_eq!(r.status, Some(RequestStatus::InProgress));
        assert_eq!(r.answer, "l'équipe passe jeudi.\nMerci");
        let r = read_reply("Bonjour,\nrésolu depuis hier.");
        assert_eq!(r.status, None);
        assert_eq!(r.answer, "Bonjour,\nrésolu depuis hier.");
        let r = read_reply("Solved.");
        assert_eq!(r.status, Some(RequestStatus::Solved));
        assert_eq!(r.answer, "");
    }
}
