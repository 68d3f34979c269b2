//! Accounts, single-use account tokens and sessions.

use std::collections::HashMap;

use sqlx::any::AnyRow;
use sqlx::{Column, Row};
use time::OffsetDateTime;
use vigie_domain::Bilingual;
use vigie_domain::{DisplayName, Email, Pseudonym, UserId};

use crate::error::conflict_on_unique;
use crate::{Change, Store, StoreError, now, parse_timestamp, timestamp};

/// A stored account. The password hash never leaves storage except through
/// [`Store::user_credentials`].
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// Identity.
    pub id: UserId,
    /// E-mail (personal data).
    pub email: Email,
    /// Public name.
    pub display_name: DisplayName,
    /// Stable public identity, what the journal names the account by.
    pub pseudonym: Pseudonym,
    /// When the e-mail was verified, if it was.
    pub email_verified_at: Option<OffsetDateTime>,
    /// Account creation time.
    pub created_at: OffsetDateTime,
}

impl User {
    /// The e-mail, if verified (what Official status is derived from).
    pub fn verified_email(&self) -> Option<&Email> {
        self.email_verified_at.map(|_| &self.email)
    }
}

/// What a single-use account token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// Proves the user owns the e-mail address.
    VerifyEmail,
    /// Lets the user choose a new password.
    ResetPassword,
}

impl TokenPurpose {
    fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::VerifyEmail => "verify_email",
            TokenPurpose::ResetPassword => "reset_password",
        }
    }
}

const USER_COLUMNS: &str =
    "u.id, u.email, u.display_name, u.pseudonym, u.email_verified_at, u.created_at";

fn user_from_row(row: &AnyRow) -> Result<User, StoreError> {
    let email: String = row.try_get("email")?;
    let name: String = row.try_get("display_name")?;
    let pseudonym: Option<String> = row.try_get("pseudonym")?;
    let verified: Option<String> = row.try_get("email_verified_at")?;
    let created: String = row.try_get("created_at")?;
    Ok(User {
        id: UserId(row.try_get("id")?),
        email: Email::parse(&email).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        display_name: DisplayName::parse(&name).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        pseudonym: Pseudonym::parse(pseudonym.as_deref().unwrap_or_default())
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        email_verified_at: verified.as_deref().map(parse_timestamp).transpose()?,
        created_at: parse_timestamp(&created)?,
    })
}

impl Store {
    /// Creates an account. An e-mail already registered is a [`StoreError::Conflict`].
    pub async fn create_user(
        &self,
        email: &Email,
        password_hash: &str,
        display_name: &DisplayName,
        pseudonym: &Pseudonym,
        verified: bool,
    ) -> Result<User, StoreError> {
        let at = now();
        let id: i64 = sqlx::query(
            "INSERT INTO users (email, password_hash, display_name, pseudonym, email_verified_at, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(email.as_str())
        .bind(password_hash)
        .bind(display_name.as_str())
        .bind(pseudonym.as_str())
        .bind(verified.then(|| at.clone()))
        .bind(&at)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| {
            conflict_on_unique(e, || {
                Bilingual::new(
                    "an account already exists for this e-mail address: sign in or reset the password",
                )
                .fr("Un compte existe déjà pour cette adresse : connectez-vous ou changez de mot de passe.")
            })
        })?
        .try_get(0)?;
        self.user_by_id(UserId(id))
            .await?
            .ok_or(StoreError::NotFound("user"))
    }

