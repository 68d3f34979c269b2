//! Accounts: registration, e-mail verification, sessions, password reset.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use vigie_domain::{Bilingual, DisplayName, Email, Password, Principal, UserId};
use vigie_mail::Message;
use vigie_storage::{TokenPurpose, User};

use crate::{ServiceError, Services};

/// A session token as handed to the browser (cookie) or API client. Only its hash is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(pub String);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

/// The outcome of signing in.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The new session's token.
    pub token: SessionToken,
    /// When it expires.
    pub expires_at: OffsetDateTime,
    /// The account.
    pub user: User,
}

pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Tokens are stored hashed, so a database leak does not leak live links or sessions.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

async fn hash_password(password: &Password) -> Result<String, ServiceError> {
    let clear = password.expose().to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(clear.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ServiceError::Internal(format!("password hashing: {e}")))
    })
    .await
    .map_err(|e| ServiceError::Internal(e.to_string()))?
}

async fn verify_password(clear: &str, hash: &str) -> Result<bool, ServiceError> {
    let clear = clear.to_owned();
    let hash = hash.to_owned();
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash)
            .map_err(|e| ServiceError::Internal(format!("stored password hash: {e}")))?;
        Ok(Argon2::default()
            .verify_password(clear.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|e| ServiceError::Internal(e.to_string()))?
}

/// A valid hash of nothing anyone knows, verified when an e-mail is unknown so that sign-in
/// takes as long for unknown addresses as for known ones.
const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9u0Yf8gMMaRCDkGnlIcHqHBbtDnOd5hGsBeFTbUdO9E";

