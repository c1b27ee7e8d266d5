//! The second factor (issue 16, item 4): a TOTP code after the password, the directory or the
//! OpenID Connect provider, for everyone who set one up and, where the institution requires it,
//! for everyone who sees others' records (protection, chief and audit officers, portal
//! administrators), who then set it up on their next sign-in.
//!
//! The first step of a sign-in that needs a code opens no session: it leaves a challenge (a
//! token in a short-lived cookie) and the session begins only when the code is right. Codes are
//! throttled per account like passwords, each time step is accepted once (compare-and-set in
//! the database, so two instances cannot both take the same code), and a recovery code works
//! once.

use kenshu_core::audit::{AuditAction, AuditKey};
use kenshu_core::totp::{TotpSecret, recovery_codes, recovery_hash};
use kenshu_db::person::Credentials;
use kenshu_db::second_factor::{self as store, ChallengeKind, Factor};
use kenshu_db::throttle::{Key, Taken};
use sqlx::PgConnection;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::{ACCOUNT_RULE, AuthError, Outcome};
use crate::audit::Actor;

/// How long a half-done sign-in waits for its code.
pub const CHALLENGE_MINUTES: i64 = 10;
/// How many recovery codes a person gets.
pub const RECOVERY_CODES: usize = 10;

/// Whether the person's role sees others' records: the roles a required second factor covers.
pub fn sees_others(role: &str) -> bool {
    role != "staff"
}

/// What the second step of a sign-in is for this person, if there is one: a code when they
/// have a factor; setting one up when the institution requires it of their role; nothing
/// otherwise (and nothing when the OpenID Connect provider already asked for a second factor
/// and the institution trusts its word, `amr_second_factor`).
pub async fn step_for(
    conn: &mut PgConnection,
    institution: Uuid,
    user: &Credentials,
    amr_second_factor: bool,
) -> Result<Option<ChallengeKind>, sqlx::Error> {
    if !user.second_factor && !sees_others(&user.role) {
        return Ok(None);
    }
    let policy = store::policy(conn, institution).await?;
    if amr_second_factor && policy.trust_amr {
        return Ok(None);
    }
    Ok(if user.second_factor {
        Some(ChallengeKind::Verify)
    } else if policy.required {
        Some(ChallengeKind::Enrol)
    } else {
        None
    })
}

/// Whether an `amr` claim (RFC 8176) says the provider asked for more than a password.
pub fn amr_is_second_factor(amr: &[String]) -> bool {
    amr.iter().any(|m| {
        matches!(
            m.as_str(),
            "mfa" | "otp" | "hwk" | "swk" | "sms" | "fido" | "sc"
        )
    })
}

/// The key of the per-account throttle on codes.
fn throttle_key(user: Uuid) -> Key {
    Key {
        key: format!("f:{user}"),
        rule: ACCOUNT_RULE,
    }
}

/// Why a code is not taken.
#[derive(Debug, PartialEq, Eq)]
pub enum CodeRefusal {
    /// Not the code of now (nor a recovery code), or one used already.
    Wrong,
    /// Too many wrong codes: wait so many seconds.
    Wait { secs: i64 },
    /// The half-done sign-in has ended (expired, used, or the account left): sign in again.
    Expired,
    /// The institution requires the factor of this person: it cannot be turned off.
    Required,
}

/// What a typed code turned out to be.
enum Typed {
    /// A code of the app, of a time step not used before.
    Code,
    /// An unused recovery code.
    Recovery,
}

