//! The messages Vigie sends, written once as a [`Letter`] in the recipient's language and
//! rendered twice: plain text and HTML, carrying the same words and the same link. Nothing
//! here knows of storage: the use cases fill a letter with what they know, in words a person
//! reads (a status is « résolue », never `solved`).

use vigie_domain::notify::Language;
use vigie_domain::requests::RequestStatus;
use vigie_storage::NewOutboxMail;

use crate::Services;

/// One message, before it is rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Letter {
    /// Its language.
    pub lang: Language,
    /// Subject line.
    pub subject: String,
    /// « Bonjour Jeanne, », if the recipient has a name here.
    pub greeting: Option<String>,
    /// What it says, a paragraph each.
    pub paragraphs: Vec<String>,
    /// Words quoted from someone (a request's text, a note), shown apart.
    pub quote: Option<String>,
    /// The link to act on: its label and address.
    pub action: Option<(String, String)>,
    /// Paragraphs after the link (what the link allows, whom not to give it to).
    pub after: Vec<String>,
    /// Why this message came and how to stop it.
    pub footer: Vec<String>,
}

impl Letter {
    /// A letter with a subject, in `lang`.
    pub fn new(lang: Language, subject: impl Into<String>) -> Self {
        Self {
            lang,
            subject: subject.into(),
            greeting: None,
            paragraphs: Vec::new(),
            quote: None,
            action: None,
            after: Vec::new(),
            footer: Vec::new(),
        }
    }

    /// Adds a greeting to `name`.
    pub fn greet(mut self, name: &str) -> Self {
        self.greeting = Some(format!("{} {name},", self.lang.pick("Bonjour", "Hello")));
        self
    }

    /// Adds a paragraph.
    pub fn say(mut self, paragraph: impl Into<String>) -> Self {
        self.paragraphs.push(paragraph.into());
        self
    }

    /// Quotes someone's words (empty: nothing).
    pub fn quote(mut self, words: &str) -> Self {
        let words = words.trim();
        if !words.is_empty() {
            self.quote = Some(words.to_owned());
        }
        self
    }

    /// The link to act on.
    pub fn action(mut self, label: impl Into<String>, url: impl Into<String>) -> Self {
        self.action = Some((label.into(), url.into()));
        self
    }

    /// A paragraph after the link.
    pub fn then(mut self, paragraph: impl Into<String>) -> Self {
        self.after.push(paragraph.into());
        self
    }

    /// A line of the footer.
    pub fn footer(mut self, line: impl Into<String>) -> Self {
        self.footer.push(line.into());
        self
    }

    /// The plain text.
    pub fn text(&self) -> String {
        let mut out = String::new();
        if let Some(g) = &self.greeting {
            out.push_str(g);
            out.push_str("\n\n");
        }
        for p in &self.paragraphs {
            out.push_str(p);
            out.push_str("\n\n");
        }
        if let Some(q) = &self.quote {
            for line in q.lines() {
                out.push_str("> ");
                out.push_str(line);
                out.push('\n');
            }
            out.push('\n');
        }
        if let Some((label, url)) = &self.action {
            out.push_str(&format!("{label} :\n{url}\n\n"));
        }
        for p in &self.after {
            out.push_str(p);
            out.push_str("\n\n");
        }
        if !self.footer.is_empty() {
            out.push_str("-- \n");
            for line in &self.footer {
                out.push_str(line);
                out.push('\n');
            }
        }
        out.trim_end().to_owned() + "\n"
    }

