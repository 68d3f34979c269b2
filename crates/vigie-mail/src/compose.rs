//! One message in RFC 5322, built the same way for every mailer: the sender's name (the
//! collective's), plain text and, when given, HTML as alternatives, `Reply-To`, and for a
//! notification `List-Unsubscribe` with its one-click `List-Unsubscribe-Post` (RFC 8058).
//! Every message says it was sent by a machine (`Auto-Submitted: auto-generated`, RFC 3834),
//! so that out-of-office robots do not answer it.

use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};

use crate::{MailError, Message, check_header, full_message_id};

/// The sender: the configured mailbox, under the message's own name when it has one.
pub(crate) fn sender(from: &str, name: Option<&str>) -> Result<Mailbox, MailError> {
    let mailbox: Mailbox = from
        .parse()
        .map_err(|e| MailError::Address(format!("'{from}' (mail.from): {e}")))?;
    Ok(match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => {
            check_header(name)?;
            Mailbox::new(Some(name.to_owned()), mailbox.email)
        }
        None => mailbox,
    })
}

/// Readable 8-bit text when every line fits SMTP's limit (998 bytes; lettre's own check
/// wants 76, which a personal link passes), else whatever lettre picks.
fn body(text: &str) -> Body {
    let crlf = text.replace('\r', "").replace('\n', "\r\n");
    if !crlf.contains('\0') && crlf.split("\r\n").all(|line| line.len() <= 998) {
        Body::dangerous_pre_encoded(crlf.into_bytes(), ContentTransferEncoding::EightBit)
    } else {
        Body::new(text.to_owned())
    }
}

fn raw_header(name: &'static str, value: &str) -> Result<HeaderValue, MailError> {
    check_header(value)?;
    if !value.is_ascii() {
        return Err(MailError::Header(format!(
            "{name} must be ASCII: {value:?}"
        )));
    }
    Ok(HeaderValue::new(
        HeaderName::new_from_ascii_str(name),
        value.to_owned(),
    ))
}

/// `message` as an e-mail from `from` (`Vigie <no-reply@vigie.example>`); with its full
/// `Message-ID`.
pub(crate) fn compose(
    message: &Message,
    from: &str,
) -> Result<(lettre::Message, String), MailError> {
    check_header(&message.to)?;
    check_header(&message.subject)?;
    let to: Mailbox = message
        .to
        .parse()
        .map_err(|e| MailError::Address(format!("'{}': {e}", message.to)))?;
    let message_id = full_message_id(message, from);
    check_header(&message_id)?;
    let mut builder = lettre::Message::builder()
        .from(sender(from, message.from_name.as_deref())?)
        .to(to)
        .subject(message.subject.clone())
        .message_id(Some(message_id.clone()))
        .raw_header(raw_header("Auto-Submitted", "auto-generated")?);
    if let Some(reply_to) = &message.reply_to {
        check_header(reply_to)?;
        let mailbox: Mailbox = reply_to
            .parse()
            .map_err(|e| MailError::Address(format!("'{reply_to}' (Reply-To): {e}")))?;
        builder = builder.reply_to(mailbox);
    }
    if let Some(url) = &message.unsubscribe_url {
        builder = builder
            .raw_header(raw_header("List-Unsubscribe", &format!("<{url}>"))?)
            .raw_header(raw_header(
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click",
            )?);
    }
    let text = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .body(body(&message.body));
    let email = match &message.html {
        Some(html) => builder.multipart(
            MultiPart::alternative().singlepart(text).singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(body(html)),
            ),
        ),
        None => builder.singlepart(text),
    }
    .map_err(|e| MailError::Header(e.to_string()))?;
    Ok((email, message_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn formatted(message: &Message) -> String {
        let (email, _) = compose(message, "Vigie <no-reply@vigie.test>").unwrap();
        String::from_utf8(email.formatted()).unwrap()
    }

    #[test]
    fn a_notification_has_both_parts_and_its_headers() {
        let text = formatted(&Message {
            to: "jeanne@example.org".into(),
            subject: "Demande n° 4 : résolue".into(),
            body: "Lien : http://x/r/4?token=abc\nLa demande « Toilettes bouchées » (École des \
                   Chartreux) est passée de « en attente de modération » à « publiée ».\n"
                .into(),
            html: Some("<p>Lien : <a href=\"http://x/r/4?token=abc\">ici</a></p>".into()),
            from_name: Some("Collectif des écoles de Marseille".into()),
            reply_to: Some("reply+abc@vigie.test".into()),
            unsubscribe_url: Some("http://x/notifications/stop?t=1".into()),
            message_id: Some("m1".into()),
        });
        assert!(text.contains("To: jeanne@example.org\r\n"), "{text}");
        assert!(
            text.contains("Reply-To: reply+abc@vigie.test\r\n"),
            "{text}"
        );
        assert!(text.contains("List-Unsubscribe: <http://x/notifications/stop?t=1>\r\n"));
        assert!(text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
        assert!(text.contains("Auto-Submitted: auto-generated\r\n"));
        assert!(text.contains("multipart/alternative"));
        assert!(text.contains("text/html"));
        // The plain text stays readable (8 bit): a link can be copied from the raw message.
        assert!(text.contains("http://x/r/4?token=abc\r\n"), "{text}");
        assert!(text.contains("Message-ID: <m1@vigie.test>\r\n"));
        // Long lines (a sentence, a link) stay readable too.
        assert!(!text.contains("base64"), "{text}");
        // The collective's name as the sender's, encoded.
        assert!(text.contains("<no-reply@vigie.test>"));
        assert!(!text.contains("From: Vigie"), "{text}");
    }

    #[test]
    fn a_plain_message_stays_single_part() {
        let text = formatted(&Message {
            to: "a@example.org".into(),
            subject: "s".into(),
            body: "b".into(),
            ..Message::default()
        });
        assert!(text.contains("Content-Type: text/plain; charset=utf-8"));
        assert!(!text.contains("multipart"));
        assert!(!text.contains("List-Unsubscribe"));
        assert!(
            text.contains("From: Vigie <no-reply@vigie.test>\r\n"),
            "{text}"
        );
    }

    #[test]
    fn refuses_injection_anywhere() {
        for m in [
            Message {
                to: "a@b.c\r\nBcc: x@y.z".into(),
                ..Message::default()
            },
            Message {
                to: "a@b.c".into(),
                from_name: Some("X\r\nBcc: x@y.z".into()),
                ..Message::default()
            },
            Message {
                to: "a@b.c".into(),
                unsubscribe_url: Some("http://x\r\nBcc: y".into()),
                ..Message::default()
            },
        ] {
            assert!(compose(&m, "a@b.c").is_err(), "{m:?}");
        }
    }
}
