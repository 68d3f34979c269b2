//! Vigie's mailer.
//!
//! Every e-mail goes through the [`Mailer`] trait. Two mailers: [`SmtpMailer`], through
//! lettre, for a real instance (`mail.smtp_url`); and the embedded default, [`OutboxMailer`],
//! which writes each message as an `.eml` file in an outbox folder and logs where, so that a
//! newcomer running `make run` can open verification and reset links without a mail server.
//!
//! Neither is called by the use cases directly: they queue messages in the database outbox,
//! and a worker hands them here (see `vigie-services`). Each message carries a `Message-ID`
//! fixed when it was queued, so that a message sent twice (a crash between sending and
//! marking it sent) is recognisably the same one.

use std::path::{Path, PathBuf};

use async_trait::async_trait;

mod compose;
pub mod inbound;
mod smtp;

pub use smtp::{SmtpConfig, SmtpMailer, SmtpSecurity};

/// One e-mail to send.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// The same as HTML, sent as an alternative to the text.
    pub html: Option<String>,
    /// The sender's name (the collective's) before the configured address.
    pub from_name: Option<String>,
    /// Where answers go (`reply+TOKEN@…` for a notification about a request).
    pub reply_to: Option<String>,
    /// The one-click link that stops this kind of message (`List-Unsubscribe`).
    pub unsubscribe_url: Option<String>,
    /// Local part of the `Message-ID` (the sender's domain is added): the same for every
    /// attempt at one message. `None`: a fresh one.
    pub message_id: Option<String>,
}

/// A message the mailer handed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// Its full `Message-ID` header value, `<local@domain>`.
    pub message_id: String,
    /// What took it said: the SMTP server's reply (`250 …`), or the file written.
    pub reply: String,
}

/// Why a message could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// Writing to the outbox failed.
    #[error("cannot write to the mail outbox {path}: {source}")]
    Outbox {
        /// The folder.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// A header would be malformed (e.g. a newline in the subject).
    #[error("invalid e-mail header: {0}")]
    Header(String),
    /// An address (sender or recipient) is not one.
    #[error("invalid e-mail address {0}")]
    Address(String),
    /// The SMTP settings cannot be used; the message says what to fix.
    #[error("invalid mail.smtp_url: {0}")]
    Config(String),
    /// The SMTP server could not be reached, or refused the message.
    #[error("SMTP: {0}")]
    Smtp(String),
}

/// Sends e-mail.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one message; answers what the server (or the folder) said.
    async fn send(&self, message: &Message) -> Result<Sent, MailError>;

    /// Where messages go, for logs and `vigie mail test` (never a password).
    fn describe(&self) -> String;

    /// Whether sending is a local write that cannot hang (the outbox folder): then queued
    /// messages may be handed on at once, in the action that queued them.
    fn is_local(&self) -> bool {
        false
    }
}

/// A fresh `Message-ID` local part: 128 random bits in hexadecimal.
pub fn new_message_id() -> String {
    use rand::RngCore as _;
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The domain of a sender such as `Vigie <no-reply@vigie.example>` (`vigie.example`), for
/// `Message-ID`s; `vigie.localhost` when it has none.
pub fn sender_domain(from: &str) -> String {
    let address = match (from.rfind('<'), from.rfind('>')) {
        (Some(a), Some(b)) if a < b => &from[a + 1..b],
        _ => from,
    };
    address
        .rsplit_once('@')
        .map(|(_, d)| d.trim())
        .filter(|d| {
            !d.is_empty()
                && d.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        })
        .unwrap_or("vigie.localhost")
        .to_owned()
}

/// The full `Message-ID` of `message` sent as `from`.
fn full_message_id(message: &Message, from: &str) -> String {
    let local = message.message_id.clone().unwrap_or_else(new_message_id);
    format!("<{local}@{}>", sender_domain(from))
}

/// Writes messages as RFC 5322 files into a folder.
#[derive(Debug, Clone)]
pub struct OutboxMailer {
    dir: PathBuf,
    from: String,
}

impl OutboxMailer {
    /// A mailer writing into `dir` (created on first use), sending as `from`.
    pub fn new(dir: impl Into<PathBuf>, from: impl Into<String>) -> Self {
        Self {
            dir: dir.into(),
            from: from.into(),
        }
    }

    /// The outbox folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

fn check_header(value: &str) -> Result<(), MailError> {
    if value.contains(['\r', '\n']) {
        return Err(MailError::Header(format!("line break in {value:?}")));
    }
    Ok(())
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, message: &Message) -> Result<Sent, MailError> {
        let (email, message_id) = compose::compose(message, &self.from)?;
        let io = |source| MailError::Outbox {
            path: self.dir.clone(),
            source,
        };
        tokio::fs::create_dir_all(&self.dir).await.map_err(io)?;
        let now = time::OffsetDateTime::now_utc();
        let text = email.formatted();
        let name = format!("{}-{:09}.eml", now.unix_timestamp(), now.nanosecond());
        let path = self.dir.join(name);
        tokio::fs::write(&path, text).await.map_err(io)?;
        tracing::info!(outbox = %path.display(), subject = %message.subject, "e-mail written to the outbox");
        Ok(Sent {
            message_id,
            reply: format!("written to {}", path.display()),
        })
    }

    fn describe(&self) -> String {
        format!("the outbox folder {}", self.dir.display())
    }

    fn is_local(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_a_readable_message() {
        let dir = tempfile::tempdir().unwrap();
        let m = OutboxMailer::new(dir.path().join("outbox"), "Vigie <no-reply@vigie.test>");
        m.send(&Message {
            to: "jeanne@example.org".into(),
            subject: "Vérifiez votre adresse".into(),
            body: "Lien : http://x/verify?token=abc".into(),
            message_id: Some("abc123".into()),
            ..Message::default()
        })
        .await
        .unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path().join("outbox"))
            .unwrap()
            .collect();
        assert_eq!(files.len(), 1);
        let text = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
        assert!(text.contains("To: jeanne@example.org"));
        assert!(text.to_lowercase().contains("subject: =?utf-8?"), "{text}");
        assert!(text.contains("http://x/verify?token=abc"));
        assert!(
            text.contains("Message-ID: <abc123@vigie.test>\r\n"),
            "{text}"
        );
    }

    #[test]
    fn sender_domains() {
        assert_eq!(
            sender_domain("Vigie <no-reply@vigie.example>"),
            "vigie.example"
        );
        assert_eq!(sender_domain("no-reply@mairie.fr"), "mairie.fr");
        assert_eq!(sender_domain("Vigie"), "vigie.localhost");
        assert_eq!(new_message_id().len(), 32);
    }

    #[tokio::test]
    async fn refuses_header_injection() {
        let dir = tempfile::tempdir().unwrap();
        let m = OutboxMailer::new(dir.path(), "a@b.c");
        let err = m
            .send(&Message {
                to: "a@b.c\r\nBcc: x@y.z".into(),
                subject: "s".into(),
                ..Message::default()
            })
            .await;
        assert!(matches!(err, Err(MailError::Header(_))));
    }
}