    /// The same as HTML (every word escaped; the one link as a button).
    pub fn html(&self) -> String {
        let p = |text: &str| {
            format!(
                "<p style=\"margin:0 0 1em\">{}</p>\n",
                escape(text).replace('\n', "<br>")
            )
        };
        let mut out = format!(
            "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\"><title>{}</title></head>\n\
             <body style=\"font-family:system-ui,sans-serif;font-size:16px;line-height:1.5;\
             color:#1b1b1b;max-width:40em;margin:0 auto;padding:1em\">\n",
            self.lang.as_str(),
            escape(&self.subject)
        );
        if let Some(g) = &self.greeting {
            out.push_str(&p(g));
        }
        for para in &self.paragraphs {
            out.push_str(&p(para));
        }
        if let Some(q) = &self.quote {
            out.push_str(&format!(
                "<blockquote style=\"margin:0 0 1em;padding:.5em 1em;border-left:4px solid \
                 #6a6a6a;background:#f4f4f4\">{}</blockquote>\n",
                escape(q).replace('\n', "<br>")
            ));
        }
        if let Some((label, url)) = &self.action {
            out.push_str(&format!(
                "<p style=\"margin:1.5em 0\"><a href=\"{url}\" style=\"background:#000091;\
                 color:#fff;padding:.6em 1.2em;text-decoration:none;border-radius:4px\">{label}\
                 </a></p>\n<p style=\"margin:0 0 1em;font-size:14px;color:#555\">{url}</p>\n",
                url = escape(url),
                label = escape(label),
            ));
        }
        for para in &self.after {
            out.push_str(&p(para));
        }
        if !self.footer.is_empty() {
            out.push_str("<hr style=\"border:0;border-top:1px solid #ddd\">\n");
            out.push_str("<p style=\"font-size:13px;color:#555\">");
            let lines: Vec<String> = self.footer.iter().map(|l| escape(l)).collect();
            out.push_str(&lines.join("<br>"));
            out.push_str("</p>\n");
        }
        out.push_str("</body></html>\n");
        out
    }
}

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A status as people say it.
pub(crate) fn status(lang: Language, s: RequestStatus) -> &'static str {
    s.label(lang)
}

/// Who a message is for, as the journal and the outbox name them.
#[derive(Debug, Clone)]
pub(crate) struct Recipient<'a> {
    /// Address (private).
    pub address: &'a str,
    /// Public name or role, for the journal's delivery entry; `None`: not journaled.
    pub label: Option<String>,
}

/// What a queued message is about.
#[derive(Debug, Clone, Copy)]
pub(crate) struct About<'a> {
    /// The collective, whose name the sender bears.
    pub tenant: &'a vigie_storage::Tenant,
    /// The request, if any.
    pub request_id: Option<i64>,
}

impl Services {
    /// A letter queued as an e-mail: a fresh `Message-ID`, kept for every attempt; the
    /// collective's name as the sender's.
    pub(crate) fn outbox_letter(
        &self,
        to: &Recipient<'_>,
        letter: &Letter,
        purpose: &str,
        about: Option<About<'_>>,
        unsubscribe_url: Option<String>,
    ) -> NewOutboxMail {
        NewOutboxMail {
            message_id: vigie_mail::new_message_id(),
            to: to.address.to_owned(),
            subject: letter.subject.clone(),
            body: letter.text(),
            html: Some(letter.html()),
            from_name: about.map(|a| format!("{} (Vigie)", a.tenant.name)),
            reply_to: None,
            unsubscribe_url,
            recipient_label: to.label.clone(),
            purpose: purpose.to_owned(),
            tenant: about.map(|a| a.tenant.id),
            request_id: about.and_then(|a| a.request_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter() -> Letter {
        Letter::new(Language::Fr, "Demande n° 3 : résolue")
            .greet("Jeanne")
            .say("Votre demande « Fuite <toit> » est passée de « en cours » à « résolue ».")
            .quote("C'est réparé & vérifié.\nMerci.")
            .action("Voir la demande", "http://x/t/a/r/3?token=ab&c=1")
            .then("Ce lien est personnel.")
            .footer("Vous suivez cette demande.")
    }

    #[test]
    fn text_and_html_say_the_same() {
        let l = letter();
        let text = l.text();
        assert!(text.starts_with("Bonjour Jeanne,\n\n"));
        assert!(text.contains("> C'est réparé & vérifié.\n> Merci.\n"));
        assert!(text.contains("Voir la demande :\nhttp://x/t/a/r/3?token=ab&c=1\n"));
        assert!(text.contains("\n-- \nVous suivez cette demande.\n"));
        let html = l.html();
        assert!(html.contains("<html lang=\"fr\">"));
        assert!(html.contains("« Fuite &lt;toit&gt; »"));
        assert!(html.contains("href=\"http://x/t/a/r/3?token=ab&amp;c=1\""));
        assert!(html.contains("C&#39;est réparé &amp; vérifié.<br>Merci."));
        assert!(!html.contains("<toit>"));
    }

    #[test]
    fn statuses_are_words() {
        for s in RequestStatus::ALL {
            for lang in Language::ALL {
                let w = status(lang, s);
                assert!(!w.contains('_'), "{w}");
            }
        }
        assert_eq!(status(Language::Fr, RequestStatus::InProgress), "en cours");
    }
}
