//! Accounts: registration, e-mail verification, sessions, password reset.

use argon2::Argon2;
use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use time::{Duration, OffsetDateTime};

use vigie_domain::requests::JournalEntry;
use vigie_domain::{Bilingual, DisplayName, Email, Password, Principal, Pseudonym, UserId};
use vigie_storage::{CountedAttempt, StoreError, Throttle, TokenPurpose, User};

use crate::guard::HashMemory;
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

/// Argon2 with the given parameters, computed in `memory` (grown if it is too small) rather
/// than in a fresh allocation.
fn argon2_output(
    clear: &[u8],
    algorithm: argon2::Algorithm,
    version: argon2::Version,
    params: argon2::Params,
    salt: Salt<'_>,
    memory: &mut HashMemory,
) -> Result<Output, ServiceError> {
    let fault = |e: String| ServiceError::Internal(format!("password hashing: {e}"));
    let mut salt_buf = [0u8; 64];
    let salt = salt
        .decode_b64(&mut salt_buf)
        .map_err(|e| fault(e.to_string()))?;
    let need = params.block_count();
    if memory.len() < need {
        memory.resize(need, argon2::Block::default());
    }
    let len = params
        .output_len()
        .unwrap_or(argon2::Params::DEFAULT_OUTPUT_LEN);
    let hasher = Argon2::new(algorithm, version, params);
    Output::init_with(len, |out| {
        hasher
            .hash_password_into_with_memory(clear, salt, out, &mut memory[..need])
            .map_err(|_| argon2::password_hash::Error::Crypto)
    })
    .map_err(|e| fault(e.to_string()))
}

/// A new Argon2id hash (PHC string) of a password, with the default parameters.
fn hash_now(clear: &str, memory: &mut HashMemory) -> Result<String, ServiceError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let params = argon2::Params::default();
    let output = argon2_output(
        clear.as_bytes(),
        argon2::Algorithm::default(),
        argon2::Version::default(),
        params.clone(),
        salt.as_salt(),
        memory,
    )?;
    let phc = PasswordHash {
        algorithm: argon2::Algorithm::default().ident(),
        version: Some(argon2::Version::default().into()),
        params: ParamsString::try_from(&params)
            .map_err(|e| ServiceError::Internal(format!("password hashing: {e}")))?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// Whether a password matches a stored PHC hash (compared in constant time).
fn verify_now(clear: &str, hash: &str, memory: &mut HashMemory) -> Result<bool, ServiceError> {
    let stored = |e: argon2::password_hash::Error| {
        ServiceError::Internal(format!("stored password hash: {e}"))
    };
    let parsed = PasswordHash::new(hash).map_err(stored)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(ServiceError::Internal(
            "stored password hash: no salt or no hash".into(),
        ));
    };
    let algorithm = argon2::Algorithm::try_from(parsed.algorithm).map_err(stored)?;
    let version = parsed
        .version
        .map(argon2::Version::try_from)
        .transpose()
        .map_err(|e| ServiceError::Internal(format!("stored password hash: {e}")))?
        .unwrap_or_default();
    let p = argon2::Params::try_from(&parsed).map_err(stored)?;
    let params = argon2::Params::new(p.m_cost(), p.t_cost(), p.p_cost(), Some(expected.len()))
        .map_err(|e| ServiceError::Internal(format!("stored password hash: {e}")))?;
    let computed = argon2_output(clear.as_bytes(), algorithm, version, params, salt, memory)?;
    // `Output` compares in constant time.
    Ok(computed == expected)
}

/// A new random pseudonym.
fn new_pseudonym() -> Pseudonym {
    let mut bytes = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    Pseudonym::from_bytes(bytes)
}

/// What the limits count a key under: a hash, so that no address is held in clear.
fn limit_key(kind: &str, value: &str) -> String {
    token_hash(&format!("vigie-limit:{kind}:{value}"))
}

/// What an account e-mail is, for the count of mails per address.
#[derive(Debug, Clone, Copy)]
enum AccountMail {
    Verification,
    Reset,
    AlreadyRegistered,
}

