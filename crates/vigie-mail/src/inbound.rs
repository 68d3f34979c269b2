//! Replies by e-mail: reading one raw RFC 5322 message as an MTA pipes it or a provider's
//! webhook posts it.
//!
//! Pure: no database, no network. [`parse_reply`] finds the personal token of the reply
//! address (`reply+{token}@{domain}`) among the recipients, the sender, the subject, the text
//! (plain text preferred, else the HTML turned into text) without quoted history nor
//! signature, the attachments, and whether the message was sent by a machine (an auto-reply,
//! a bounce) rather than by the person it was sent to. Decoding MIME, transfer encodings and
//! charsets is left to the `mail-parser` crate.

use mail_parser::{Message, MessageParser, MimeHeaders};

/// A file attached to a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundAttachment {
    /// Its file name (as the sender's client gave it, else `piece-jointe-N`).
    pub name: String,
    /// Its content type, `type/subtype`, lower case.
    pub content_type: String,
    /// Its decoded bytes.
    pub bytes: Vec<u8>,
}

/// One received message, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMail {
    /// Every recipient address found (envelope, `Delivered-To`, `X-Original-To`, `To`, `Cc`),
    /// lower case, without duplicates, in that order.
    pub recipients: Vec<String>,
    /// The token of the first reply address among them, if any.
    pub token: Option<String>,
    /// The sender's address (`From`), lower case. Private: never shown publicly.
    pub sender: Option<String>,
    /// The subject, or empty.
    pub subject: String,
    /// The text written in the reply: quoted history and signature stripped, trimmed.
    pub text: String,
    /// Attached files (inline signature logos left out).
    pub attachments: Vec<InboundAttachment>,
    /// Local parts of the `Message-ID`s it answers (`In-Reply-To`, then `References`, newest
    /// first): a hint of what it replies to when its token is lost, never a proof.
    pub replies_to: Vec<String>,
    /// Why this was sent by a machine, if it was (`auto_submitted`, `precedence`,
    /// `autoreply_header`, `bounce`, `report`): such a message never becomes an answer.
    pub automatic: Option<&'static str>,
}

/// Why a message could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InboundError {
    /// Nothing was given.
    #[error("the message is empty")]
    Empty,
    /// What was given has no message headers.
    #[error("this is not an e-mail message: no From, To or Subject header found")]
    NotAMessage,
}

/// The token of a reply address `reply+{token}@{domain}`: `domain` must match (any case) when
/// it is not empty; the token is 16 to 128 letters or digits, returned lower case (the tokens
/// Vigie makes are hexadecimal, and some mail systems change the case of addresses).
pub fn reply_token(address: &str, domain: &str) -> Option<String> {
    let address = address.trim().trim_start_matches('<').trim_end_matches('>');
    let (local, host) = address.rsplit_once('@')?;
    if !domain.is_empty() && !host.eq_ignore_ascii_case(domain) {
        return None;
    }
    let (tag, token) = local.split_once('+')?;
    if !tag.eq_ignore_ascii_case("reply") {
        return None;
    }
    let ok = (16..=128).contains(&token.len()) && token.chars().all(|c| c.is_ascii_alphanumeric());
    let token = token.to_ascii_lowercase();
    // A reply address carries a hexadecimal token in base 32 (see [`reply_local_part`]).
    ok.then(|| from_base32(&token).unwrap_or(token))
}

/// The local part of the reply address of a hexadecimal token: `reply+` and the token's bytes
/// in lower-case base 32 (RFC 4648, no padding), since a 64-digit token would make the local
/// part longer than the 64 characters SMTP allows. `None` if `hex` is not hexadecimal.
pub fn reply_local_part(hex: &str) -> Option<String> {
    if hex.is_empty() || !hex.len().is_multiple_of(2) || !hex.chars().all(|c| c.is_ascii_hexdigit())
    {
        return None;
    }
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect();
    let mut out = String::from("reply+");
    let (mut buffer, mut bits) = (0u32, 0u32);
    for b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    Some(out)
}

