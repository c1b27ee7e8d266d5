//! Signing in through the institution's OpenID Connect provider (issue 16, item 2): the start
//! (a pending sign-in kept by the hash of its `state`, the browser sent to the provider) and the
//! return (the state taken once, the code exchanged and the ID token checked by
//! [`crate::oidc`], the claim matched to the roster). No database connection is held while the
//! provider answers. What follows a proved person is [`super::sign_in::open`]'s, as for a
//! password: a session, or the second factor first unless the provider already asked for one
//! and the institution trusts its word.

use kenshu_core::audit::{AuditAction, AuditKey};
use kenshu_db::requests::{Lease, RequestPool};
use uuid::Uuid;

use super::sign_in::{Opening, SignedIn, open};
use super::{AuthError, MAX_INSTITUTION, Outcome};
use crate::audit::Actor;
use crate::oidc::{self, OidcError};

/// The portal's path the provider sends the browser back to (the redirect URI registered at
/// the provider is the portal's public address followed by this).
pub const CALLBACK: &str = "/login/oidc/callback";

/// How long the portal waits for the person to come back from the provider.
pub const PENDING_MINUTES: u64 = 10;

/// Why a sign-in through the provider does not go on.
#[derive(Debug, PartialEq, Eq)]
pub enum FederatedRefusal {
    /// No such institution, or it does not sign in through a provider.
    NotOffered,
    /// The return does not match a sign-in begun here, or was used already or came too late
    /// (a replayed or forged `state`): start again.
    Expired,
    /// The provider's answer is not acceptable (a token for another client, out of date, a
    /// code used twice) or the person cancelled at the provider: start again.
    Failed,
    /// The provider vouches for someone the roster does not have: ask the chief officer.
    NotOnRoster,
    /// The provider cannot be reached or its setup is wrong: portal passwords still work where
    /// the institution allows them.
    ProviderDown,
}

/// Where the portal's pages are: the return address registered at the provider, and where the
/// provider sends the browser after signing out.
pub struct Addresses<'a> {
    pub redirect_uri: &'a str,
    pub after_sign_out: &'a str,
}

/// A sign-in sent to the provider.
#[derive(Debug)]
pub struct Started {
    /// The provider's address to send the browser to.
    pub url: String,
    /// The `state` it carries: the caller keeps it in the browser too (a cookie), so that a
    /// return is only accepted in the browser that started the sign-in (no login CSRF).
    pub state: String,
}

/// Starts a sign-in at the institution `code` (empty: the only one).
pub async fn start(
    pool: &RequestPool,
    mut conn: Lease,
    key: &AuditKey,
    code: &str,
    next: &str,
    at: &Addresses<'_>,
) -> Result<Outcome<Started, FederatedRefusal>, AuthError> {
    if code.chars().count() > MAX_INSTITUTION {
        return Ok(Outcome::Refused(FederatedRefusal::NotOffered));
    }
    let (_, found) = kenshu_db::institution::for_sign_in(&mut conn, code.trim()).await?;
    let Some((institution, _)) = found.filter(|(_, m)| m.oidc) else {
        return Ok(Outcome::Refused(FederatedRefusal::NotOffered));
    };
    let Some(stored) = kenshu_db::oidc::get(&mut conn, institution.id).await? else {
        return Ok(Outcome::Refused(FederatedRefusal::NotOffered));
    };
    let config = match oidc::from_stored(&stored, key, institution.id) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, institution = %institution.code, "the provider's settings cannot be used");
            return Ok(Outcome::Refused(FederatedRefusal::ProviderDown));
        }
    };
    drop(conn);
    let begun = oidc::begin(&config, at.redirect_uri).await;
    let mut conn = pool.acquire().await?;
    let begun = match begun {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, institution = %institution.code, "the provider cannot start a sign-in");
            return Ok(Outcome::Refused(FederatedRefusal::ProviderDown));
        }
    };
    kenshu_db::oidc::begin(
        &mut conn,
        key,
        &kenshu_db::oidc::state_hash(&begun.state),
        institution.id,
        &begun.nonce,
        &begun.pkce_verifier,
        next,
        std::time::Duration::from_secs(PENDING_MINUTES * 60),
    )
    .await?;
    Ok(Outcome::Done(Started {
        url: begun.authorize_url,
        state: begun.state,
    }))
}

/// The provider's answer, as it came back through the browser.
pub struct Return<'a> {
    pub code: &'a str,
    pub state: &'a str,
    /// The state the browser kept when it started (its cookie): must be the same.
    pub browser_state: Option<&'a str>,
    /// The provider's `error` (the person cancelled, the provider refused).
    pub error: Option<&'a str>,
    pub device_token: Option<String>,
    pub session_hours: i64,
    pub audit_key: &'a AuditKey,
}