impl AccountMail {
    fn as_str(self) -> &'static str {
        match self {
            AccountMail::Verification => "verify_email",
            AccountMail::Reset => "reset_password",
            AccountMail::AlreadyRegistered => "already_registered",
        }
    }
}

fn wrong_credentials() -> ServiceError {
    ServiceError::Unauthenticated(
        Bilingual::new("wrong e-mail or password").fr("E-mail ou mot de passe incorrect."),
    )
}

fn too_many(retry_after_secs: u64) -> ServiceError {
    let minutes = retry_after_secs.div_ceil(60).max(1);
    ServiceError::TooManyAttempts {
        message: Bilingual::new(format!(
            "too many sign-in attempts: try again in {minutes} minute(s), or reset your password"
        ))
        .fr(format!(
            "Trop de tentatives de connexion : réessayez dans {minutes} minute(s), ou choisissez un nouveau mot de passe."
        )),
        retry_after_secs,
    }
}

/// The most sign-in attempts kept in the database (every throttle together); past it the
/// oldest are forgotten first.
const MAX_STORED_ATTEMPTS: i64 = 300_000;

/// A valid hash of nothing anyone knows, verified when an e-mail is unknown so that sign-in
/// takes as long for unknown addresses as for known ones.
const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9u0Yf8gMMaRCDkGnlIcHqHBbtDnOd5hGsBeFTbUdO9E";

impl Services {
    /// Hashes a password behind the hashing gate.
    async fn hash_password(&self, password: &Password) -> Result<String, ServiceError> {
        let clear = password.expose().to_owned();
        self.guards
            .hashing
            .run(move |memory| hash_now(&clear, memory))
            .await?
    }

    /// Checks a password against a stored hash behind the hashing gate.
    async fn verify_password(&self, clear: &str, hash: &str) -> Result<bool, ServiceError> {
        let (clear, hash) = (clear.to_owned(), hash.to_owned());
        self.guards
            .hashing
            .run(move |memory| verify_now(&clear, &hash, memory))
            .await?
    }

    /// Queues an account e-mail unless the address already got its allowance for the hour
    /// (counted in the database under a hash of the address, so restarts do not reset it).
    /// Over the allowance the mail is dropped silently: the answer to the caller is the
    /// same, so nobody learns anything from it.
    async fn send_account_mail(
        &self,
        to: &Email,
        kind: AccountMail,
        subject: String,
        body: String,
    ) -> Result<(), ServiceError> {
        let now = OffsetDateTime::now_utc();
        let allowed = self
            .store
            .reserve_mail_send(
                &limit_key("mail", to.as_str()),
                kind.as_str(),
                now - Duration::hours(1),
                self.settings.limits.mails_per_address_per_hour,
                now - Duration::days(1),
            )
            .await?;
        if !allowed {
            tracing::info!(
                purpose = kind.as_str(),
                "account e-mail not sent: this address reached its hourly allowance"
            );
            return Ok(());
        }
        let mail = self.outbox_message(to.as_str(), &subject, body, kind.as_str(), None);
        self.queue_mail(&mail).await
    }