const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// A base-32 token (as [`reply_local_part`] writes it) back in hexadecimal; `None` if it is
/// not one (a hexadecimal token is kept as it is by the caller).
fn from_base32(token: &str) -> Option<String> {
    // 52 characters: the 32 bytes of Vigie's tokens.
    if token.len() != 52
        || token
            .chars()
            .any(|c| c.is_ascii_digit() && !('2'..='7').contains(&c))
    {
        return None;
    }
    let (mut buffer, mut bits) = (0u32, 0u32);
    let mut hex = String::with_capacity(64);
    for c in token.bytes() {
        let v = BASE32.iter().position(|&b| b == c)? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            hex.push_str(&format!("{:02x}", (buffer >> bits) & 0xff));
        }
    }
    Some(hex)
}

/// The raw values of every header `name` (any case), unfolded and trimmed.
fn raw_headers(message: &Message<'_>, name: &str) -> Vec<String> {
    message
        .headers_raw()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// The address in `Name <a@b>` or `a@b`, lower case.
fn bare_address(raw: &str) -> Option<String> {
    let inner = match (raw.rfind('<'), raw.rfind('>')) {
        (Some(a), Some(b)) if a < b => &raw[a + 1..b],
        _ => raw,
    };
    let inner = inner.trim();
    (inner.contains('@') && !inner.contains(char::is_whitespace)).then(|| inner.to_lowercase())
}

/// Why a message was sent by a machine, if it was.
fn automatic(message: &Message<'_>, sender: Option<&str>) -> Option<&'static str> {
    if raw_headers(message, "Auto-Submitted")
        .iter()
        .any(|v| !v.trim().eq_ignore_ascii_case("no") && !v.trim().is_empty())
    {
        return Some("auto_submitted");
    }
    if raw_headers(message, "Precedence").iter().any(|v| {
        let v = v.trim().to_ascii_lowercase();
        matches!(v.as_str(), "bulk" | "junk" | "list" | "auto_reply")
    }) {
        return Some("precedence");
    }
    if ["X-Autoreply", "X-Autorespond", "X-Autoresponder"]
        .iter()
        .any(|h| !raw_headers(message, h).is_empty())
    {
        return Some("autoreply_header");
    }
    if raw_headers(message, "Return-Path")
        .iter()
        .any(|v| v.trim().trim_matches(['<', '>', ' ']).is_empty())
    {
        return Some("bounce");
    }
    if sender.is_some_and(|s| {
        let local = s.split('@').next().unwrap_or_default();
        local.eq_ignore_ascii_case("mailer-daemon") || local.eq_ignore_ascii_case("postmaster")
    }) {
        return Some("bounce");
    }
    let report = message.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    report.then_some("report")
}

/// Reads one raw message. `envelope` is the recipient the MTA delivered it to, when the caller
/// knows it (Postfix's `${original_recipient}`); `reply_domain` is the domain of the reply
/// addresses (empty: any domain).
pub fn parse_reply(
    raw: &[u8],
    envelope: Option<&str>,
    reply_domain: &str,
) -> Result<InboundMail, InboundError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(InboundError::Empty);
    }
    let message = MessageParser::default()
        .parse(raw)
        .ok_or(InboundError::NotAMessage)?;
    let has = |h: &str| !raw_headers(&message, h).is_empty();
    if !(has("From") || has("To") || has("Subject")) {
        return Err(InboundError::NotAMessage);
    }

    let mut recipients: Vec<String> = Vec::new();
    let mut add = |a: Option<String>| {
        if let Some(a) = a
            && !recipients.contains(&a)
        {
            recipients.push(a);
        }
    };
    add(envelope.and_then(bare_address));
    for h in ["Delivered-To", "X-Original-To"] {
        for v in raw_headers(&message, h) {
            add(bare_address(&v));
        }
    }
    for a in message.to().into_iter().chain(message.cc()) {
        for addr in a.iter() {
            add(addr.address().map(str::to_lowercase));
        }
    }
    let token = recipients.iter().find_map(|r| reply_token(r, reply_domain));

    let sender = message
        .from()
        .and_then(|f| f.first())
        .and_then(|a| a.address())
        .map(|a| a.trim().to_lowercase());
    let subject = message.subject().unwrap_or_default().trim().to_owned();
    let body = message.body_text(0).unwrap_or_default();
    let text = strip_reply(&body);

    let mut attachments = Vec::new();
    for (n, part) in message.attachments().enumerate() {
        if part.is_message() || part.is_multipart() {
            continue;
        }
        let name = part
            .attachment_name()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        // Signature logos (Outlook's image001.png…) travel inline with a Content-ID.
        let inline_logo = part.content_id().is_some()
            && part.content_disposition().is_none_or(|d| d.is_inline())
            && name
                .as_deref()
                .is_none_or(|n| n.to_ascii_lowercase().starts_with("image0"));
        if inline_logo {
            continue;
        }
        let content_type = part
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub),
                None => ct.ctype().to_owned(),
            })
            .unwrap_or_else(|| "application/octet-stream".to_owned())
            .to_ascii_lowercase();
        attachments.push(InboundAttachment {
            name: name.unwrap_or_else(|| format!("piece-jointe-{}", n + 1)),
            content_type,
            bytes: part.contents().to_vec(),
        });
    }

    let mut replies_to: Vec<String> = Vec::new();
    for h in ["In-Reply-To", "References"] {
        let mut ids: Vec<String> = raw_headers(&message, h)
            .iter()
            .flat_map(|v| v.split('<').skip(1).map(str::to_owned).collect::<Vec<_>>())
            .filter_map(|id| {
                let id = id.split('>').next()?.trim();
                let local = id.split('@').next()?.trim();
                (!local.is_empty() && local.len() <= 200).then(|| local.to_owned())
            })
            .collect();
        if h == "References" {
            ids.reverse();
        }
        for id in ids {
            if !replies_to.contains(&id) {
                replies_to.push(id);
            }
        }
    }
    replies_to.truncate(20);
    let automatic = automatic(&message, sender.as_deref());
    Ok(InboundMail {
        recipients,
        token,
        sender,
        subject,
        text,
        attachments,
        replies_to,
        automatic,
    })
}