    /// An account by id.
    pub async fn user_by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"
        )))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(user_from_row)
        .transpose()
    }

    /// Verified accounts whose address is in `domain` or one of its subdomains (the
    /// Officials of a collective with that official domain), by name.
    pub async fn verified_users_in_domain(&self, domain: &str) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.email_verified_at IS NOT NULL \
             AND u.deleted_at IS NULL AND (u.email LIKE $1 OR u.email LIKE $2) ORDER BY u.display_name, u.id"
        )))
        .bind(format!("%@{domain}"))
        .bind(format!("%.{domain}"))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// An account by e-mail.
    pub async fn user_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        Ok(self.user_credentials(email).await?.map(|(u, _)| u))
    }

    /// An account and its password hash, for signing in.
    pub async fn user_credentials(
        &self,
        email: &Email,
    ) -> Result<Option<(User, String)>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS}, u.password_hash FROM users u \
             WHERE u.email = $1 AND u.deleted_at IS NULL"
        )))
        .bind(email.as_str())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(Some((user_from_row(&row)?, row.try_get("password_hash")?))),
            None => Ok(None),
        }
    }

    /// Marks an account's e-mail as verified (idempotent: the first time is kept).
    pub async fn mark_email_verified(&self, id: UserId) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE users SET email_verified_at = $1 WHERE id = $2 AND email_verified_at IS NULL",
        )
        .bind(now())
        .bind(id.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Replaces an account's password hash.
    pub async fn set_password_hash(&self, id: UserId, hash: &str) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("user"));
        }
        Ok(())
    }

    /// Changes an account's public name.
    pub async fn set_display_name(&self, id: UserId, name: &DisplayName) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE users SET display_name = $1 WHERE id = $2")
            .bind(name.as_str())
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("user"));
        }
        // Public names appear on every page.
        self.changed(Change::Everything).await;
        Ok(())
    }

    /// Stores the hash of a new single-use token.
    pub async fn insert_account_token(
        &self,
        token_hash: &str,
        user: UserId,
        purpose: TokenPurpose,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO account_tokens (token_hash, user_id, purpose, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user.0)
        .bind(purpose.as_str())
        .bind(now())
        .bind(timestamp(expires_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Uses a token once: returns its user if the token exists, has this purpose, is unused
    /// and unexpired; marks it used in the same statement so it cannot be replayed.
    pub async fn consume_account_token(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
    ) -> Result<Option<UserId>, StoreError> {
        let at = now();
        let row = sqlx::query(
            "UPDATE account_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 \
             AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
        )
        .bind(&at)
        .bind(token_hash)
        .bind(purpose.as_str())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?.map(UserId))
    }

    /// Opens a session.
    pub async fn insert_session(
        &self,
        token_hash: &str,
        user: UserId,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user.0)
        .bind(now())
        .bind(timestamp(expires_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The user of a live session.
    pub async fn session_user(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2"
        )))
        .bind(token_hash)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(user_from_row)
        .transpose()
    }

    /// Ends one session.
    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends every session of a user (after a password reset).
    pub async fn delete_user_sessions(&self, user: UserId) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The current display names of the accounts with these pseudonyms (what the journal's
    /// `account:…` references show when they are read).
    pub async fn names_by_pseudonym(
        &self,
        pseudonyms: &[Pseudonym],
    ) -> Result<HashMap<Pseudonym, DisplayName>, StoreError> {
        let mut out = HashMap::new();
        // In slices, so that no statement has more parameters than a backend accepts.
        for chunk in pseudonyms.chunks(200) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT pseudonym, display_name FROM users WHERE pseudonym IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for p in chunk {
                q = q.bind(p.as_str());
            }
            for row in q.fetch_all(&self.pool).await? {
                let p: String = row.try_get(0)?;
                let n: String = row.try_get(1)?;
                out.insert(
                    Pseudonym::parse(&p).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    DisplayName::parse(&n).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                );
            }
        }
        Ok(out)
    }

    /// Counts one account e-mail to an address (given as a hash, never in clear) unless
    /// `max` were already sent to it since `since`: true when this one may go. Rows older
    /// than `forget_before` are removed on the way, so only the last window is kept.
    pub async fn reserve_mail_send(
        &self,
        address_hash: &str,
        purpose: &str,
        since: OffsetDateTime,
        max: u32,
        forget_before: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        sqlx::query("DELETE FROM mail_sends WHERE sent_at < $1")
            .bind(timestamp(forget_before))
            .execute(&self.pool)
            .await?;
        let done = sqlx::query(
            "INSERT INTO mail_sends (address_hash, purpose, sent_at) \
             SELECT $1, $2, $3 WHERE (SELECT COUNT(*) FROM mail_sends \
             WHERE address_hash = $1 AND sent_at >= $4) < $5",
        )
        .bind(address_hash)
        .bind(purpose)
        .bind(now())
        .bind(timestamp(since))
        .bind(i64::from(max))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes an account's personal data, in one transaction: the e-mail is replaced by an
    /// address under the reserved `.invalid` domain, the password by a value no password
    /// hashes to, the name by `neutral_name`; sessions, account links and the requester's
    /// personal links of its requests are removed; the private contact details it left with
    /// contributions, life events and requests are erased. What it published stays, under
    /// its pseudonym, and no journal entry is touched.
    pub async fn delete_account(
        &self,
        id: UserId,
        neutral_name: &DisplayName,
    ) -> Result<(), StoreError> {
        let (_turn, mut tx) = self.begin_write().await?;
        let row = sqlx::query("SELECT pseudonym FROM users WHERE id = $1 AND deleted_at IS NULL")
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("user"))?;
        let pseudonym: String = row.try_get(0)?;
        // The mail outbox keeps addresses: those of the account and of its requests go, sent
        // or not (before they are overwritten below).
        sqlx::query(
            "DELETE FROM mail_outbox WHERE recipient = (SELECT email FROM users WHERE id = $1) \
             OR recipient IN (SELECT contact_email FROM requests \
             WHERE author_id = $1 AND contact_email IS NOT NULL)",
        )
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        // Replies held from the account's address forget it.
        sqlx::query(
            "UPDATE inbound_mail SET sender = NULL \
             WHERE sender = (SELECT LOWER(email) FROM users WHERE id = $1)",
        )
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE users SET email = $1, password_hash = '!deleted', display_name = $2, \
             email_verified_at = NULL, deleted_at = $3 WHERE id = $4",
        )
        .bind(format!("{pseudonym}@deleted.invalid"))
        .bind(neutral_name.as_str())
        .bind(now())
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        for sql in [
            "DELETE FROM sessions WHERE user_id = $1",
            "DELETE FROM account_tokens WHERE user_id = $1",
            "DELETE FROM follows WHERE user_id = $1",
            "DELETE FROM notification_choices WHERE user_id = $1",
            "DELETE FROM notification_keys WHERE user_id = $1",
            "DELETE FROM digest_items WHERE user_id = $1",
            "UPDATE facts SET contact_email = NULL, contact_phone = NULL WHERE author_id = $1",
            "UPDATE life_events SET contact_email = NULL WHERE author_id = $1",
            "UPDATE requests SET contact_email = NULL WHERE author_id = $1",
            "DELETE FROM request_tokens WHERE contact_id IS NULL \
             AND request_id IN (SELECT id FROM requests WHERE author_id = $1)",
        ] {
            sqlx::query(sql).bind(id.0).execute(&mut *tx).await?;
        }
        // Its roles end with it, each revocation on the public record (decided by the owner).
        let subject = vigie_domain::authz::user_subject(id);
        let grants =
            sqlx::query("SELECT tenant_id, v1, v2 FROM casbin_rules WHERE ptype = 'g' AND v0 = $1")
                .bind(&subject)
                .fetch_all(&mut *tx)
                .await?;
        let at = now();
        for grant in &grants {
            let tenant: Option<i64> = grant.try_get(0)?;
            let role: String = grant.try_get(1)?;
            let pattern: String = grant.try_get(2)?;
            let mut parts = pattern.split('/').skip(1);
            let object_type = parts.next().filter(|t| *t != "*").map(str::to_owned);
            let object_id: Option<i64> = parts.next().and_then(|o| o.parse().ok());
            sqlx::query(
                "INSERT INTO role_events (tenant_id, action, role, user_id, object_type, \
                 object_id, actor_id, at) VALUES ($1, 'revoke', $2, $3, $4, $5, $3, $6)",
            )
            .bind(tenant)
            .bind(&role)
            .bind(id.0)
            .bind(object_type)
            .bind(object_id)
            .bind(&at)
            .execute(&mut *tx)
            .await?;
        }
        if !grants.is_empty() {
            sqlx::query("DELETE FROM casbin_rules WHERE ptype = 'g' AND v0 = $1")
                .bind(&subject)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE tenants SET policy_revision = policy_revision + 1")
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.changed(Change::Everything).await;
        Ok(())
    }

    /// Everything stored about an account that its owner may download: the account, its
    /// sessions (times only), its contributions, life events, documents, requests, comments,
    /// supports and role changes. Never a password hash nor a token hash, never another
    /// person's contact details.
    pub async fn account_export(&self, id: UserId) -> Result<serde_json::Value, StoreError> {
        let queries: [(&str, &str); 10] = [
            (
                "account",
                "SELECT id, pseudonym, email, display_name, email_verified_at, created_at \
                 FROM users WHERE id = $1",
            ),
            (
                "sessions",
                "SELECT created_at, expires_at FROM sessions WHERE user_id = $1 ORDER BY created_at",
            ),
            (
                "contributions",
                "SELECT f.id, t.slug AS collective, f.object_id, f.field_key, f.vintage, f.value, \
                 f.provenance, f.source, f.contact_email, f.contact_phone, f.filed_state, f.at \
                 FROM facts f JOIN tenants t ON t.id = f.tenant_id WHERE f.author_id = $1 ORDER BY f.id",
            ),
            (
                "life_events",
                "SELECT e.id, t.slug AS collective, e.object_id, e.kind, e.title, e.description, \
                 e.starts_on, e.ends_on, e.contact_email, e.filed_state, e.at \
                 FROM life_events e JOIN tenants t ON t.id = e.tenant_id WHERE e.author_id = $1 ORDER BY e.id",
            ),
            (
                "documents",
                "SELECT d.id, t.slug AS collective, d.object_id, d.request_id, d.kind, d.title, \
                 d.file_name, d.content_type, d.size, d.sha256, d.at \
                 FROM documents d JOIN tenants t ON t.id = d.tenant_id WHERE d.uploaded_by = $1 ORDER BY d.id",
            ),
            (
                "requests",
                "SELECT r.id, t.slug AS collective, r.object_id, r.kind, r.categories, r.title, \
                 r.description, r.urgency, r.reminder_on, r.contact_email, r.status, r.filed_at \
                 FROM requests r JOIN tenants t ON t.id = r.tenant_id WHERE r.author_id = $1 ORDER BY r.id",
            ),
            (
                "comments",
                "SELECT c.id, c.request_id, c.body, c.at FROM request_comments c \
                 WHERE c.author_id = $1 ORDER BY c.id",
            ),
            (
                "supported_requests",
                "SELECT s.request_id, s.at FROM request_supporters s WHERE s.user_id = $1 ORDER BY s.id",
            ),
            (
                "badges",
                "SELECT t.slug AS collective, b.key, a.level, a.score, a.rule_version, a.reason, a.at \
                 FROM badge_awards a JOIN badges b ON b.id = a.badge_id \
                 JOIN tenants t ON t.id = b.tenant_id WHERE a.user_id = $1 ORDER BY a.id",
            ),
            (
                "role_changes",
                "SELECT t.slug AS collective, e.action, e.role, e.object_type, e.object_id, e.at \
                 FROM role_events e LEFT JOIN tenants t ON t.id = e.tenant_id \
                 WHERE e.user_id = $1 ORDER BY e.id",
            ),
        ];
        let mut out = serde_json::Map::new();
        for (key, sql) in queries {
            let rows = sqlx::query(sql).bind(id.0).fetch_all(&self.pool).await?;
            let rows: Vec<serde_json::Value> = rows.iter().map(row_as_json).collect();
            if key == "account" {
                let account = rows
                    .into_iter()
                    .next()
                    .ok_or(StoreError::NotFound("user"))?;
                out.insert(key.into(), account);
            } else {
                out.insert(key.into(), serde_json::Value::Array(rows));
            }
        }
        Ok(serde_json::Value::Object(out))
    }
}

/// A row as a JSON object, each column as an integer, a number or a text (or null).
fn row_as_json(row: &AnyRow) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for (i, col) in row.columns().iter().enumerate() {
        let value = if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
            v.map(serde_json::Value::from)
        } else if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
            v.map(serde_json::Value::from)
        } else {
            row.try_get::<Option<String>, _>(i)
                .ok()
                .flatten()
                .map(serde_json::Value::from)
        };
        map.insert(
            col.name().to_owned(),
            value.unwrap_or(serde_json::Value::Null),
        );
    }
    serde_json::Value::Object(map)
}
