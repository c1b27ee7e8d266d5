//! An institution's directory settings (`institution_directories`), the look-up password
//! sealed ([`kenshu_core::seal`]).

use kenshu_core::audit::AuditKey;
use kenshu_core::seal::{self, DIRECTORY_PASSWORD};
use sqlx::PgConnection;
use uuid::Uuid;

/// The settings as stored (the password sealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDirectory {
    pub url: String,
    pub ca_pem: Option<String>,
    pub bind_dn: String,
    pub bind_password_sealed: Vec<u8>,
    pub base_dn: String,
    pub login_attribute: String,
    pub employee_attribute: String,
    pub filter: Option<String>,
    pub group_dn: Option<String>,
    pub timeout_secs: i32,
}

/// The look-up password sealed for `institution` under the portal's key.
pub fn seal_password(key: &AuditKey, institution: Uuid, password: &str) -> Vec<u8> {
    seal::seal(
        key,
        DIRECTORY_PASSWORD,
        institution.as_bytes(),
        rand::random::<[u8; 24]>(),
        password.as_bytes(),
    )
}

/// The look-up password, or `None` when it was sealed under another key (the portal's key
/// changed) or for another institution.
pub fn open_password(key: &AuditKey, institution: Uuid, sealed: &[u8]) -> Option<String> {
    let bytes = seal::open(key, DIRECTORY_PASSWORD, institution.as_bytes(), sealed)?;
    String::from_utf8(bytes).ok()
}

/// Sets (or replaces) the institution's directory.
pub async fn set(
    conn: &mut PgConnection,
    institution: Uuid,
    d: &StoredDirectory,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into institution_directories (institution_id, url, ca_pem, bind_dn,
             bind_password_sealed, base_dn, login_attribute, employee_attribute, filter, group_dn,
             timeout_secs)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         on conflict (institution_id) do update set url = excluded.url, ca_pem = excluded.ca_pem,
             bind_dn = excluded.bind_dn, bind_password_sealed = excluded.bind_password_sealed,
             base_dn = excluded.base_dn, login_attribute = excluded.login_attribute,
             employee_attribute = excluded.employee_attribute, filter = excluded.filter,
             group_dn = excluded.group_dn, timeout_secs = excluded.timeout_secs,
             updated_at = now()",
        institution,
        d.url,
        d.ca_pem,
        d.bind_dn,
        d.bind_password_sealed,
        d.base_dn,
        d.login_attribute,
        d.employee_attribute,
        d.filter,
        d.group_dn,
        d.timeout_secs
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The institution's directory, if it has one.
pub async fn get(
    conn: &mut PgConnection,
    institution: Uuid,
) -> Result<Option<StoredDirectory>, sqlx::Error> {
    sqlx::query_as!(
        StoredDirectory,
        "select url, ca_pem, bind_dn, bind_password_sealed, base_dn, login_attribute,
                employee_attribute, filter, group_dn, timeout_secs
         from institution_directories where institution_id = $1",
        institution
    )
    .fetch_optional(conn)
    .await
}

/// Removes the institution's directory; whether it had one.
pub async fn remove(conn: &mut PgConnection, institution: Uuid) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "delete from institution_directories where institution_id = $1",
        institution
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