/// Finishes a sign-in when the provider sends the person back.
#[tracing::instrument(skip_all)]
pub async fn finish(
    pool: &RequestPool,
    mut conn: Lease,
    r: Return<'_>,
    at: &Addresses<'_>,
) -> Result<Outcome<SignedIn, FederatedRefusal>, AuthError> {
    let refuse = |why| Ok(Outcome::Refused(why));
    if r.state.is_empty() || r.state.len() > 512 || r.code.len() > 4096 {
        return refuse(FederatedRefusal::Expired);
    }
    // A return opened in another browser than the one that started (someone else's sign-in
    // planted on this browser, or a link passed on): refused, the pending sign-in left alone.
    let same_browser = r
        .browser_state
        .is_some_and(|b| kenshu_db::oidc::state_hash(b) == kenshu_db::oidc::state_hash(r.state));
    if !same_browser {
        tracing::warn!("a provider's return in a browser that did not start the sign-in");
        return refuse(FederatedRefusal::Expired);
    }
    let Some(pending) = kenshu_db::oidc::take(
        &mut conn,
        r.audit_key,
        &kenshu_db::oidc::state_hash(r.state),
    )
    .await?
    else {
        tracing::warn!(
            "a provider's return matches no sign-in begun here (replayed, late or forged)"
        );
        return refuse(FederatedRefusal::Expired);
    };
    let institution = pending.institution;
    let failed = |conn: Lease, why: FederatedRefusal, detail: String| async move {
        record_failure(conn, r.audit_key, institution, &detail).await?;
        Ok::<_, AuthError>(Outcome::Refused(why))
    };
    if let Some(error) = r.error {
        let detail = format!("oidc: the provider answered {}", bounded(error));
        return failed(conn, FederatedRefusal::Failed, detail).await;
    }
    let Some(stored) = kenshu_db::oidc::get(&mut conn, institution).await? else {
        return refuse(FederatedRefusal::NotOffered);
    };
    let config = match oidc::from_stored(&stored, r.audit_key, institution) {
        Ok(c) => c,
        Err(e) => {
            let detail = format!("oidc: {e}");
            return failed(conn, FederatedRefusal::ProviderDown, detail).await;
        }
    };
    drop(conn);
    let identity = oidc::finish(
        &config,
        at.redirect_uri,
        r.code,
        &pending.nonce,
        &pending.pkce_verifier,
    )
    .await;
    let sign_out_url = match &identity {
        Ok(_) => oidc::end_session_url(&config, None, at.after_sign_out)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "no end-session address from the provider");
                None
            }),
        Err(_) => None,
    };
    let mut conn = pool.acquire().await?;
    let identity = match identity {
        Ok(i) => i,
        Err(e) => {
            let why = match e {
                OidcError::Rejected(_) | OidcError::IdToken(_) => FederatedRefusal::Failed,
                OidcError::MissingClaim(_)
                | OidcError::Unavailable(_)
                | OidcError::Certificate(_)
                | OidcError::Setup(_) => FederatedRefusal::ProviderDown,
            };
            tracing::warn!(error = %e, "a sign-in through the provider failed");
            return failed(conn, why, format!("oidc: {e}")).await;
        }
    };
    let methods = kenshu_db::institution::sign_in_methods(&mut conn, institution).await?;
    let user =
        match kenshu_db::person::credentials(&mut conn, institution, &identity.employee).await? {
            Some(c) if c.active && methods.oidc => c,
            // Left (the roster's leaving date has passed), or the institution stopped using the
            // provider meanwhile: refused like a wrong password.
            Some(_) => {
                let detail = format!("oidc: {} may not sign in", bounded(&identity.employee));
                return failed(conn, FederatedRefusal::Failed, detail).await;
            }
            None => {
                let detail = format!(
                    "oidc: the provider vouches for {}, the roster does not have them",
                    bounded(&identity.employee)
                );
                return failed(conn, FederatedRefusal::NotOnRoster, detail).await;
            }
        };
    let code = kenshu_db::institution::code_of(&mut conn, institution).await?;
    let attempted: String = identity.employee.chars().take(100).collect();
    let opening = Opening {
        institution,
        institution_code: &code,
        user: &user,
        method: "oidc",
        attempted: &attempted,
        // A new token, not an empty one: clippy's `unwrap_or_default` would be wrong here.
        device_token: match r.device_token {
            Some(token) => token,
            None => kenshu_db::token::new(),
        },
        next: &pending.next,
        session_hours: r.session_hours,
        audit_key: r.audit_key,
        amr_second_factor: super::second_factor::amr_is_second_factor(&identity.amr),
        sign_out_url,
    };
    Ok(Outcome::Done(open(&mut conn, opening, &[], &[]).await?))
}

fn bounded(s: &str) -> String {
    s.chars().take(100).collect()
}

async fn record_failure(
    mut conn: Lease,
    key: &AuditKey,
    institution: Uuid,
    detail: &str,
) -> Result<(), AuthError> {
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    Actor::attempt(key, institution, "oidc")
        .record(&mut tx, AuditAction::SignInFailed, "", detail)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether a stored provider's settings reach a working provider (discovery fetched afresh).
pub async fn check(config: &oidc::OidcConfig) -> Result<(), OidcError> {
    oidc::forget(config);
    oidc::check(config).await
}