/// Lower case without the accents of French, for comparing header lines.
fn folded(line: &str) -> String {
    line.trim()
        .to_lowercase()
        .replace(['é', 'è', 'ê'], "e")
        .replace(['à', 'â'], "a")
        .replace('\u{a0}', " ")
}

/// Whether `line` (with the two after it, for clients that wrap it) opens quoted history:
/// « Le … a écrit : », "On … wrote:".
fn attribution(lines: &[&str], at: usize) -> bool {
    let first = folded(lines[at]);
    if !(first.starts_with("le ") || first.starts_with("on ")) {
        return false;
    }
    let mut joined = first;
    for extra in 0..3 {
        let j = joined.trim_end();
        if j.ends_with("a ecrit :")
            || j.ends_with("a ecrit:")
            || j.ends_with("wrote:")
            || j.ends_with("wrote :")
        {
            return true;
        }
        match lines.get(at + 1 + extra) {
            Some(next) => {
                joined.push(' ');
                joined.push_str(&folded(next));
            }
            None => return false,
        }
    }
    false
}

/// Whether `line` is a separator some clients put before the quoted message.
fn separator(line: &str) -> bool {
    let f = folded(line);
    let f = f.trim_matches(|c: char| c == '-' || c == ' ');
    matches!(
        f,
        "original message"
            | "message d'origine"
            | "message original"
            | "forwarded message"
            | "message transfere"
            | "reply above this line"
            | "repondez au-dessus de cette ligne"
    ) || (line.trim().len() >= 20 && line.trim().chars().all(|c| c == '_'))
}