/// Checks what the person typed against their factor, taking it from the throttle first, and
/// uses it up (the step, or the recovery code) in `tx`. `setting_up`: the factor is being set
/// up (only an app code counts).
async fn check_code(
    tx: &mut PgConnection,
    key: &AuditKey,
    institution: Uuid,
    user: Uuid,
    typed: &str,
    setting_up: bool,
) -> Result<Result<Typed, CodeRefusal>, AuthError> {
    if let Taken::HeldBack { wait_secs } =
        kenshu_db::throttle::take(tx, institution, &[throttle_key(user)]).await?
    {
        return Ok(Err(CodeRefusal::Wait { secs: wait_secs }));
    }
    let typed = typed.trim();
    if typed.len() > 64 {
        return Ok(Err(CodeRefusal::Wrong));
    }
    let Some(factor) = store::get(tx, institution, user).await? else {
        return Ok(Err(CodeRefusal::Expired));
    };
    if factor.confirmed() == setting_up {
        return Ok(Err(CodeRefusal::Expired));
    }
    let is_recovery = typed.bytes().any(|b| b.is_ascii_alphabetic());
    if is_recovery {
        if setting_up {
            return Ok(Err(CodeRefusal::Wrong));
        }
        let used = store::use_recovery_code(tx, institution, user, &recovery_hash(typed)).await?;
        return Ok(if used {
            Ok(Typed::Recovery)
        } else {
            Err(CodeRefusal::Wrong)
        });
    }
    let Some(secret) = store::open_secret(key, institution, user, &factor.secret_sealed) else {
        tracing::error!(%user, "a second factor sealed under another key: reset it");
        return Ok(Err(CodeRefusal::Wrong));
    };
    let now = u64::try_from(OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0);
    let Some(step) = secret.verify(typed, now, factor.last_step) else {
        return Ok(Err(CodeRefusal::Wrong));
    };
    Ok(
        if store::accept_step(tx, institution, user, step, setting_up).await? {
            Ok(Typed::Code)
        } else {
            // Another request took this step first.
            Err(CodeRefusal::Wrong)
        },
    )
}

/// Fresh recovery codes for the person, stored as hashes in `tx`; the codes to show once.
async fn new_recovery_codes(
    tx: &mut PgConnection,
    institution: Uuid,
    user: Uuid,
) -> Result<Vec<String>, sqlx::Error> {
    let random: Vec<[u8; 5]> = (0..RECOVERY_CODES).map(|_| rand::random()).collect();
    let codes = recovery_codes(&random);
    let hashes: Vec<[u8; 32]> = codes.iter().map(|c| recovery_hash(c)).collect();
    store::set_recovery_codes(tx, institution, user, &hashes).await?;
    Ok(codes)
}

/// The person's factor being set up (made now if they have none), with its secret to show:
/// the QR code and the base32 text. `None` when their factor is confirmed already.
pub async fn setting_up(
    conn: &mut PgConnection,
    key: &AuditKey,
    institution: Uuid,
    user: Uuid,
) -> Result<Option<TotpSecret>, sqlx::Error> {
    let fresh = TotpSecret::new(rand::random());
    let sealed = store::seal_secret(key, institution, user, &fresh);
    let factor = store::begin(conn, institution, user, &sealed).await?;
    if factor.confirmed() {
        return Ok(None);
    }
    Ok(
        store::open_secret(key, institution, user, &factor.secret_sealed).or_else(|| {
            // Sealed under a key the portal no longer has: nobody can have confirmed it.
            tracing::warn!(%user, "an unconfirmed second factor under an old key");
            None
        }),
    )
}

/// A session begun by the second step.
#[derive(Debug)]
pub struct Completed {
    pub user_id: Uuid,
    pub session_token: String,
    /// Where the person was going.
    pub next: String,
    /// The factor was set up now: its recovery codes, to show once.
    pub recovery_codes: Option<Vec<String>>,
}

/// The answer to a challenge, as the form gave it.
pub struct Answer<'a> {
    /// The challenge token from its cookie.
    pub token: &'a str,
    pub typed: &'a str,
    /// The browser's device token, remembered once the sign-in completes.
    pub device_token: &'a str,
    pub session_hours: i64,
    pub audit_key: &'a AuditKey,
}

/// The challenge of a token, if it is live.
pub async fn challenge(
    conn: &mut PgConnection,
    token: &str,
) -> Result<Option<store::Challenge>, sqlx::Error> {
    store::find_challenge(conn, &kenshu_db::token::hash(token)).await
}

