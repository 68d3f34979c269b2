//! Sending through an SMTP server, with lettre: implicit TLS, STARTTLS or plain (a local
//! relay), authentication, timeouts and a pool of connections, all from one URL
//! (`mail.smtp_url`):
//!
//! - `smtp://relay.internal:25` — plain, for a relay on the same host or network;
//! - `smtp://user:password@smtp.example.org:587?tls=starttls` — STARTTLS required;
//! - `smtps://user:password@smtp.example.org:465` — implicit TLS.
//!
//! Query options: `tls=none|starttls|opportunistic` (for `smtp://`; default `none`),
//! `ca=/path/to/cert.pem` (trust this CA or self-signed certificate besides the usual roots),
//! `timeout=SECONDS` (each network step; default 30), `pool=N` (open connections kept; default
//! 4), `helo=NAME` (the name given to the server; default the host's). User and password are
//! percent-decoded (`%40` for `@`).

use std::time::Duration;

use async_trait::async_trait;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::{AsyncSmtpTransport, PoolConfig};
use lettre::{AsyncTransport, Tokio1Executor};

use crate::{MailError, Mailer, Message, Sent};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain text: only for a trusted local relay.
    None,
    /// STARTTLS if the server offers it, else plain (not safe against an active attacker).
    Opportunistic,
    /// STARTTLS, required.
    StartTls,
    /// TLS from the first byte (`smtps://`).
    Implicit,
}

/// The SMTP server, read from `mail.smtp_url`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// Host name (also the name its certificate must carry).
    pub host: String,
    /// Port.
    pub port: u16,
    /// Protection.
    pub security: SmtpSecurity,
    /// User name, if the server wants authentication.
    pub user: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// A PEM file of a CA (or self-signed) certificate to trust besides the usual roots.
    pub ca_file: Option<String>,
    /// Timeout of each network step.
    pub timeout: Duration,
    /// Connections kept open.
    pub pool: u32,
    /// The name given in `EHLO`.
    pub helo: Option<String>,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("ca_file", &self.ca_file)
            .field("timeout", &self.timeout)
            .field("pool", &self.pool)
            .field("helo", &self.helo)
            .finish()
    }
}

fn config_error(message: impl Into<String>) -> MailError {
    MailError::Config(message.into())
}