    /// Counts an attempt under `key` in the database (shared by every server process); now
    /// and then, first forgets the attempts past every window.
    async fn count_attempt(
        &self,
        key: &str,
        throttle: Throttle,
    ) -> Result<Result<CountedAttempt, u64>, ServiceError> {
        let due = {
            let mut pruned = self.guards.pruned.lock().unwrap_or_else(|e| e.into_inner());
            let due = pruned.is_none_or(|t| t.elapsed() >= std::time::Duration::from_secs(60));
            if due {
                *pruned = Some(std::time::Instant::now());
            }
            due
        };
        if due {
            let before = OffsetDateTime::now_utc() - self.guards.longest_window();
            match self.store.prune_attempts(before, MAX_STORED_ATTEMPTS).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(deleted = n, "old sign-in attempts forgotten"),
                Err(e) => tracing::warn!(error = %e, "pruning the sign-in attempts failed"),
            }
        }
        Ok(self.store.count_attempt(key, throttle).await?)
    }

    /// Gives counted attempts back; a failure is logged (the attempt then counts until its
    /// window passes, which only errs on the strict side).
    async fn give_back(&self, attempts: &[Option<CountedAttempt>]) {
        for a in attempts.iter().flatten() {
            if let Err(e) = self.store.give_attempt_back(*a).await {
                tracing::warn!(error = %e, "could not give a sign-in attempt back");
            }
        }
    }

    /// Counts a request that may send an account e-mail (register, resend, reset) from
    /// `client`; refused once the client used its hourly allowance.
    async fn count_mail_request(&self, client: Option<IpAddr>) -> Result<(), ServiceError> {
        let Some(ip) = client else { return Ok(()) };
        self.count_attempt(
            &limit_key("mail-request", &ip.to_string()),
            self.guards.mail_requests,
        )
        .await?
        .map(|_| ())
        .map_err(|wait| {
            let minutes = wait.div_ceil(60).max(1);
            ServiceError::TooManyAttempts {
                message: Bilingual::new(format!(
                    "too many requests for account e-mails from your address: try again in {minutes} minute(s)"
                ))
                .fr(format!(
                    "Trop de demandes d'e-mails de compte depuis votre adresse : réessayez dans {minutes} minute(s)."
                )),
                retry_after_secs: wait,
            }
        })
    }

    /// Registers an account and e-mails a verification link. Without a display name, the
    /// account gets a neutral one (`Membre 7f3c1a`), nothing taken from the address.
    ///
    /// Answers the same whether or not the address already has an account: if it has, its
    /// owner is told by e-mail instead, so that registering cannot be used to learn who has
    /// an account. The password is hashed either way, so both take as long.
    pub async fn register(
        &self,
        email: &str,
        password: &str,
        display_name: Option<&str>,
        client: Option<IpAddr>,
    ) -> Result<(), ServiceError> {
        let email = Email::parse(email)?;
        self.count_mail_request(client).await?;
        let password = Password::new(password)?;
        let pseudonym = new_pseudonym();
        let name = match display_name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) => DisplayName::parse(n)?,
            None => DisplayName::neutral(&pseudonym),
        };
        let hash = self.hash_password(&password).await?;
        if let Some(existing) = self.store.user_by_email(&email).await? {
            return self.send_already_registered(&existing).await;
        }
        match self
            .store
            .create_user(&email, &hash, &name, &pseudonym, false)
            .await
        {
            Ok(user) => self.send_verification(&user).await,
            // Registered by someone else in the meantime (or a deleted account's reserved
            // address): the same answer.
            Err(StoreError::Conflict(_)) => match self.store.user_by_email(&email).await? {
                Some(existing) => self.send_already_registered(&existing).await,
                None => Ok(()),
            },
            Err(e) => Err(e.into()),
        }
    }

    async fn send_already_registered(&self, user: &User) -> Result<(), ServiceError> {
        let base = &self.settings.public_url;
        self.send_account_mail(
            &user.email,
            AccountMail::AlreadyRegistered,
            "Vigie : vous avez déjà un compte / you already have an account".into(),
            format!(
                "Bonjour {name},\n\nQuelqu'un (vous, sans doute) a voulu créer un compte Vigie avec \
                 cette adresse, qui en a déjà un. Pour vous connecter : {base}/login\n\
                 Mot de passe oublié ? {base}/reset\nSi ce n'était pas vous, ignorez ce message : \
                 rien n'a changé.\n\n---\n\nHello {name},\n\nSomeone (probably you) tried to \
                 register a Vigie account with this address, which already has one. To sign in: \
                 {base}/login\nForgot your password? {base}/reset\nIf it was not you, ignore this \
                 message: nothing changed.\n",
                name = user.display_name.as_str(),
            ),
        )
        .await
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
        let pseudonym = new_pseudonym();
        let name = match display_name {
            Some(n) => DisplayName::parse(n)?,
            None => DisplayName::neutral(&pseudonym),
        };
        let hash = self.hash_password(&password).await?;
        Ok(self
            .store
            .create_user(&email, &hash, &name, &pseudonym, true)
            .await?)
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
        self.send_account_mail(
            &user.email,
            AccountMail::Verification,
            "Vigie : confirmez votre adresse / confirm your address".into(),
            format!(
                "Bonjour {name},\n\nPour confirmer votre adresse e-mail, ouvrez ce lien :\n{link}\n\
                 Il est valable {h} heures.\n\n---\n\nHello {name},\n\nTo confirm your e-mail \
                 address, open this link:\n{link}\nIt is valid for {h} hours.\n",
                name = user.display_name.as_str(),
                h = self.settings.verification_hours,
            ),
        )
        .await
    }

    /// Sends a new verification link if the address has an unverified account. Answers the
    /// same either way, so nobody learns which addresses have accounts.
    pub async fn resend_verification(
        &self,
        email: &str,
        client: Option<IpAddr>,
    ) -> Result<(), ServiceError> {
        let email = Email::parse(email)?;
        self.count_mail_request(client).await?;
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

    /// Checks a password for a sign-in (or a confirmation), under the bounds: `client`'s
    /// attempts per minute, the account's failures per window, and the hashing gate. Unknown
    /// addresses cost the same as known ones (a decoy hash is checked, through the same gate)
    /// and are counted the same, so neither the answer nor its delay tells them apart.
    async fn check_credentials(
        &self,
        email: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<User, ServiceError> {
        let account_key = limit_key(
            "account",
            &Email::parse(email)
                .map_or_else(|_| email.trim().to_lowercase(), |e| e.as_str().into()),
        );
        let client_key = client.map(|ip| limit_key("client", &ip.to_string()));
        let client_attempt = match &client_key {
            Some(k) => Some(
                self.count_attempt(k, self.guards.per_client)
                    .await?
                    .map_err(too_many)?,
            ),
            None => None,
        };
        let account_attempt = match self
            .count_attempt(&account_key, self.guards.per_account)
            .await?
        {
            Ok(a) => a,
            Err(wait) => {
                tracing::info!("sign-in refused: too many failures on this account");
                return Err(too_many(wait));
            }
        };
        let found = match Email::parse(email) {
            Ok(e) => self.store.user_credentials(&e).await?,
            Err(_) => None,
        };
        let checked = match &found {
            Some((_, hash)) => self.verify_password(password, hash).await,
            None => self
                .verify_password(password, DECOY_HASH)
                .await
                .map(|_| false),
        };
        let counted = [Some(account_attempt), client_attempt];
        match (checked, found) {
            (Ok(true), Some((user, _))) => {
                self.give_back(&counted).await;
                Ok(user)
            }
            (Ok(_), _) => Err(wrong_credentials()),
            // No password was checked (server busy, or a fault): the attempt does not count.
            (Err(e), _) => {
                self.give_back(&counted).await;
                Err(e)
            }
        }
    }

    /// Signs in with e-mail and password; the e-mail must be verified. `client` is the
    /// client's address as the limits count it (`None`: not counted per client).
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<SignedIn, ServiceError> {
        let user = self.check_credentials(email, password, client).await?;
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
    pub async fn request_password_reset(
        &self,
        email: &str,
        client: Option<IpAddr>,
    ) -> Result<(), ServiceError> {
        let email = Email::parse(email)?;
        self.count_mail_request(client).await?;
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
        self.send_account_mail(
            &user.email,
            AccountMail::Reset,
            "Vigie : nouveau mot de passe / new password".into(),
            format!(
                "Bonjour {name},\n\nPour choisir un nouveau mot de passe, ouvrez ce lien :\n{link}\n\
                 Il est valable {h} heures. Si vous n'avez rien demandé, ignorez ce message.\n\n---\n\n\
                 Hello {name},\n\nTo choose a new password, open this link:\n{link}\nIt is valid \
                 for {h} hours. If you did not ask for it, ignore this message.\n",
                name = user.display_name.as_str(),
                h = self.settings.reset_hours,
            ),
        )
        .await
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
        let hash = self.hash_password(&password).await?;
        self.store.set_password_hash(user_id, &hash).await?;
        // Proving the address through the link lifts the lock failed sign-ins put on it.
        if let Some(user) = self.store.user_by_id(user_id).await? {
            self.store
                .forget_attempts(&limit_key("account", user.email.as_str()))
                .await?;
        }
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

    /// Everything stored about the caller's own account, to download (JSON): the account,
    /// its sessions' times, its contributions with the contact details it left, its life
    /// events, documents, requests, comments, supports and role changes. No password or
    /// token hash, nobody else's data.
    pub async fn export_account(&self, user: &User) -> Result<serde_json::Value, ServiceError> {
        Ok(self.store.account_export(user.id).await?)
    }

    /// Deletes the caller's account once its password is confirmed (checked under the same
    /// bounds as a sign-in): e-mail, password, sessions and the private contact details it
    /// left are erased; what it published (contributions, requests, comments) stays under
    /// its pseudonym with a neutral name, and the journal is untouched, so it still verifies.
    pub async fn delete_account(
        &self,
        user: &User,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<(), ServiceError> {
        match self
            .check_credentials(user.email.as_str(), password, client)
            .await
        {
            Ok(checked) if checked.id == user.id => {}
            Ok(_) | Err(ServiceError::Unauthenticated(_)) => {
                return Err(ServiceError::Forbidden(
                    Bilingual::new("wrong password: the account was not deleted")
                        .fr("Mot de passe incorrect : le compte n'a pas été supprimé."),
                ));
            }
            Err(e) => return Err(e),
        }
        self.store
            .delete_account(user.id, &DisplayName::neutral(&user.pseudonym))
            .await?;
        tracing::info!(user = user.id.0, "account deleted at its owner's request");
        Ok(())
    }

    /// The current display names of the accounts the journal entries name
    /// (`account:7f3c1a2b3c4d5e6f` → `Jeanne D.`), to show beside them: the entries keep the
    /// pseudonym, so a rename or a deletion changes what is shown, never what was hashed.
    pub async fn journal_names(
        &self,
        entries: &[JournalEntry],
    ) -> Result<HashMap<String, String>, ServiceError> {
        let mut wanted: HashSet<Pseudonym> = HashSet::new();
        for e in entries {
            if !e.details.contains(Pseudonym::JOURNAL_PREFIX) {
                continue;
            }
            if let Ok(serde_json::Value::Object(d)) = serde_json::from_str(&e.details) {
                wanted.extend(
                    d.values()
                        .filter_map(serde_json::Value::as_str)
                        .filter_map(Pseudonym::from_journal_ref),
                );
            }
        }
        let wanted: Vec<Pseudonym> = wanted.into_iter().collect();
        Ok(self
            .store
            .names_by_pseudonym(&wanted)
            .await?
            .into_iter()
            .map(|(p, n)| (p.journal_ref(), n.as_str().to_owned()))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    #[test]
    fn decoy_hash_is_a_valid_argon2_hash() {
        // If the decoy does not parse, unknown e-mails would answer faster (or fail).
        assert!(!verify_now("anything", DECOY_HASH, &mut Vec::new()).unwrap());
    }

    #[test]
    fn hashes_verify_and_agree_with_the_argon2_crate() {
        let mut memory = Vec::new();
        let h = hash_now("correct horse battery", &mut memory).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_now("correct horse battery", &h, &mut memory).unwrap());
        assert!(!verify_now("wrong horse battery", &h, &mut memory).unwrap());
        // Hashes made by the crate's own hasher (every account made before) still verify,
        // and ours verify with the crate's own verifier.
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let theirs = Argon2::default()
            .hash_password(b"un mot de passe solide", &salt)
            .unwrap()
            .to_string();
        assert!(verify_now("un mot de passe solide", &theirs, &mut memory).unwrap());
        assert!(!verify_now("un mot de passe faux", &theirs, &mut memory).unwrap());
        let ours = PasswordHash::new(&h).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse battery", &ours)
                .is_ok()
        );
        // One working memory served all of it.
        assert_eq!(memory.len(), argon2::Params::default().block_count());
    }

    #[test]
    fn limit_keys_hide_what_they_count() {
        let k = limit_key("mail", "jeanne@example.org");
        assert!(!k.contains("jeanne") && k.len() == 64);
        assert_ne!(k, limit_key("account", "jeanne@example.org"));
    }
}
