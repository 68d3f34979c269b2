//! Accounts, single-use account tokens and sessions.

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use vigie_domain::Bilingual;
use vigie_domain::{DisplayName, Email, UserId};

use crate::error::conflict_on_unique;
use crate::{Store, StoreError, now, parse_timestamp, timestamp};

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

const USER_COLUMNS: &str = "u.id, u.email, u.display_name, u.email_verified_at, u.created_at";

fn user_from_row(row: &AnyRow) -> Result<User, StoreError> {
    let email: String = row.try_get("email")?;
    let name: String = row.try_get("display_name")?;
    let verified: Option<String> = row.try_get("email_verified_at")?;
    let created: String = row.try_get("created_at")?;
    Ok(User {
        id: UserId(row.try_get("id")?),
        email: Email::parse(&email).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        display_name: DisplayName::parse(&name).map_err(|e| StoreError::Corrupt(e.to_string()))?,
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
        verified: bool,
    ) -> Result<User, StoreError> {
        let at = now();
        let id: i64 = sqlx::query(
            "INSERT INTO users (email, password_hash, display_name, email_verified_at, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(email.as_str())
        .bind(password_hash)
        .bind(display_name.as_str())
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
             AND (u.email LIKE $1 OR u.email LIKE $2) ORDER BY u.display_name, u.id"
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
            "SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.email = $1"
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
}
