//! An institution's OpenID Connect provider (`institution_oidc_providers`), the client secret
//! sealed ([`kenshu_core::seal`]), and the sign-ins sent to the provider and not yet back
//! (`oidc_sign_ins`), each usable once.

use kenshu_core::audit::AuditKey;
use kenshu_core::seal::{self, OIDC_CLIENT_SECRET, OIDC_PKCE_VERIFIER};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

/// The settings as stored (the client secret sealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredProvider {
    pub issuer: String,
    pub client_id: String,
    pub client_secret_sealed: Vec<u8>,
    pub claim: String,
    pub ca_pem: Option<String>,
    pub timeout_secs: i32,
}

/// The client secret sealed for `institution` under the portal's key.
pub fn seal_secret(key: &AuditKey, institution: Uuid, secret: &str) -> Vec<u8> {
    seal::seal(
        key,
        OIDC_CLIENT_SECRET,
        institution.as_bytes(),
        rand::random::<[u8; 24]>(),
        secret.as_bytes(),
    )
}

/// The client secret, or `None` when it was sealed under another key (the portal's key
/// changed) or for another institution.
pub fn open_secret(key: &AuditKey, institution: Uuid, sealed: &[u8]) -> Option<String> {
    let bytes = seal::open(key, OIDC_CLIENT_SECRET, institution.as_bytes(), sealed)?;
    String::from_utf8(bytes).ok()
}

/// Sets (or replaces) the institution's provider.
pub async fn set(
    conn: &mut PgConnection,
    institution: Uuid,
    p: &StoredProvider,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into institution_oidc_providers (institution_id, issuer, client_id,
             client_secret_sealed, claim, ca_pem, timeout_secs)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (institution_id) do update set issuer = excluded.issuer,
             client_id = excluded.client_id, client_secret_sealed = excluded.client_secret_sealed,
             claim = excluded.claim, ca_pem = excluded.ca_pem,
             timeout_secs = excluded.timeout_secs, updated_at = now()",
        institution,
        p.issuer,
        p.client_id,
        p.client_secret_sealed,
        p.claim,
        p.ca_pem,
        p.timeout_secs
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The institution's provider, if it has one.
pub async fn get(
    conn: &mut PgConnection,
    institution: Uuid,
) -> Result<Option<StoredProvider>, sqlx::Error> {
    sqlx::query_as!(
        StoredProvider,
        "select issuer, client_id, client_secret_sealed, claim, ca_pem, timeout_secs
         from institution_oidc_providers where institution_id = $1",
        institution
    )
    .fetch_optional(conn)
    .await
}

/// Removes the institution's provider (and its sign-ins under way); whether it had one.
pub async fn remove(conn: &mut PgConnection, institution: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query!(
        "delete from oidc_sign_ins where institution_id = $1",
        institution
    )
    .execute(&mut *conn)
    .await?;
    let done = sqlx::query!(
        "delete from institution_oidc_providers where institution_id = $1",
        institution
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What a pending sign-in is found by: the SHA-256 of its `state`. The state itself only
/// travels through the browser; a copy of the table gives nothing to answer with.
pub fn state_hash(state: &str) -> [u8; 32] {
    Sha256::digest(state.as_bytes()).into()
}

/// A sign-in sent to the provider, as [`take`] gives it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub institution: Uuid,
    pub nonce: String,
    pub pkce_verifier: String,
    /// Where to go once signed in.
    pub next: String,
}

/// Keeps a sign-in sent to the provider until it comes back (at most `ttl`).
#[allow(clippy::too_many_arguments)]
pub async fn begin(
    conn: &mut PgConnection,
    key: &AuditKey,
    state_hash: &[u8; 32],
    institution: Uuid,
    nonce: &str,
    pkce_verifier: &str,
    next: &str,
    ttl: std::time::Duration,
) -> Result<(), sqlx::Error> {
    let sealed = seal::seal(
        key,
        OIDC_PKCE_VERIFIER,
        state_hash,
        rand::random::<[u8; 24]>(),
        pkce_verifier.as_bytes(),
    );
    sqlx::query!(
        "insert into oidc_sign_ins (state_hash, institution_id, nonce, pkce_verifier_sealed,
             next, expires_at)
         values ($1, $2, $3, $4, $5, now() + $6::float8 * interval '1 second')",
        &state_hash[..],
        institution,
        nonce,
        sealed,
        next,
        ttl.as_secs_f64()
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The sign-in with this state, removed so that it cannot be used again; `None` when there is
/// none (never begun, used already, or expired) or its verifier does not open under this key.
pub async fn take(
    conn: &mut PgConnection,
    key: &AuditKey,
    state_hash: &[u8; 32],
) -> Result<Option<Pending>, sqlx::Error> {
    let row = sqlx::query!(
        "delete from oidc_sign_ins where state_hash = $1
         returning institution_id, nonce, pkce_verifier_sealed, next, expires_at > now() as fresh",
        &state_hash[..]
    )
    .fetch_optional(conn)
    .await?;
    let Some(row) = row.filter(|r| r.fresh == Some(true)) else {
        return Ok(None);
    };
    let verifier = seal::open(
        key,
        OIDC_PKCE_VERIFIER,
        state_hash,
        &row.pkce_verifier_sealed,
    )
    .and_then(|b| String::from_utf8(b).ok());
    Ok(verifier.map(|pkce_verifier| Pending {
        institution: row.institution_id,
        nonce: row.nonce,
        pkce_verifier,
        next: row.next,
    }))
}

/// Removes the sign-ins that were never finished; how many.
pub async fn purge_expired(conn: &mut PgConnection) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!("delete from oidc_sign_ins where expires_at <= now()")
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}