/// Completes a sign-in with its second step: the code of the person's app or a recovery code
/// (or, when setting the factor up, the first code of the new secret). Right: the challenge
/// ends, the session begins, the browser is remembered and the audit log says how the person
/// signed in. Wrong: the audit log records a failed sign-in.
#[tracing::instrument(skip_all)]
pub async fn answer(
    conn: &mut PgConnection,
    a: Answer<'_>,
) -> Result<Outcome<Completed, CodeRefusal>, AuthError> {
    let token_hash = kenshu_db::token::hash(a.token);
    let Some(c) = store::find_challenge(conn, &token_hash).await? else {
        return Ok(Outcome::Refused(CodeRefusal::Expired));
    };
    let setting_up = c.kind == ChallengeKind::Enrol;
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let checked = check_code(
        &mut tx,
        a.audit_key,
        c.institution_id,
        c.user_id,
        a.typed,
        setting_up,
    )
    .await?;
    let typed = match checked {
        Ok(t) => t,
        Err(refusal) => {
            // The throttle's count stays whatever the answer.
            tx.commit().await?;
            if refusal == CodeRefusal::Wrong {
                let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                Actor::attempt(a.audit_key, c.institution_id, &c.login_id)
                    .record(
                        &mut tx,
                        AuditAction::SignInFailed,
                        "",
                        &format!("second step: wrong code (first step: {})", c.method),
                    )
                    .await?;
                tx.commit().await?;
            }
            return Ok(Outcome::Refused(refusal));
        }
    };
    if !store::end_challenge(&mut tx, &token_hash).await? {
        return Ok(Outcome::Refused(CodeRefusal::Expired));
    }
    kenshu_db::throttle::clear(&mut tx, c.institution_id, &[throttle_key(c.user_id).key]).await?;
    let actor = Actor::person(a.audit_key, c.institution_id, c.user_id, &c.login_id);
    let codes = if setting_up {
        let codes = new_recovery_codes(&mut tx, c.institution_id, c.user_id).await?;
        actor
            .record(&mut tx, AuditAction::SecondFactorEnrolled, "", "on sign-in")
            .await?;
        Some(codes)
    } else {
        None
    };
    let session_token = kenshu_db::token::new();
    kenshu_db::throttle::trust_device(
        &mut tx,
        c.institution_id,
        c.user_id,
        &kenshu_db::token::hash(a.device_token),
    )
    .await?;
    kenshu_db::session::create(
        &mut tx,
        &kenshu_db::session::NewSession {
            token_hash: &kenshu_db::token::hash(&session_token),
            institution_id: c.institution_id,
            user_id: c.user_id,
            csrf_token: &kenshu_db::token::new(),
            expires_at: OffsetDateTime::now_utc() + Duration::hours(a.session_hours),
            sign_out_url: c.sign_out_url.as_deref(),
        },
    )
    .await?;
    let how = match typed {
        Typed::Code => "app code",
        Typed::Recovery => "recovery code",
    };
    actor
        .record(
            &mut tx,
            AuditAction::SignIn,
            "",
            &format!("{}; second factor: {how}", c.method),
        )
        .await?;
    tx.commit().await?;
    tracing::info!(institution = %c.institution_code, user = %c.user_id, "signed in with a second factor");
    Ok(Outcome::Done(Completed {
        user_id: c.user_id,
        session_token,
        next: c.next,
        recovery_codes: codes,
    }))
}

/// Where a signed-in person's factor stands, for their account page.
#[derive(Debug)]
pub struct Standing {
    /// Their factor, confirmed or being set up.
    pub factor: Option<Factor>,
    /// The institution requires it of them: it cannot be turned off.
    pub required: bool,
}

pub async fn standing(
    conn: &mut PgConnection,
    institution: Uuid,
    user: Uuid,
    role: &str,
) -> Result<Standing, sqlx::Error> {
    let factor = store::get(conn, institution, user).await?;
    let required = sees_others(role) && store::policy(conn, institution).await?.required;
    Ok(Standing { factor, required })
}

