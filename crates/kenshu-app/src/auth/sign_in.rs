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
    let second_step =
        super::second_factor::step_for(&mut conn, institution.id, &user, false).await?;
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    // The first step was right: its failure counts end, whatever follows.
    let cleared = [account_key, keys[0].key.clone()];
    kenshu_db::throttle::clear(&mut tx, institution.id, &cleared).await?;
    let refunded: Vec<String> = keys.iter().skip(1).map(|k| k.key.clone()).collect();
    kenshu_db::throttle::refund(&mut tx, institution.id, &refunded).await?;
    if let Some(kind) = second_step {
        let challenge_token = kenshu_db::token::new();
        kenshu_db::second_factor::challenge(
            &mut tx,
            &kenshu_db::token::hash(&challenge_token),
            institution.id,
            user.id,
            kind,
            method,
            attempt.next,
            OffsetDateTime::now_utc() + Duration::minutes(super::second_factor::CHALLENGE_MINUTES),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(institution = %institution.code, user = %user.id, ?kind, "first step of a sign-in done");
        return Ok(Outcome::Done(SignedIn {
            user_id: user.id,
            device_token,
            then: Then::SecondStep {
                challenge_token,
                kind,
            },
        }));
    }
    let session_token = kenshu_db::token::new();
    kenshu_db::throttle::trust_device(
        &mut tx,
        institution.id,
        user.id,
        &kenshu_db::token::hash(&device_token),
    )
    .await?;
    kenshu_db::session::create(
        &mut tx,
        &kenshu_db::token::hash(&session_token),
        institution.id,
        user.id,
        &kenshu_db::token::new(),
        OffsetDateTime::now_utc() + Duration::hours(attempt.session_hours),
    )
    .await?;
    Actor::person(attempt.audit_key, institution.id, user.id, &attempted)
        .record(&mut tx, AuditAction::SignIn, "", method)
        .await?;
    tx.commit().await?;
    tracing::info!(institution = %institution.code, user = %user.id, "signed in");
    Ok(Outcome::Done(SignedIn {
        user_id: user.id,
        device_token,
        then: Then::Session(session_token),
    }))
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
#[tracing::instrument(skip_all)]
pub async fn sign_out(
    conn: &mut sqlx::PgConnection,
    actor: &Actor<'_>,
    session_hash: &[u8],
) -> Result<(), sqlx::Error> {
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    kenshu_db::session::delete(&mut tx, session_hash).await?;
    actor.record(&mut tx, AuditAction::SignOut, "", "").await?;
    tx.commit().await
}
