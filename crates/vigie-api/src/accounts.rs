//! `/accounts`, `/session` and `/me`.

use poem::Request;
use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};
use time::OffsetDateTime;
use vigie_http::client::ClientAddress;

use crate::session::{Caller, clear_session_cookie, session_cookie};
use crate::views::AccountView;
use crate::{ApiError, ApiState, ApiTags};

/// Registration form.
#[derive(Debug, Object)]
struct RegisterRequest {
    /// E-mail address (kept private; a verification link is sent to it).
    email: String,
    /// Password, at least 10 characters.
    password: String,
    /// Public name; without it the account gets a neutral one (`Membre 7f3c1a`), nothing
    /// taken from the address.
    display_name: Option<String>,
}

/// A token from an e-mailed link.
#[derive(Debug, Object)]
struct TokenRequest {
    /// The `token` parameter of the link.
    token: String,
}

/// An e-mail address.
#[derive(Debug, Object)]
struct EmailRequest {
    /// E-mail address.
    email: String,
}

/// Credentials.
#[derive(Debug, Object)]
struct SignInRequest {
    /// E-mail address.
    email: String,
    /// Password.
    password: String,
}

/// A new password from a reset link.
#[derive(Debug, Object)]
struct ResetRequest {
    /// The `token` parameter of the reset link.
    token: String,
    /// The new password, at least 10 characters.
    password: String,
}

/// Changes to one's own account.
#[derive(Debug, Object)]
struct AccountPatch {
    /// New public name.
    display_name: Option<String>,
}

/// The password, to confirm deleting one's account.
#[derive(Debug, Object)]
struct DeleteAccountRequest {
    /// The account's current password.
    password: String,
}

/// A session just opened.
#[derive(Debug, Object)]
struct SessionView {
    /// The account signed in.
    account: AccountView,
    /// When the session ends.
    expires_at: OffsetDateTime,
}

/// Acknowledgement of a request whose outcome is sent by e-mail.
#[derive(Debug, Object)]
struct Accepted {
    /// What happens next.
    message: String,
}

