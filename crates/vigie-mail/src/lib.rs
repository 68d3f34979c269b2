//! Vigie's mailer.
//!
//! Every e-mail goes through the [`Mailer`] trait. The embedded default, [`OutboxMailer`],
//! writes each message as an `.eml` file in an outbox folder and logs where, so that a
//! newcomer running `make run` can open verification and reset links without a mail server.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use base64::Engine as _;

/// One e-mail to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
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
}

/// Sends e-mail.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one message.
    async fn send(&self, message: &Message) -> Result<(), MailError>;
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

/// Encodes a header value as RFC 2047 UTF-8 base64 when it is not plain ASCII.
fn encode_header(value: &str) -> String {
    if value.is_ascii() {
        value.to_owned()
    } else {
        format!(
            "=?UTF-8?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(value.as_bytes())
        )
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, message: &Message) -> Result<(), MailError> {
        check_header(&message.to)?;
        check_header(&message.subject)?;
        let io = |source| MailError::Outbox {
            path: self.dir.clone(),
            source,
        };
        tokio::fs::create_dir_all(&self.dir).await.map_err(io)?;
        let now = time::OffsetDateTime::now_utc();
        let date = now
            .format(&time::format_description::well_known::Rfc2822)
            .unwrap_or_default();
        let text = format!(
            "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {date}\r\nMIME-Version: 1.0\r\n\
             Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}\r\n",
            self.from,
            message.to,
            encode_header(&message.subject),
            message.body.replace('\n', "\r\n"),
        );
        let name = format!("{}-{:09}.eml", now.unix_timestamp(), now.nanosecond());
        let path = self.dir.join(name);
        tokio::fs::write(&path, text).await.map_err(io)?;
        tracing::info!(outbox = %path.display(), subject = %message.subject, "e-mail written to the outbox");
        Ok(())
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
        })
        .await
        .unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path().join("outbox"))
            .unwrap()
            .collect();
        assert_eq!(files.len(), 1);
        let text = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
        assert!(text.contains("To: jeanne@example.org"));
        assert!(text.contains("Subject: =?UTF-8?B?"));
        assert!(text.contains("http://x/verify?token=abc"));
    }

    #[tokio::test]
    async fn refuses_header_injection() {
        let dir = tempfile::tempdir().unwrap();
        let m = OutboxMailer::new(dir.path(), "a@b.c");
        let err = m
            .send(&Message {
                to: "a@b.c\r\nBcc: x@y.z".into(),
                subject: "s".into(),
                body: String::new(),
            })
            .await;
        assert!(matches!(err, Err(MailError::Header(_))));
    }
}