impl Services {
    /// Registers an account and e-mails a verification link. Without a display name, the
    /// e-mail's local part is used.
    pub async fn register(
        &self,
        email: &str,
        password: &str,
        display_name: Option<&str>,
    ) -> Result<User, ServiceError> {
        let email = Email::parse(email)?;
        let password = Password::new(password)?;
        let name = match display_name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) => DisplayName::parse(n)?,
            None => DisplayName::from_email(&email),
        };
        let hash = hash_password(&password).await?;
        let user = self.store.create_user(&email, &hash, &name, false).await?;
        self.send_verification(&user).await?;
        Ok(user)
    }

    /// Creates an account from the command line: verified at once, optionally Guru.
    pub async fn create_user_as_operator(
        &self,
        email: &str,
        password: &str,
        display_name: Option<&str>,
    ) -> Result<User, ServiceError> {
        let email = Email::parse(email)?;
        let password = Password::new(password)?;
        let name = match display_name {
            Some(n) => DisplayName::parse(n)?,
            None => DisplayName::from_email(&email),
        };
        let hash = hash_password(&password).await?;
        Ok(self.store.create_user(&email, &hash, &name, true).await?)
    }

    async fn send_verification(&self, user: &User) -> Result<(), ServiceError> {
        let token = random_token();
        let expires = OffsetDateTime::now_utc()
            + Duration::hours(i64::from(self.settings.verification_hours));
        self.store
            .insert_account_token(
                &token_hash(&token),
                user.id,
                TokenPurpose::VerifyEmail,
                expires,
            )
            .await?;
        let link = format!("{}/verify?token={token}", self.settings.public_url);
        self.mailer
            .send(&Message {
                to: user.email.as_str().to_owned(),
                subject: "Vigie : confirmez votre adresse / confirm your address".into(),
                body: format!(
                    "Bonjour {name},\n\nPour confirmer votre adresse e-mail, ouvrez ce lien :\n{link}\n\
                     Il est valable {h} heures.\n\n---\n\nHello {name},\n\nTo confirm your e-mail \
                     address, open this link:\n{link}\nIt is valid for {h} hours.\n",
                    name = user.display_name.as_str(),
                    h = self.settings.verification_hours,
                ),
            })
            .await?;
        Ok(())
    }

    /// Sends a new verification link if the address has an unverified account. Answers the
    /// same either way, so nobody learns which addresses have accounts.
    pub async fn resend_verification(&self, email: &str) -> Result<(), ServiceError> {
        let email = Email::parse(email)?;
        if let Some(user) = self.store.user_by_email(&email).await?
            && user.email_verified_at.is_none()
        {
            self.send_verification(&user).await?;
        }
        Ok(())
    }

    /// Verifies an e-mail address from the link's token.
    pub async fn verify_email(&self, token: &str) -> Result<User, ServiceError> {
        let user_id = self
            .store
            .consume_account_token(&token_hash(token.trim()), TokenPurpose::VerifyEmail)
            .await?
            .ok_or(ServiceError::InvalidToken)?;
        self.store.mark_email_verified(user_id).await?;
        self.store
            .user_by_id(user_id)
            .await?
            .ok_or(ServiceError::NotFound("user"))
    }

    /// Signs in with e-mail and password; the e-mail must be verified.
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<SignedIn, ServiceError> {
        let wrong = || {
            ServiceError::Unauthenticated(
                Bilingual::new("wrong e-mail or password").fr("E-mail ou mot de passe incorrect."),
            )
        };
        let Ok(email) = Email::parse(email) else {
            return Err(wrong());
        };
        let Some((user, hash)) = self.store.user_credentials(&email).await? else {
            verify_password(password, DECOY_HASH).await?;
            return Err(wrong());
        };
        if !verify_password(password, &hash).await? {
            return Err(wrong());
        }
        if user.email_verified_at.is_none() {
            return Err(ServiceError::EmailNotVerified);
        }
        let token = random_token();
        let expires_at =
            OffsetDateTime::now_utc() + Duration::days(i64::from(self.settings.session_days));
        self.store
            .insert_session(&token_hash(&token), user.id, expires_at)
            .await?;
        Ok(SignedIn {
            token: SessionToken(token),
            expires_at,
            user,
        })
    }

    /// Ends a session.
    pub async fn sign_out(&self, token: &SessionToken) -> Result<(), ServiceError> {
        Ok(self.store.delete_session(&token_hash(&token.0)).await?)
    }

    /// The user of a session token, if it is live.
    pub async fn session_user(&self, token: &str) -> Result<Option<User>, ServiceError> {
        Ok(self.store.session_user(&token_hash(token)).await?)
    }

    /// The principal a request acts as.
    pub fn principal(user: Option<&User>) -> Principal {
        match user {
            None => Principal::Anonymous,
            Some(u) => Principal::User {
                id: u.id,
                verified_email: u.verified_email().cloned(),
            },
        }
    }

    /// E-mails a password-reset link if the address has an account; answers the same either
    /// way.
    pub async fn request_password_reset(&self, email: &str) -> Result<(), ServiceError> {
        let email = Email::parse(email)?;
        let Some(user) = self.store.user_by_email(&email).await? else {
            return Ok(());
        };
        let token = random_token();
        let expires =
            OffsetDateTime::now_utc() + Duration::hours(i64::from(self.settings.reset_hours));
        self.store
            .insert_account_token(
                &token_hash(&token),
                user.id,
                TokenPurpose::ResetPassword,
                expires,
            )
            .await?;
        let link = format!("{}/reset?token={token}", self.settings.public_url);
        self.mailer
            .send(&Message {
                to: user.email.as_str().to_owned(),
                subject: "Vigie : nouveau mot de passe / new password".into(),
                body: format!(
                    "Bonjour {name},\n\nPour choisir un nouveau mot de passe, ouvrez ce lien :\n{link}\n\
                     Il est valable {h} heures. Si vous n'avez rien demandé, ignorez ce message.\n\n---\n\n\
                     Hello {name},\n\nTo choose a new password, open this link:\n{link}\nIt is valid \
                     for {h} hours. If you did not ask for it, ignore this message.\n",
                    name = user.display_name.as_str(),
                    h = self.settings.reset_hours,
                ),
            })
            .await?;
        Ok(())
    }

    /// Sets a new password from a reset link's token and signs out every session. Following
    /// the link also proves the address, so it verifies the e-mail too.
    pub async fn reset_password(
        &self,
        token: &str,
        new_password: &str,
    ) -> Result<(), ServiceError> {
        let password = Password::new(new_password)?;
        let user_id = self
            .store
            .consume_account_token(&token_hash(token.trim()), TokenPurpose::ResetPassword)
            .await?
            .ok_or(ServiceError::InvalidToken)?;
        let hash = hash_password(&password).await?;
        self.store.set_password_hash(user_id, &hash).await?;
        self.store.mark_email_verified(user_id).await?;
        self.store.delete_user_sessions(user_id).await?;
        Ok(())
    }

    /// Changes a user's public name.
    pub async fn set_display_name(&self, user: UserId, name: &str) -> Result<User, ServiceError> {
        let name = DisplayName::parse(name)?;
        self.store.set_display_name(user, &name).await?;
        self.store
            .user_by_id(user)
            .await?
            .ok_or(ServiceError::NotFound("user"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn decoy_hash_is_a_valid_argon2_hash() {
        // If the decoy does not parse, unknown e-mails would answer faster (or fail).
        assert!(!verify_password("anything", DECOY_HASH).await.unwrap());
    }

    #[tokio::test]
    async fn hashes_verify() {
        let p = Password::new("correct horse battery").unwrap();
        let h = hash_password(&p).await.unwrap();
        assert!(verify_password("correct horse battery", &h).await.unwrap());
        assert!(!verify_password("wrong horse battery", &h).await.unwrap());
    }
}
