//! Accounts.

use kenshu_core::people::Role;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub institution_id: Uuid,
    pub login_id: &'a str,
    pub email: Option<&'a str>,
    pub name: &'a str,
    pub division_id: Uuid,
    pub role: Role,
    pub password_hash: &'a str,
    pub must_change_password: bool,
}

/// The constraint a duplicate login ID violates.
pub const LOGIN_TAKEN: &str = "users_institution_id_login_id_key";
/// The constraint a duplicate e-mail address violates.
pub const EMAIL_TAKEN: &str = "users_email_key";

/// Creates an account placed in its division from today (Japan time).
pub async fn create(conn: &mut PgConnection, u: &NewUser<'_>) -> Result<Uuid, sqlx::Error> {
    let id = sqlx::query_scalar!(
        "insert into users (institution_id, login_id, email, name, division_id, role, password_hash, must_change_password)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning id",
        u.institution_id,
        u.login_id,
        u.email,
        u.name,
        u.division_id,
        u.role.as_str(),
        u.password_hash,
        u.must_change_password
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query!(
        "insert into placements (institution_id, user_id, valid_from, division_id)
         values ($1, $2, (now() at time zone 'Asia/Tokyo')::date, $3)",
        u.institution_id,
        id,
        u.division_id
    )
    .execute(conn)
    .await?;
    Ok(id)
}

/// What sign-in needs to know about an account.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub id: Uuid,
    /// None until the person has set a password (accounts imported from the roster).
    pub password_hash: Option<String>,
    pub active: bool,
}

/// Finds an account by login ID, or by e-mail address (case-insensitive).
pub async fn credentials(
    conn: &mut PgConnection,
    institution_id: Uuid,
    login_or_email: &str,
) -> Result<Option<Credentials>, sqlx::Error> {
    sqlx::query_as!(
        Credentials,
        "select id, password_hash, active from users
         where institution_id = $1 and (login_id = $2 or lower(email) = lower($2))
         order by (login_id = $2) desc limit 1",
        institution_id,
        login_or_email
    )
    .fetch_optional(conn)
    .await
}

pub async fn password_hash(
    conn: &mut PgConnection,
    institution_id: Uuid,
    user_id: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "select password_hash from users where institution_id = $1 and id = $2",
        institution_id,
        user_id
    )
    .fetch_one(conn)
    .await
}

/// Sets a new password chosen by the person themselves, which lifts the must-change flag.
pub async fn set_password(
    conn: &mut PgConnection,
    institution_id: Uuid,
    user_id: Uuid,
    password_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update users set password_hash = $3, must_change_password = false where institution_id = $1 and id = $2",
        institution_id,
        user_id,
        password_hash
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn count(conn: &mut PgConnection, institution_id: Uuid) -> Result<i64, sqlx::Error> {
    Ok(sqlx::query_scalar!(
        "select count(*) from users where institution_id = $1",
        institution_id
    )
    .fetch_one(conn)
    .await?
    .unwrap_or(0))
}

/// Recent failed sign-ins for a login as typed, for the lock-out.
pub async fn recent_failures(
    conn: &mut PgConnection,
    institution_id: Uuid,
    login_key: &str,
    window_minutes: i32,
) -> Result<i64, sqlx::Error> {
    Ok(sqlx::query_scalar!(
        "select count(*) from sign_in_failures
         where institution_id = $1 and login_key = $2 and failed_at > now() - make_interval(mins => $3)",
        institution_id,
        login_key,
        window_minutes
    )
    .fetch_one(conn)
    .await?
    .unwrap_or(0))
}

pub async fn record_failure(
    conn: &mut PgConnection,
    institution_id: Uuid,
    login_key: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into sign_in_failures (institution_id, login_key) values ($1, $2)",
        institution_id,
        login_key
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn clear_failures(
    conn: &mut PgConnection,
    institution_id: Uuid,
    login_key: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "delete from sign_in_failures where institution_id = $1 and login_key = $2",
        institution_id,
        login_key
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets failed sign-ins older than a day: the lock-out looks back 15 minutes only.
pub async fn purge_old_failures(conn: &mut PgConnection) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query!("delete from sign_in_failures where failed_at < now() - interval '1 day'")
            .execute(conn)
            .await?
            .rows_affected(),
    )
}