/// Whether an Outlook header block (« De : … », "From: …" followed by « Envoyé : », "Sent:",
/// « À : », "To:", « Objet : », "Subject:" or « Date : ») begins at `at`.
fn outlook_block(lines: &[&str], at: usize) -> bool {
    let first = folded(lines[at]).replace('*', "");
    if !(first.starts_with("de :") || first.starts_with("de:") || first.starts_with("from:")) {
        return false;
    }
    lines.iter().skip(at + 1).take(4).any(|l| {
        let l = folded(l).replace('*', "");
        [
            "envoye :", "envoye:", "sent:", "a :", "a:", "to:", "objet :", "objet:", "subject:",
            "date :", "date:",
        ]
        .iter()
        .any(|p| l.starts_with(p))
    })
}

/// The text a person wrote in a reply: quoted lines (`>`) dropped; cut at the quoted history
/// (« Le … a écrit : », "On … wrote:", "-----Original Message-----", an Outlook « De : »
/// block), at the signature (a `-- ` line) and at "Sent from my phone" lines; trimmed.
pub fn strip_reply(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let lines: Vec<&str> = text.lines().collect();
    let mut kept: Vec<&str> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_end();
        if trimmed == "--" || trimmed == "-- " || line.trim() == "--" {
            break;
        }
        let f = folded(line);
        if f.starts_with("envoye de mon ")
            || f.starts_with("envoye depuis mon ")
            || f.starts_with("sent from my ")
            || f.starts_with("get outlook for ")
            || f.starts_with("telecharger outlook pour ")
        {
            break;
        }
        if separator(line) || attribution(&lines, i) || outlook_block(&lines, i) {
            break;
        }
        if line.trim_start().starts_with('>') {
            continue;
        }
        kept.push(trimmed);
    }
    kept.join("\n").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn gmail_fr() -> String {
        format!(
            "Return-Path: <agent@ville.example.fr>\r\n\
             Delivered-To: reply+{TOKEN}@reply.vigie.example\r\n\
             From: Agent Voirie <Agent@Ville.example.fr>\r\n\
             To: Vigie <reply+{TOKEN}@reply.vigie.example>\r\n\
             Subject: Re: Vigie : demande =?UTF-8?Q?n=C2=B0_12?=\r\n\
             In-Reply-To: <abc123@vigie.example>\r\n\
             References: <first@vigie.example>\r\n <abc123@vigie.example>\r\n\
             MIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"b1\"\r\n\
             \r\n\
             --b1\r\n\
             Content-Type: multipart/alternative; boundary=\"b2\"\r\n\
             \r\n\
             --b2\r\n\
             Content-Type: text/plain; charset=\"UTF-8\"\r\n\
             Content-Transfer-Encoding: quoted-printable\r\n\
             \r\n\
             R=C3=A9solu\r\n\
             \r\n\
             C'est r=C3=A9par=C3=A9, merci du signalement.\r\n\
             \r\n\
             Le mer. 2 d=C3=A9c. 2026 =C3=A0 10:04, Vigie <reply+{TOKEN}@reply.vigie.example>=\r\n\
              a =C3=A9crit :\r\n\
             \r\n\
             > Une demande vous a =C3=A9t=C3=A9 transmise.\r\n\
             > Lien : https://vigie.example/t/x\r\n\
             \r\n\
             --b2\r\n\
             Content-Type: text/html; charset=\"UTF-8\"\r\n\
             \r\n\
             <div>R&eacute;solu</div>\r\n\
             --b2--\r\n\
             --b1\r\n\
             Content-Type: image/jpeg; name=\"photo.jpg\"\r\n\
             Content-Disposition: attachment; filename=\"photo.jpg\"\r\n\
             Content-Transfer-Encoding: base64\r\n\
             \r\n\
             /9j/4AAQSkZJRgABAQ==\r\n\
             --b1--\r\n"
        )
    }

    #[test]
    fn a_french_gmail_reply_is_read() {
        let m = parse_reply(gmail_fr().as_bytes(), None, "reply.vigie.example").unwrap();
        assert_eq!(m.token.as_deref(), Some(TOKEN));
        assert_eq!(m.sender.as_deref(), Some("agent@ville.example.fr"));
        assert_eq!(m.subject, "Re: Vigie : demande n° 12");
        assert_eq!(m.text, "Résolu\n\nC'est réparé, merci du signalement.");
        assert_eq!(m.attachments.len(), 1);
        assert_eq!(m.attachments[0].name, "photo.jpg");
        assert_eq!(m.attachments[0].content_type, "image/jpeg");
        assert_eq!(&m.attachments[0].bytes[..3], &[0xff, 0xd8, 0xff]);
        assert_eq!(m.automatic, None);
        assert_eq!(m.replies_to, ["abc123", "first"]);
        assert!(
            m.recipients
                .contains(&format!("reply+{TOKEN}@reply.vigie.example"))
        );
    }

    #[test]
    fn the_reply_domain_must_match() {
        let m = parse_reply(gmail_fr().as_bytes(), None, "other.example").unwrap();
        assert_eq!(m.token, None);
        // The envelope recipient counts too, first.
        let other = "f".repeat(64);
        let m = parse_reply(
            gmail_fr().as_bytes(),
            Some(&format!("reply+{other}@OTHER.example")),
            "other.example",
        )
        .unwrap();
        assert_eq!(m.token.as_deref(), Some(other.as_str()));
    }

    #[test]
    fn reply_addresses_fit_smtp() {
        let hex = "0f".repeat(32);
        let local = reply_local_part(&hex).unwrap();
        assert!(local.len() <= 64, "{local}");
        assert_eq!(
            reply_token(&format!("{}@r.example", local.to_uppercase()), "r.example"),
            Some(hex.clone())
        );
        assert_eq!(reply_local_part("xyz"), None);
    }

    #[test]
    fn reply_tokens() {
        let t = reply_token(&format!("<REPLY+{}@r.example>", TOKEN.to_uppercase()), "");
        assert_eq!(t.as_deref(), Some(TOKEN));
        assert_eq!(reply_token("reply+short@r.example", ""), None);
        assert_eq!(reply_token(&format!("noreply+{TOKEN}@r.example"), ""), None);
        assert_eq!(reply_token(&format!("reply+{TOKEN}x/@r.example"), ""), None);
        assert_eq!(reply_token(&format!("reply+{TOKEN}"), ""), None);
    }

    #[test]
    fn an_outlook_reply_in_html_is_turned_into_text() {
        let raw = format!(
            "From: \"Dupont, Marie\" <m.dupont@mairie.example.fr>\r\n\
             To: <reply+{TOKEN}@reply.vigie.example>\r\n\
             Subject: RE: Vigie\r\n\
             Content-Type: text/html; charset=\"windows-1252\"\r\n\
             Content-Transfer-Encoding: quoted-printable\r\n\
             \r\n\
             <html><body><p>En cours</p><p>L'=E9quipe passe jeudi.</p>\r\n\
             <p>Marie Dupont<br>Service voirie</p>\r\n\
             <div><hr><p><b>De :</b> Vigie &lt;no-reply@vigie.example&gt;<br>\r\n\
             <b>Envoy=E9 :</b> mercredi 2 d=E9cembre 2026 10:04<br>\r\n\
             <b>=C0 :</b> Dupont, Marie<br><b>Objet :</b> Vigie</p></div>\r\n\
             <p>Une demande vous a =E9t=E9 transmise.</p></body></html>\r\n"
        );
        let m = parse_reply(raw.as_bytes(), None, "reply.vigie.example").unwrap();
        assert!(m.text.starts_with("En cours"), "{}", m.text);
        assert!(m.text.contains("L'équipe passe jeudi."), "{}", m.text);
        assert!(!m.text.contains("transmise"), "{}", m.text);
        assert!(!m.text.contains("Objet"), "{}", m.text);
    }

    #[test]
    fn quoted_history_and_signatures_are_stripped() {
        let thunderbird = "Pris en compte, nous passons demain.\n\n\
                           Le 02/12/2026 à 10:04, Vigie a écrit :\n> Une demande\n> vous a été transmise";
        assert_eq!(
            strip_reply(thunderbird),
            "Pris en compte, nous passons demain."
        );
        let english = "Fixed this morning.\n\nOn Wed, Dec 2, 2026 at 10:04 AM Vigie <\n\
                       reply+abc@x.example> wrote:\n> A request";
        assert_eq!(strip_reply(english), "Fixed this morning.");
        let original = "Closed.\r\n-----Original Message-----\r\nFrom: Vigie\r\nSent: today";
        assert_eq!(strip_reply(original), "Closed.");
        let outlook =
            "Résolu\n\n________________________________\nDe : Vigie\nEnvoyé : mercredi\nÀ : moi";
        assert_eq!(strip_reply(outlook), "Résolu");
        let outlook_plain = "Résolu\n\nDe : Vigie <no-reply@vigie.example>\nEnvoyé : mercredi\n";
        assert_eq!(strip_reply(outlook_plain), "Résolu");
        let signed = "Résolu\n\nC'est fait.\n-- \nJean Martin\nMairie";
        assert_eq!(strip_reply(signed), "Résolu\n\nC'est fait.");
        let phone = "En cours\n\nEnvoyé de mon iPhone\n\n> quoted";
        assert_eq!(strip_reply(phone), "En cours");
        // A line merely beginning with « Le » is kept.
        let plain = "Le poteau est remplacé.\nMerci";
        assert_eq!(strip_reply(plain), plain);
    }

    #[test]
    fn machines_are_recognised() {
        let base = format!(
            "From: agent@ville.example.fr\r\nTo: reply+{TOKEN}@r.example\r\nSubject: Absent\r\n"
        );
        for (extra, why) in [
            ("Auto-Submitted: auto-replied\r\n", "auto_submitted"),
            ("Precedence: bulk\r\n", "precedence"),
            ("X-Autoreply: yes\r\n", "autoreply_header"),
            ("Return-Path: <>\r\n", "bounce"),
        ] {
            let raw = format!("{base}{extra}\r\nJe suis absent.\r\n");
            let m = parse_reply(raw.as_bytes(), None, "").unwrap();
            assert_eq!(m.automatic, Some(why), "{extra}");
        }
        let raw = format!("{base}Auto-Submitted: no\r\n\r\nRésolu\r\n");
        assert_eq!(
            parse_reply(raw.as_bytes(), None, "").unwrap().automatic,
            None
        );
        let daemon = format!(
            "From: MAILER-DAEMON@mx.example\r\nTo: reply+{TOKEN}@r.example\r\nSubject: Undelivered\r\n\
             Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n\
             --x\r\nContent-Type: text/plain\r\n\r\nFailed\r\n--x--\r\n"
        );
        assert_eq!(
            parse_reply(daemon.as_bytes(), None, "").unwrap().automatic,
            Some("bounce")
        );
    }

    #[test]
    fn what_is_not_a_message_is_refused() {
        assert_eq!(parse_reply(b"", None, ""), Err(InboundError::Empty));
        assert_eq!(parse_reply(b" \r\n", None, ""), Err(InboundError::Empty));
        assert_eq!(
            parse_reply(b"\x00\x01\x02 binary junk", None, ""),
            Err(InboundError::NotAMessage)
        );
    }
}
