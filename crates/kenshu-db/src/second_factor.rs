//! The second factor (migration 0052): people's TOTP secrets, sealed and bound to the person;
//! their recovery codes, kept as hashes; and the sign-ins waiting for a code.

use kenshu_core::audit::AuditKey;
use kenshu_core::seal::{self, TOTP_SECRET};
use kenshu_core::totp::TotpSecret;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

/// What the associated data of a sealed secret is: the institution and the person, so a row
/// copied to another account opens nothing.
fn bound_to(institution: Uuid, user: Uuid) -> [u8; 32] {
    let mut b = [0u8; 32];
    b[..16].copy_from_slice(institution.as_bytes());
    b[16..].copy_from_slice(user.as_bytes());
    b
}

/// `secret` sealed for the person under the portal's key.
pub fn seal_secret(key: &AuditKey, institution: Uuid, user: Uuid, secret: &TotpSecret) -> Vec<u8> {
    seal::seal(
        key,
        TOTP_SECRET,
        &bound_to(institution, user),
        rand::random::<[u8; 24]>(),
        secret.as_bytes(),
    )
}

/// The person's secret, or `None` when it was sealed under another key or for someone else.
pub fn open_secret(
    key: &AuditKey,
    institution: Uuid,
    user: Uuid,
    sealed: &[u8],
) -> Option<TotpSecret> {
    let bytes = seal::open(key, TOTP_SECRET, &bound_to(institution, user), sealed)?;
    TotpSecret::from_bytes(bytes)
}

/// A person's factor as stored.
#[derive(Debug, Clone)]
pub struct Factor {
    pub secret_sealed: Vec<u8>,
    /// When a code from it was first typed back; `None` while being set up.
    pub confirmed_at: Option<OffsetDateTime>,
    /// The last time step accepted, if any.
    pub last_step: Option<u64>,
    /// Recovery codes not used yet.
    pub recovery_left: i64,
}

impl Factor {
    pub fn confirmed(&self) -> bool {
        self.confirmed_at.is_some()
    }
}

/// The person's factor, confirmed or being set up, if any.
pub async fn get(
    conn: &mut PgConnection,
    institution: Uuid,
    user: Uuid,
) -> Result<Option<Factor>, sqlx::Error> {
    let row = sqlx::query!(
        r#"select secret_sealed, confirmed_at, last_step,
                  (select count(*) from user_recovery_codes c
                   where c.institution_id = t.institution_id and c.user_id = t.user_id
                     and c.used_at is null) as "recovery_left!"
           from user_totp t where institution_id = $1 and user_id = $2"#,
        institution,
        user
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| Factor {
        secret_sealed: r.secret_sealed,
        confirmed_at: r.confirmed_at,
        last_step: u64::try_from(r.last_step).ok(),
        recovery_left: r.recovery_left,
    }))
}

/// Stores a secret being set up, unless the person already has one (confirmed or not): the
/// secret shown on the page stays the same however often it is reloaded. Returns the factor
/// now stored.
pub async fn begin(
    conn: &mut PgConnection,
    institution: Uuid,
    user: Uuid,
    sealed: &[u8],
) -> Result<Factor, sqlx::Error> {
    sqlx::query!(
        "insert into user_totp (institution_id, user_id, secret_sealed) values ($1, $2, $3)
         on conflict (institution_id, user_id) do nothing",
        institution,
        user,
        sealed
    )
    .execute(&mut *conn)
    .await?;
    get(conn, institution, user)
        .await?
        .ok_or(sqlx::Error::RowNotFound)
}

