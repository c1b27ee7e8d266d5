//! Signing in with a password.

use kenshu_core::audit::AuditAction;
use kenshu_core::audit::AuditKey;
use kenshu_db::password::Line;
use kenshu_db::requests::{Lease, RequestPool};
use kenshu_db::throttle::{Key, Taken};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::{
    ACCOUNT_RULE, AuthError, CLIENT_RULE, DEVICE_RULE, MAX_INSTITUTION, MAX_LOGIN,
    MAX_PASSWORD_BYTES, Outcome, without_connection,
};
use crate::audit::Actor;
use crate::metrics;

/// One sign-in attempt as the form and the browser gave it.
pub struct Attempt<'a> {
    pub institution: &'a str,
    pub login: &'a str,
    pub password: &'a str,
    /// The browser's device token, when it holds one of ours (64 hex digits).
    pub device_token: Option<String>,
    /// The client's address, for the throttle of one address across accounts.
    pub client: &'a str,
    pub session_hours: i64,
    pub audit_key: &'a AuditKey,
    /// Where to go once signed in (a local path the caller checked), kept while a second step
    /// is asked for.
    pub next: &'a str,
}

/// A first step that succeeded: the tokens for the browser's cookies.
#[derive(Debug)]
pub struct SignedIn {
    pub user_id: Uuid,
    /// The browser's device token, new when it had none.
    pub device_token: String,
    /// Where to go once signed in.
    pub next: String,
    pub then: Then,
}

/// What follows a first step that succeeded.
#[derive(Debug)]
pub enum Then {
    /// The session has begun: its token.
    Session(String),
    /// A second step is asked for first (a code, or setting the factor up): the challenge's
    /// token for its short-lived cookie.
    SecondStep {
        challenge_token: String,
        kind: kenshu_db::second_factor::ChallengeKind,
    },
}