/// Confirms the factor a signed-in person is setting up with its first code; the recovery codes
/// to show once.
pub async fn confirm(
    conn: &mut PgConnection,
    actor: &Actor<'_>,
    typed: &str,
) -> Result<Outcome<Vec<String>, CodeRefusal>, AuthError> {
    let (mut tx, user) = match with_code(conn, actor, typed, true).await? {
        Ok(checked) => checked,
        Err(refusal) => return Ok(Outcome::Refused(refusal)),
    };
    let codes = new_recovery_codes(&mut tx, actor.institution_id, user).await?;
    actor
        .record(
            &mut tx,
            AuditAction::SecondFactorEnrolled,
            "",
            "on the account page",
        )
        .await?;
    tx.commit().await?;
    Ok(Outcome::Done(codes))
}

/// New recovery codes (the old ones stop working), against a code of the person's app.
pub async fn renew_recovery_codes(
    conn: &mut PgConnection,
    actor: &Actor<'_>,
    typed: &str,
) -> Result<Outcome<Vec<String>, CodeRefusal>, AuthError> {
    let (mut tx, user) = match with_code(conn, actor, typed, false).await? {
        Ok(checked) => checked,
        Err(refusal) => return Ok(Outcome::Refused(refusal)),
    };
    let codes = new_recovery_codes(&mut tx, actor.institution_id, user).await?;
    actor
        .record(&mut tx, AuditAction::RecoveryCodesRenewed, "", "")
        .await?;
    tx.commit().await?;
    Ok(Outcome::Done(codes))
}

/// Turns the person's factor off, against a code of their app; refused where the institution
/// requires it of them.
pub async fn turn_off(
    conn: &mut PgConnection,
    actor: &Actor<'_>,
    role: &str,
    typed: &str,
) -> Result<Outcome<(), CodeRefusal>, AuthError> {
    if sees_others(role) && store::policy(conn, actor.institution_id).await?.required {
        return Ok(Outcome::Refused(CodeRefusal::Required));
    }
    let (mut tx, user) = match with_code(conn, actor, typed, false).await? {
        Ok(checked) => checked,
        Err(refusal) => return Ok(Outcome::Refused(refusal)),
    };
    store::remove(&mut tx, actor.institution_id, user).await?;
    actor
        .record(
            &mut tx,
            AuditAction::SecondFactorRemoved,
            "",
            "by the person",
        )
        .await?;
    tx.commit().await?;
    Ok(Outcome::Done(()))
}

/// Checks a signed-in person's code (throttled); right, the transaction it was used up in, for
/// the change it allows, and the person's id.
async fn with_code<'c>(
    conn: &'c mut PgConnection,
    actor: &Actor<'_>,
    typed: &str,
    setting_up: bool,
) -> Result<Result<(sqlx::Transaction<'c, sqlx::Postgres>, Uuid), CodeRefusal>, AuthError> {
    let user = actor.person_id("a second-factor change")?;
    let mut tx = sqlx::Connection::begin(conn).await?;
    match check_code(
        &mut tx,
        actor.key,
        actor.institution_id,
        user,
        typed,
        setting_up,
    )
    .await?
    {
        Ok(_) => {
            kenshu_db::throttle::clear(&mut tx, actor.institution_id, &[throttle_key(user).key])
                .await?;
            Ok(Ok((tx, user)))
        }
        Err(refusal) => {
            // The throttle's count stays.
            tx.commit().await?;
            Ok(Err(refusal))
        }
    }
}

/// Removes a person's factor for them (a lost phone), by a command on the server; they set up a
/// new one on their next sign-in where it is required.
pub async fn reset(
    conn: &mut PgConnection,
    actor: &Actor<'_>,
    user: Uuid,
    login: &str,
) -> Result<bool, sqlx::Error> {
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let had = store::remove(&mut tx, actor.institution_id, user).await?;
    if had {
        actor
            .record(&mut tx, AuditAction::SecondFactorRemoved, login, "reset")
            .await?;
    }
    tx.commit().await?;
    Ok(had)
}