/// Accepts the time step `step` of the person's factor, only if it is later than the last one
/// accepted (compare-and-set: two requests with the same code cannot both pass). `confirming`:
/// the code confirms a factor being set up (and only such a one); otherwise the factor must be
/// confirmed already. Whether the step was accepted.
pub async fn accept_step(
    conn: &mut PgConnection,
    institution: Uuid,
    user: Uuid,
    step: u64,
    confirming: bool,
) -> Result<bool, sqlx::Error> {
    let step = i64::try_from(step).unwrap_or(i64::MAX);
    let done = sqlx::query!(
        "update user_totp set last_step = $3,
                confirmed_at = coalesce(confirmed_at, case when $4 then now() end)
         where institution_id = $1 and user_id = $2 and last_step < $3
           and (confirmed_at is null) = $4",
        institution,
        user,
        step,
        confirming
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes the person's factor and recovery codes (turned off, or reset by an administrator
/// when the phone is lost). Whether there was one.
pub async fn remove(
    conn: &mut PgConnection,
    institution: Uuid,
    user: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query!(
        "delete from user_recovery_codes where institution_id = $1 and user_id = $2",
        institution,
        user
    )
    .execute(&mut *conn)
    .await?;
    let done = sqlx::query!(
        "delete from user_totp where institution_id = $1 and user_id = $2",
        institution,
        user
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the person's recovery codes with these hashes.
pub async fn set_recovery_codes(
    conn: &mut PgConnection,
    institution: Uuid,
    user: Uuid,
    hashes: &[[u8; 32]],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "delete from user_recovery_codes where institution_id = $1 and user_id = $2",
        institution,
        user
    )
    .execute(&mut *conn)
    .await?;
    let hashes: Vec<Vec<u8>> = hashes.iter().map(|h| h.to_vec()).collect();
    sqlx::query!(
        "insert into user_recovery_codes (institution_id, user_id, code_hash)
         select $1, $2, h from unnest($3::bytea[]) h",
        institution,
        user,
        &hashes
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Uses one recovery code, once. Whether it was one of the person's unused codes.
pub async fn use_recovery_code(
    conn: &mut PgConnection,
    institution: Uuid,
    user: Uuid,
    hash: &[u8; 32],
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "update user_recovery_codes set used_at = now()
         where institution_id = $1 and user_id = $2 and code_hash = $3 and used_at is null",
        institution,
        user,
        hash.as_slice()
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What a sign-in waiting for its second step asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeKind {
    /// A code from the person's factor.
    Verify,
    /// The institution requires a factor the person has not set up: set it up first.
    Enrol,
}

impl ChallengeKind {
    fn as_str(self) -> &'static str {
        match self {
            ChallengeKind::Verify => "verify",
            ChallengeKind::Enrol => "enrol",
        }
    }
}

/// A sign-in waiting for its second step, with what the page needs.
#[derive(Debug, Clone)]
pub struct Challenge {
    pub institution_id: Uuid,
    pub institution_code: String,
    pub user_id: Uuid,
    pub login_id: String,
    pub kind: ChallengeKind,
    /// How the first step proved who this is: `password`, `directory`, `oidc`.
    pub method: String,
    /// Where to go once signed in.
    pub next: String,
    pub sign_out_url: Option<String>,
}

/// A sign-in waiting for its second step, about to be stored.
pub struct NewChallenge<'a> {
    /// Found by this hash of the token in the browser's cookie.
    pub token_hash: &'a [u8],
    pub institution: Uuid,
    pub user: Uuid,
    pub kind: ChallengeKind,
    pub method: &'a str,
    pub next: &'a str,
    pub expires_at: OffsetDateTime,
    /// Kept for the session (see `session::NewSession`).
    pub sign_out_url: Option<&'a str>,
}

pub async fn challenge(conn: &mut PgConnection, c: &NewChallenge<'_>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into second_factor_challenges
             (token_hash, institution_id, user_id, kind, method, next, expires_at, sign_out_url)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
        c.token_hash,
        c.institution,
        c.user,
        c.kind.as_str(),
        c.method,
        c.next,
        c.expires_at,
        c.sign_out_url
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The live challenge of a token hash (not expired, the account still active).
pub async fn find_challenge(
    conn: &mut PgConnection,
    token_hash: &[u8],
) -> Result<Option<Challenge>, sqlx::Error> {
    let row = sqlx::query!(
        r#"select c.institution_id, i.code as institution_code, c.user_id, u.login_id, c.kind,
                  c.method, c.next, c.sign_out_url
           from second_factor_challenges c
           join users u on u.institution_id = c.institution_id and u.id = c.user_id
           join institutions i on i.id = c.institution_id
           where c.token_hash = $1 and c.expires_at > now() and u.active"#,
        token_hash
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| Challenge {
        institution_id: r.institution_id,
        institution_code: r.institution_code,
        user_id: r.user_id,
        login_id: r.login_id,
        kind: if r.kind == "enrol" {
            ChallengeKind::Enrol
        } else {
            ChallengeKind::Verify
        },
        method: r.method,
        next: r.next,
        sign_out_url: r.sign_out_url,
    }))
}

/// Ends a challenge, once: whether it was still there (two answers racing open one session).
pub async fn end_challenge(
    conn: &mut PgConnection,
    token_hash: &[u8],
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "delete from second_factor_challenges where token_hash = $1",
        token_hash
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes challenges that have ended.
pub async fn purge_expired(conn: &mut PgConnection) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query!("delete from second_factor_challenges where expires_at <= now()")
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// The institution's rule: whether people who see others' records must use a second factor,
/// and whether the OpenID Connect provider's word (`amr`) that it asked for one counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Policy {
    pub required: bool,
    pub trust_amr: bool,
}

impl Policy {
    /// The rule as the audit log and the command line say it.
    pub fn describe(&self) -> String {
        format!(
            "required for those who see others' records: {}; provider's amr counts: {}",
            if self.required { "yes" } else { "no" },
            if self.trust_amr { "yes" } else { "no" }
        )
    }
}

pub async fn policy(conn: &mut PgConnection, institution: Uuid) -> Result<Policy, sqlx::Error> {
    let r = sqlx::query!(
        "select second_factor_required, second_factor_trust_amr from institutions where id = $1",
        institution
    )
    .fetch_one(conn)
    .await?;
    Ok(Policy {
        required: r.second_factor_required,
        trust_amr: r.second_factor_trust_amr,
    })
}

pub async fn set_policy(
    conn: &mut PgConnection,
    institution: Uuid,
    policy: Policy,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update institutions set second_factor_required = $2, second_factor_trust_amr = $3
         where id = $1",
        institution,
        policy.required,
        policy.trust_amr
    )
    .execute(conn)
    .await?;
    Ok(())
}