/// Why the form comes back, and whether it must ask which institution.
#[derive(Debug)]
pub struct SignInRefusal {
    pub ask_institution: bool,
    pub why: Why,
    /// The institution's people may sign in with their directory name (the form says so).
    pub directory: bool,
    /// The institution's people may sign in through its OpenID Connect provider.
    pub oidc: bool,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Why {
    /// A field longer than any real one: refused before any look-up.
    TooLong,
    /// Wrong name, wrong password, inactive account or unknown institution: one answer for all,
    /// so the replies tell nothing about who exists.
    Failed,
    /// The throttle holds this account, browser or address back for so many seconds.
    Wait { secs: i64 },
    /// The institution's directory proved who this is, but the roster has nobody with that
    /// employee number: the chief officer must add them to the roster.
    NotOnRoster,
    /// The institution's directory cannot be reached (or its setup is broken): only accounts
    /// with a portal password can sign in meanwhile.
    DirectoryDown,
}

/// Signs a person in. The attempt is taken from the throttle before the password is checked
/// (atomically: parallel guesses cannot slip through), the password is checked without holding
/// a database connection, and a held-back attempt is refused without checking it at all. A
/// success ends the account's and browser's failure counts, remembers the browser, opens a
/// session and writes the audit log; a failure writes the audit log under the name tried.
#[tracing::instrument(skip_all, fields(trusted_browser = attempt.device_token.is_some()))]
pub async fn sign_in(
    pool: &RequestPool,
    mut conn: Lease,
    attempt: Attempt<'_>,
) -> Result<Outcome<SignedIn, SignInRefusal>, AuthError> {
    if attempt.device_token.is_none() && kenshu_db::password::is_full(Line::General) {
        return Err(AuthError::Busy);
    }
    let refuse = |ask_institution, why| {
        Ok(Outcome::Refused(SignInRefusal {
            ask_institution,
            why,
            directory: false,
            oidc: false,
        }))
    };
    if attempt.login.chars().count() > MAX_LOGIN
        || attempt.institution.chars().count() > MAX_INSTITUTION
        || attempt.password.len() > MAX_PASSWORD_BYTES
    {
        return refuse(
            kenshu_db::institution::ask_on_sign_in(&mut conn).await?,
            Why::TooLong,
        );
    }
    let (ask_institution, institution) =
        kenshu_db::institution::for_sign_in(&mut conn, attempt.institution.trim()).await?;
    let Some((institution, methods)) = institution else {
        return refuse(ask_institution, Why::Failed);
    };
    let refuse = |why| {
        Ok(Outcome::Refused(SignInRefusal {
            ask_institution,
            why,
            directory: methods.directory,
            oidc: methods.oidc,
        }))
    };
    let login_key = attempt.login.trim().to_lowercase();
    let credentials =
        kenshu_db::person::credentials(&mut conn, institution.id, attempt.login.trim()).await?;
    let device = attempt.device_token.as_deref().map(kenshu_db::token::hash);
    let trusted = match (&credentials, &device) {
        (Some(c), Some(d)) => {
            kenshu_db::throttle::is_trusted_device(&mut conn, institution.id, c.id, d).await?
        }
        _ => false,
    };
    // An account is one key whatever name it is signed in with (login ID or e-mail); a name
    // nobody has is throttled the same way.
    let account_key = match &credentials {
        Some(c) => format!("u:{}", c.id),
        None => format!(
            "n:{}",
            login_key.chars().take(MAX_LOGIN).collect::<String>()
        ),
    };
    let keys = match (&device, trusted) {
        (Some(d), true) => vec![Key {
            key: format!("d:{}", hex::encode(&d[..16])),
            rule: DEVICE_RULE,
        }],
        _ => vec![
            Key {
                key: account_key.clone(),
                rule: ACCOUNT_RULE,
            },
            Key {
                key: format!("c:{}", attempt.client),
                rule: CLIENT_RULE,
            },
        ],
    };
    let failures = match kenshu_db::throttle::take(&mut conn, institution.id, &keys).await? {
        Taken::Allowed { failures } => failures,
        Taken::HeldBack { wait_secs } => {
            metrics::sign_in_refused(metrics::Refusal::Throttled);
            tracing::warn!(institution = %institution.code, wait_secs, "sign-in held back by the throttle");
            return refuse(Why::Wait { secs: wait_secs });
        }
    };
    let password = attempt.password.to_string();
    let hash = credentials.as_ref().and_then(|c| c.password_hash.clone());
    let line = if trusted {
        Line::Trusted
    } else {
        Line::General
    };
    let (verified, mut conn) = without_connection(conn, pool, line, move || match hash {
        Some(h) => kenshu_db::password::verify(&h, &password),
        None => {
            kenshu_db::password::verify_dummy(&password);
            false
        }
    })
    .await?;
    let attempted: String = login_key.chars().take(100).collect();
    // Not the portal password: the institution's directory, if it has one, may prove who this
    // is; the roster then says which account that is.
    // A portal password counts where the institution allows it (and always for a portal
    // administrator, who must reach the portal while the directory is down).
    let proved = match credentials {
        Some(c) if verified && c.active && (methods.password || c.portal_admin) => {
            Ok((c, "password"))
        }
        _ if methods.directory => {
            let (found, back) = by_directory(conn, pool, institution.id, &attempt).await?;
            conn = back;
            found.map(|c| (c, "directory"))
        }
        _ => Err(Why::Failed),
    };
    let (user, method) = match proved {
        Ok(proved) => proved,
        Err(why) => {
            tracing::info!(institution = %institution.code, failures, ?why, "sign-in failed");
            let detail = match why {
                Why::NotOnRoster => format!(
                    "failures in a row: {failures}; the directory knows the name, the roster does not"
                ),
                Why::DirectoryDown => {
                    format!("failures in a row: {failures}; the directory could not be reached")
                }
                _ => format!("failures in a row: {failures}"),
            };
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            Actor::attempt(attempt.audit_key, institution.id, &attempted)
                .record(&mut tx, AuditAction::SignInFailed, "", &detail)
                .await?;
            tx.commit().await?;
            return refuse(why);
        }
    };
    // A browser without a device token gets a new one (not an empty one: clippy's
    // `unwrap_or_default` suggestion would be wrong here).
    let device_token = match attempt.device_token {
        Some(token) => token,
        None => kenshu_db::token::new(),
    };
    // The first step was right: its failure counts end, whatever follows.
    let cleared = [account_key, keys[0].key.clone()];
    let refunded: Vec<String> = keys.iter().skip(1).map(|k| k.key.clone()).collect();
    let opening = Opening {
        institution: institution.id,
        institution_code: &institution.code,
        user: &user,
        method,
        attempted: &attempted,
        device_token,
        next: attempt.next,
        session_hours: attempt.session_hours,
        audit_key: attempt.audit_key,
        amr_second_factor: false,
        sign_out_url: None,
    };
    Ok(Outcome::Done(
        open(&mut conn, opening, &cleared, &refunded).await?,
    ))
}

/// A person proved by a first step (a password, the directory, the OpenID Connect provider),
/// about to be let in.
pub(crate) struct Opening<'a> {
    pub institution: Uuid,
    pub institution_code: &'a str,
    pub user: &'a kenshu_db::person::Credentials,
    /// `password`, `directory` or `oidc`: for the audit log.
    pub method: &'static str,
    /// The name signed in with, as the audit log shows it.
    pub attempted: &'a str,
    pub device_token: String,
    pub next: &'a str,
    pub session_hours: i64,
    pub audit_key: &'a AuditKey,
    /// The provider says it asked for a second factor (its `amr` claim).
    pub amr_second_factor: bool,
    /// Where signing out sends the browser to end the provider's session too.
    pub sign_out_url: Option<String>,
}