impl SmtpConfig {
    /// Reads an `smtp://` or `smtps://` URL (see the module's documentation).
    pub fn parse(raw: &str) -> Result<Self, MailError> {
        let url = url::Url::parse(raw).map_err(|e| {
            config_error(format!(
                "not a URL ({e}): write smtp://HOST:25, smtp://USER:PASSWORD@HOST:587?tls=starttls \
                 or smtps://USER:PASSWORD@HOST:465"
            ))
        })?;
        let implicit = match url.scheme() {
            "smtp" => false,
            "smtps" => true,
            other => {
                return Err(config_error(format!(
                    "unknown scheme '{other}': use smtp:// (plain or STARTTLS) or smtps:// (TLS)"
                )));
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| config_error("no host: write smtp://HOST:PORT"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let decode = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        // `+` is a literal plus in a URL's user part, not a space.
        let decode_user = |s: &str| decode(&s.replace('+', "%2B"));
        let user = Some(url.username())
            .filter(|u| !u.is_empty())
            .map(decode_user);
        let password = url.password().map(decode_user);
        let mut config = SmtpConfig {
            host,
            port: url.port().unwrap_or(if implicit { 465 } else { 25 }),
            security: if implicit {
                SmtpSecurity::Implicit
            } else {
                SmtpSecurity::None
            },
            user,
            password,
            ca_file: None,
            timeout: Duration::from_secs(30),
            pool: 4,
            helo: None,
        };
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "tls" => {
                    config.security = match (implicit, value.as_ref()) {
                        (true, "implicit" | "tls" | "required") => SmtpSecurity::Implicit,
                        (true, _) => {
                            return Err(config_error(
                                "smtps:// is TLS from the start: leave out tls=, or use smtp:// \
                                 with tls=starttls",
                            ));
                        }
                        (false, "none" | "plain") => SmtpSecurity::None,
                        (false, "starttls" | "required") => SmtpSecurity::StartTls,
                        (false, "opportunistic") => SmtpSecurity::Opportunistic,
                        (false, other) => {
                            return Err(config_error(format!(
                                "tls={other}: use tls=starttls, tls=opportunistic or tls=none \
                                 (or smtps:// for TLS from the start)"
                            )));
                        }
                    }
                }
                "ca" | "ca_file" => config.ca_file = Some(value.into_owned()),
                "timeout" => {
                    let secs: u64 = value
                        .parse()
                        .ok()
                        .filter(|s| (1..=600).contains(s))
                        .ok_or_else(|| config_error("timeout= is seconds, from 1 to 600"))?;
                    config.timeout = Duration::from_secs(secs);
                }
                "pool" => {
                    config.pool = value
                        .parse()
                        .ok()
                        .filter(|n| (1..=100).contains(n))
                        .ok_or_else(|| {
                            config_error("pool= is a number of connections, 1 to 100")
                        })?;
                }
                "helo" => config.helo = Some(value.into_owned()),
                other => {
                    return Err(config_error(format!(
                        "unknown option '{other}': the options are tls, ca, timeout, pool and helo"
                    )));
                }
            }
        }
        if config.password.is_some() && config.user.is_none() {
            return Err(config_error("a password without a user name"));
        }
        Ok(config)
    }
}

/// Sends through an SMTP server, over a pool of connections.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from_text: String,
    config: SmtpConfig,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("config", &self.config)
            .field("from", &self.from_text)
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A mailer for `config`, sending as `from` (e.g. `Vigie <no-reply@vigie.example>`).
    /// Nothing is connected until the first message.
    pub fn new(config: SmtpConfig, from: &str) -> Result<Self, MailError> {
        // Checked now, not at the first message.
        crate::compose::sender(from, None)?;
        let tls = || -> Result<TlsParameters, MailError> {
            let mut builder = TlsParameters::builder(config.host.clone());
            if let Some(path) = &config.ca_file {
                let pem = std::fs::read(path)
                    .map_err(|e| config_error(format!("cannot read ca={path}: {e}")))?;
                let cert = Certificate::from_pem(&pem).map_err(|e| {
                    config_error(format!("ca={path} is not a PEM certificate: {e}"))
                })?;
                builder = builder.add_root_certificate(cert);
            }
            builder
                .build_rustls()
                .map_err(|e| config_error(format!("TLS: {e}")))
        };
        let tls = match config.security {
            SmtpSecurity::None => Tls::None,
            SmtpSecurity::Opportunistic => Tls::Opportunistic(tls()?),
            SmtpSecurity::StartTls => Tls::Required(tls()?),
            SmtpSecurity::Implicit => Tls::Wrapper(tls()?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .tls(tls)
            .timeout(Some(config.timeout))
            .pool_config(
                PoolConfig::new()
                    .max_size(config.pool)
                    .idle_timeout(Duration::from_secs(60)),
            );
        if let Some(helo) = &config.helo {
            builder = builder.hello_name(ClientId::Domain(helo.clone()));
        }
        if let Some(user) = &config.user {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                config.password.clone().unwrap_or_default(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            from_text: from.to_owned(),
            config,
        })
    }

    /// The settings it was built with.
    pub fn config(&self) -> &SmtpConfig {
        &self.config
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, message: &Message) -> Result<Sent, MailError> {
        let (email, message_id) = crate::compose::compose(message, &self.from_text)?;
        let response = self
            .transport
            .send(email)
            .await
            .map_err(|e| MailError::Smtp(e.to_string()))?;
        let reply = format!(
            "{} {}",
            response.code(),
            response.message().collect::<Vec<_>>().join(" ")
        );
        tracing::info!(%message_id, %reply, "e-mail accepted by the SMTP server");
        Ok(Sent { message_id, reply })
    }

    fn describe(&self) -> String {
        let security = match self.config.security {
            SmtpSecurity::None => "plain",
            SmtpSecurity::Opportunistic => "STARTTLS if offered",
            SmtpSecurity::StartTls => "STARTTLS",
            SmtpSecurity::Implicit => "TLS",
        };
        format!(
            "the SMTP server {}:{} ({security}{})",
            self.config.host,
            self.config.port,
            match &self.config.user {
                Some(u) => format!(", as {u}"),
                None => String::new(),
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_three_forms() {
        let plain = SmtpConfig::parse("smtp://relay.internal:25").unwrap();
        assert_eq!(
            (plain.host.as_str(), plain.port, plain.security),
            ("relay.internal", 25, SmtpSecurity::None)
        );
        assert_eq!(plain.user, None);
        let starttls =
            SmtpConfig::parse("smtp://me%40x.org:p%40ss+w@smtp.x.org:587?tls=starttls&timeout=5")
                .unwrap();
        assert_eq!(starttls.security, SmtpSecurity::StartTls);
        assert_eq!(starttls.user.as_deref(), Some("me@x.org"));
        assert_eq!(starttls.password.as_deref(), Some("p@ss+w"));
        assert_eq!(starttls.timeout, Duration::from_secs(5));
        let tls = SmtpConfig::parse("smtps://u:p@smtp.x.org?ca=/etc/ca.pem&pool=2").unwrap();
        assert_eq!((tls.port, tls.security), (465, SmtpSecurity::Implicit));
        assert_eq!(tls.ca_file.as_deref(), Some("/etc/ca.pem"));
        assert_eq!(tls.pool, 2);
        assert!(!format!("{tls:?}").contains("u:p"));
        assert!(format!("{tls:?}").contains("***"));
    }

    #[test]
    fn says_what_to_fix() {
        for (url, hint) in [
            ("http://x", "scheme"),
            ("smtp://x?tls=maybe", "tls=starttls"),
            ("smtp://x?timeout=0", "timeout"),
            ("smtp://x?colour=blue", "unknown option"),
            ("smtps://x?tls=none", "smtps://"),
            ("not a url", "smtp://HOST"),
        ] {
            let e = SmtpConfig::parse(url).unwrap_err().to_string();
            assert!(e.contains(hint), "{url}: {e}");
        }
    }

    #[tokio::test]
    async fn an_unreachable_server_is_an_error_not_a_hang() {
        // A port nobody listens on: refused at once.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = SmtpConfig::parse(&format!("smtp://127.0.0.1:{port}?timeout=2")).unwrap();
        let mailer = SmtpMailer::new(config, "Vigie <no-reply@vigie.test>").unwrap();
        let err = mailer
            .send(&Message {
                to: "a@b.test".into(),
                subject: "s".into(),
                body: "b".into(),
                ..Message::default()
            })
            .await
            .unwrap_err();
        assert!(matches!(err, MailError::Smtp(_)), "{err}");
    }
}