#[derive(ApiResponse)]
enum ExportResponse {
    /// Everything stored about the account, as a JSON download.
    #[oai(status = 200)]
    Ok(
        Json<serde_json::Value>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

#[derive(ApiResponse)]
enum DeletedResponse {
    /// The account is deleted and signed out; the cookie is cleared.
    #[oai(status = 204)]
    NoContent(#[oai(header = "Set-Cookie")] String),
}

#[derive(ApiResponse)]
enum AcceptedResponse {
    /// Accepted; see your e-mail.
    #[oai(status = 202)]
    Accepted(Json<Accepted>),
}

#[derive(ApiResponse)]
enum SignInResponse {
    /// Signed in; the `vigie_session` cookie is set.
    #[oai(status = 200)]
    Ok(Json<SessionView>, #[oai(header = "Set-Cookie")] String),
}

#[derive(ApiResponse)]
enum SignOutResponse {
    /// Signed out; the cookie is cleared.
    #[oai(status = 204)]
    NoContent(#[oai(header = "Set-Cookie")] String),
}

#[derive(ApiResponse)]
enum DoneResponse {
    /// Done.
    #[oai(status = 204)]
    NoContent,
}

pub struct AccountsApi;

#[OpenApi(tag = "ApiTags::Accounts")]
impl AccountsApi {
    /// Register an account
    ///
    /// Creates an unverified account and e-mails a verification link; signing in needs the
    /// address verified. Answers the same (202) whether or not the address already has an
    /// account: if it has, its owner is told by e-mail instead, so nobody learns from this
    /// who has an account. Account e-mails to one address are limited per hour.
    #[oai(path = "/accounts", method = "post", operation_id = "register")]
    async fn register(
        &self,
        req: &Request,
        state: Data<&ApiState>,
        body: Json<RegisterRequest>,
    ) -> Result<AcceptedResponse, ApiError> {
        state
            .services
            .register(
                &body.email,
                &body.password,
                body.display_name.as_deref(),
                ClientAddress::of(req).limit_key(),
            )
            .await?;
        Ok(AcceptedResponse::Accepted(Json(Accepted {
            message: "check your e-mail: a link to confirm the address is on its way".into(),
        })))
    }

    /// Verify an e-mail address
    ///
    /// Consumes the token of the e-mailed verification link. A user whose verified address is
    /// in a collective's official domains becomes an Official of that collective.
    #[oai(
        path = "/accounts/verify",
        method = "post",
        operation_id = "verify_email"
    )]
    async fn verify(
        &self,
        state: Data<&ApiState>,
        body: Json<TokenRequest>,
    ) -> Result<Json<AccountView>, ApiError> {
        let user = state.services.verify_email(&body.token).await?;
        Ok(Json((&user).into()))
    }

    /// Send the verification link again
    ///
    /// Answers the same whether or not the address has an account.
    #[oai(
        path = "/accounts/verify/resend",
        method = "post",
        operation_id = "resend_verification"
    )]
    async fn resend(
        &self,
        req: &Request,
        state: Data<&ApiState>,
        body: Json<EmailRequest>,
    ) -> Result<AcceptedResponse, ApiError> {
        state
            .services
            .resend_verification(&body.email, ClientAddress::of(req).limit_key())
            .await?;
        Ok(AcceptedResponse::Accepted(Json(Accepted {
            message: "if this address has an unverified account, a new link is on its way".into(),
        })))
    }

    /// Ask for a password reset
    ///
    /// E-mails a reset link if the address has an account; answers the same either way.
    #[oai(
        path = "/accounts/password-reset",
        method = "post",
        operation_id = "request_password_reset"
    )]
    async fn request_reset(
        &self,
        req: &Request,
        state: Data<&ApiState>,
        body: Json<EmailRequest>,
    ) -> Result<AcceptedResponse, ApiError> {
        state
            .services
            .request_password_reset(&body.email, ClientAddress::of(req).limit_key())
            .await?;
        Ok(AcceptedResponse::Accepted(Json(Accepted {
            message: "if this address has an account, a reset link is on its way".into(),
        })))
    }

    /// Choose a new password
    ///
    /// Consumes the reset link's token, sets the password and ends every session.
    #[oai(
        path = "/accounts/password-reset/confirm",
        method = "post",
        operation_id = "reset_password"
    )]
    async fn reset(
        &self,
        state: Data<&ApiState>,
        body: Json<ResetRequest>,
    ) -> Result<DoneResponse, ApiError> {
        state
            .services
            .reset_password(&body.token, &body.password)
            .await?;
        Ok(DoneResponse::NoContent)
    }

    /// Sign in
    ///
    /// Sets the HTTP-only `vigie_session` cookie used by the API and the web pages. Failed
    /// attempts are limited per account and per client address: over the limit the answer
    /// is 429 `too_many_attempts` with `Retry-After`; 503 `busy` when the server is checking
    /// too many passwords at once.
    #[oai(path = "/session", method = "post", operation_id = "sign_in")]
    async fn sign_in(
        &self,
        req: &Request,
        state: Data<&ApiState>,
        body: Json<SignInRequest>,
    ) -> Result<SignInResponse, ApiError> {
        let client = ClientAddress::of(req).limit_key();
        let signed = state
            .services
            .sign_in(&body.email, &body.password, client)
            .await?;
        let max_age = (signed.expires_at - OffsetDateTime::now_utc()).whole_seconds();
        let cookie = session_cookie(&state.services, &signed.token.0, max_age);
        Ok(SignInResponse::Ok(
            Json(SessionView {
                account: (&signed.user).into(),
                expires_at: signed.expires_at,
            }),
            cookie,
        ))
    }

    /// Sign out
    #[oai(path = "/session", method = "delete", operation_id = "sign_out")]
    async fn sign_out(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
    ) -> Result<SignOutResponse, ApiError> {
        if let Some(token) = &caller.token {
            state
                .services
                .sign_out(&vigie_services::SessionToken(token.clone()))
                .await?;
        }
        Ok(SignOutResponse::NoContent(clear_session_cookie()))
    }

    /// My account
    #[oai(path = "/me", method = "get", operation_id = "me")]
    async fn me(&self, caller: Caller) -> Result<Json<AccountView>, ApiError> {
        Ok(Json(caller.require_user()?.into()))
    }

    /// Change my account
    #[oai(path = "/me", method = "patch", operation_id = "update_me")]
    async fn update_me(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        body: Json<AccountPatch>,
    ) -> Result<Json<AccountView>, ApiError> {
        let user = caller.require_user()?;
        let updated = match &body.display_name {
            Some(name) => state.services.set_display_name(user.id, name).await?,
            None => user.clone(),
        };
        Ok(Json((&updated).into()))
    }

    /// Download my data
    ///
    /// Everything stored about my account, as JSON: the account, its sessions' times, my
    /// contributions (with the contact details I left), life events, documents, requests,
    /// comments, supports and role changes. No password or token hash, nobody else's data.
    #[oai(path = "/me/export", method = "get", operation_id = "export_me")]
    async fn export_me(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
    ) -> Result<ExportResponse, ApiError> {
        let user = caller.require_user()?;
        let data = state.services.export_account(user).await?;
        Ok(ExportResponse::Ok(
            Json(data),
            "attachment; filename=\"vigie-mes-donnees.json\"".into(),
        ))
    }

    /// Delete my account
    ///
    /// Needs the current password. Erases the e-mail, the password, every session and the
    /// private contact details left with contributions and requests; what was published
    /// (contributions, requests, comments) stays under the account's pseudonym with a
    /// neutral name, and the journal still verifies.
    #[oai(path = "/me", method = "delete", operation_id = "delete_me")]
    async fn delete_me(
        &self,
        req: &Request,
        state: Data<&ApiState>,
        caller: Caller,
        body: Json<DeleteAccountRequest>,
    ) -> Result<DeletedResponse, ApiError> {
        let user = caller.require_user()?;
        state
            .services
            .delete_account(user, &body.password, ClientAddress::of(req).limit_key())
            .await?;
        Ok(DeletedResponse::NoContent(clear_session_cookie()))
    }
}