/// Lets a proved person in: the throttle keys `cleared` end and `refunded` get their attempt
/// back; then either the second step is asked for (a challenge, no session yet) or the session
/// begins, the browser is remembered and the sign-in goes to the audit log.
pub(crate) async fn open(
    conn: &mut sqlx::PgConnection,
    o: Opening<'_>,
    cleared: &[String],
    refunded: &[String],
) -> Result<SignedIn, AuthError> {
    let second_step =
        super::second_factor::step_for(conn, o.institution, o.user, o.amr_second_factor).await?;
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    kenshu_db::throttle::clear(&mut tx, o.institution, cleared).await?;
    kenshu_db::throttle::refund(&mut tx, o.institution, refunded).await?;
    if let Some(kind) = second_step {
        let challenge_token = kenshu_db::token::new();
        kenshu_db::second_factor::challenge(
            &mut tx,
            &kenshu_db::second_factor::NewChallenge {
                token_hash: &kenshu_db::token::hash(&challenge_token),
                institution: o.institution,
                user: o.user.id,
                kind,
                method: o.method,
                next: o.next,
                expires_at: OffsetDateTime::now_utc()
                    + Duration::minutes(super::second_factor::CHALLENGE_MINUTES),
                sign_out_url: o.sign_out_url.as_deref(),
            },
        )
        .await?;
        tx.commit().await?;
        tracing::info!(institution = %o.institution_code, user = %o.user.id, ?kind, "first step of a sign-in done");
        return Ok(SignedIn {
            user_id: o.user.id,
            device_token: o.device_token,
            next: o.next.to_string(),
            then: Then::SecondStep {
                challenge_token,
                kind,
            },
        });
    }
    let session_token = kenshu_db::token::new();
    kenshu_db::throttle::trust_device(
        &mut tx,
        o.institution,
        o.user.id,
        &kenshu_db::token::hash(&o.device_token),
    )
    .await?;
    kenshu_db::session::create(
        &mut tx,
        &kenshu_db::session::NewSession {
            token_hash: &kenshu_db::token::hash(&session_token),
            institution_id: o.institution,
            user_id: o.user.id,
            csrf_token: &kenshu_db::token::new(),
            expires_at: OffsetDateTime::now_utc() + Duration::hours(o.session_hours),
            sign_out_url: o.sign_out_url.as_deref(),
        },
    )
    .await?;
    Actor::person(o.audit_key, o.institution, o.user.id, o.attempted)
        .record(&mut tx, AuditAction::SignIn, "", o.method)
        .await?;
    tx.commit().await?;
    tracing::info!(institution = %o.institution_code, user = %o.user.id, method = o.method, "signed in");
    Ok(SignedIn {
        user_id: o.user.id,
        device_token: o.device_token,
        next: o.next.to_string(),
        then: Then::Session(session_token),
    })
}

/// The attempt checked against the institution's directory, with no database connection held
/// while the directory answers: the roster's active account with the employee number the
/// directory gives, or why not ([`Why::Failed`] for anything the person got wrong, without
/// telling which).
async fn by_directory(
    mut conn: Lease,
    pool: &RequestPool,
    institution: Uuid,
    attempt: &Attempt<'_>,
) -> Result<(Result<kenshu_db::person::Credentials, Why>, Lease), AuthError> {
    use crate::directory::{DirectoryError, authenticate, from_stored};
    let Some(stored) = kenshu_db::directory::get(&mut conn, institution).await? else {
        return Ok((Err(Why::Failed), conn));
    };
    let config = match from_stored(&stored, attempt.audit_key, institution) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "the directory's settings cannot be used");
            return Ok((Err(Why::DirectoryDown), conn));
        }
    };
    drop(conn);
    let answer = authenticate(&config, attempt.login, attempt.password).await;
    let mut conn = pool.acquire().await?;
    let number = match answer {
        Ok(number) => number,
        Err(
            DirectoryError::BadPassword
            | DirectoryError::NotFound
            | DirectoryError::NotInGroup
            | DirectoryError::Ambiguous,
        ) => return Ok((Err(Why::Failed), conn)),
        Err(e @ DirectoryError::NoEmployeeNumber(_)) => {
            // The entry cannot be matched to the roster: the directory's administrators must
            // fill it in. The person is told only that the sign-in failed.
            tracing::warn!(error = %e, "a directory entry without an employee number");
            return Ok((Err(Why::Failed), conn));
        }
        Err(e) => {
            tracing::error!(error = %e, "directory sign-in failed on the directory's side");
            return Ok((Err(Why::DirectoryDown), conn));
        }
    };
    let found = kenshu_db::person::credentials(&mut conn, institution, &number).await?;
    let result = match found {
        Some(c) if c.active => Ok(c),
        // Left (the roster's leaving date has passed): refused like a wrong password.
        Some(_) => Err(Why::Failed),
        None => Err(Why::NotOnRoster),
    };
    Ok((result, conn))
}

/// Ends the session `session_hash` of the person `actor` names, and writes the audit log.
/// Where to send the browser to sign out at the OpenID Connect provider too, if the session
/// began there.
#[tracing::instrument(skip_all)]
pub async fn sign_out(
    conn: &mut sqlx::PgConnection,
    actor: &Actor<'_>,
    session_hash: &[u8],
) -> Result<Option<String>, sqlx::Error> {
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let at_provider = kenshu_db::session::delete(&mut tx, session_hash).await?;
    actor.record(&mut tx, AuditAction::SignOut, "", "").await?;
    tx.commit().await?;
    Ok(at_provider)
}
