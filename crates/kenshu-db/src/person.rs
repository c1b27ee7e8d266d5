//! Accounts.

use std::collections::HashMap;

use kenshu_core::person::{LoginId, Role};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub institution_id: Uuid,
    pub login_id: &'a LoginId,
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
#[tracing::instrument(level = "debug", skip_all, fields(institution = %u.institution_id))]
pub async fn create(conn: &mut PgConnection, u: &NewUser<'_>) -> Result<Uuid, sqlx::Error> {
    let id = sqlx::query_scalar!(
        "insert into users (institution_id, login_id, email, name, division_id, role, password_hash, must_change_password)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning id",
        u.institution_id,
        u.login_id.as_str(),
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
    /// A portal administrator: signs in with a portal password even where the institution uses
    /// only its directory (to reach the portal while the directory is down).
    pub portal_admin: bool,
    /// `users.role`: who sees others' records may be required to use a second factor.
    pub role: String,
    /// Has a confirmed second factor (`user_totp`): the sign-in asks for a code.
    pub second_factor: bool,
}

/// Finds an account by login ID, or by e-mail address (case-insensitive).
pub async fn credentials(
    conn: &mut PgConnection,
    institution_id: Uuid,
    login_or_email: &str,
) -> Result<Option<Credentials>, sqlx::Error> {
    sqlx::query_as!(
        Credentials,
        r#"select id, password_hash, active, (role = 'portal_admin') as "portal_admin!", role,
                exists (select from user_totp t where t.institution_id = users.institution_id
                        and t.user_id = users.id and t.confirmed_at is not null) as "second_factor!"
         from users
         where institution_id = $1 and (login_id = $2 or lower(email) = lower($2))
         order by (login_id = $2) desc limit 1"#,
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
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, user = %user_id))]
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

/// Stores the language a person chose, or forgets it (`None`: their browser decides).
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, user = %user_id))]
pub async fn set_language(
    conn: &mut PgConnection,
    institution_id: Uuid,
    user_id: Uuid,
    language: Option<kenshu_core::i18n::Lang>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update users set language = $3 where institution_id = $1 and id = $2 and language is distinct from $3",
        institution_id,
        user_id,
        language.map(|l| l.code())
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

/// Forgets failed sign-ins older than a day (the table of the lock-out that migration 0040
/// replaced by the throttle; kept so that old rows go).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn purge_old_failures(conn: &mut PgConnection) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query!("delete from sign_in_failures where failed_at < now() - interval '1 day'")
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// Issues one-time sign-in links for the given login IDs: returns (login ID, name, e-mail,
/// raw token) for each; only the hash of the token is stored. Earlier unused links of the same
/// people stop working.
pub async fn issue_links(
    conn: &mut PgConnection,
    institution_id: Uuid,
    logins: &[String],
    valid_days: i32,
    token: impl Fn() -> (String, Vec<u8>),
) -> Result<Vec<(String, String, Option<String>, String)>, sqlx::Error> {
    let people = sqlx::query!(
        "select id, login_id, name, email from users where institution_id = $1 and login_id = any($2) and active order by login_id",
        institution_id,
        logins
    )
    .fetch_all(&mut *conn)
    .await?;
    let ids: Vec<Uuid> = people.iter().map(|p| p.id).collect();
    sqlx::query!(
        "update sign_in_links set expires_at = now() where institution_id = $1 and user_id = any($2) and used_at is null and expires_at > now()",
        institution_id,
        &ids
    )
    .execute(&mut *conn)
    .await?;
    let mut hashes = Vec::with_capacity(people.len());
    let mut out = Vec::with_capacity(people.len());
    for p in people {
        let (raw, hash) = token();
        hashes.push(hash);
        out.push((p.login_id, p.name, p.email, raw));
    }
    sqlx::query!(
        "insert into sign_in_links (token_hash, institution_id, user_id, expires_at)
         select h, $1, u, now() + make_interval(days => $4) from unnest($2::bytea[], $3::uuid[]) as t(h, u)",
        institution_id,
        &hashes,
        &ids,
        valid_days
    )
    .execute(conn)
    .await?;
    Ok(out)
}

/// The person a live link belongs to: (institution, user, login ID, name).
pub async fn link_owner(
    conn: &mut PgConnection,
    token_hash: &[u8],
) -> Result<Option<(Uuid, Uuid, String, String)>, sqlx::Error> {
    Ok(sqlx::query!(
        "select l.institution_id, l.user_id, u.login_id, u.name from sign_in_links l
         join users u on u.institution_id = l.institution_id and u.id = l.user_id
         where l.token_hash = $1 and l.used_at is null and l.expires_at > now() and u.active",
        token_hash
    )
    .fetch_optional(conn)
    .await?
    .map(|r| (r.institution_id, r.user_id, r.login_id, r.name)))
}

/// Uses up a link; false when it was used or expired meanwhile (a second click).
pub async fn use_link(conn: &mut PgConnection, token_hash: &[u8]) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query!(
        "update sign_in_links set used_at = now() where token_hash = $1 and used_at is null and expires_at > now()",
        token_hash
    )
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// An account found by login ID, with its current division.
pub async fn by_login(
    conn: &mut PgConnection,
    institution_id: Uuid,
    login_id: &str,
) -> Result<Option<(Uuid, Uuid, String)>, sqlx::Error> {
    Ok(sqlx::query!(
        "select id, division_id, name from users where institution_id = $1 and login_id = $2",
        institution_id,
        login_id
    )
    .fetch_optional(conn)
    .await?
    .map(|r| (r.id, r.division_id, r.name)))
}

/// People by login ID, in one query: login → (id, division).
pub async fn by_logins(
    conn: &mut PgConnection,
    institution_id: Uuid,
    logins: &[String],
) -> Result<HashMap<String, (Uuid, Uuid)>, sqlx::Error> {
    Ok(sqlx::query!(
        "select login_id, id, division_id from users where institution_id = $1 and login_id = any($2)",
        institution_id,
        logins
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.login_id, (r.id, r.division_id)))
    .collect())
}

/// Sets where a person arrived from (hire date and first placement), for people created
/// with a history, such as the demo's.
pub async fn set_arrival(
    conn: &mut PgConnection,
    institution_id: Uuid,
    user_id: Uuid,
    on: time::Date,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update users set hired_on = $3 where institution_id = $1 and id = $2",
        institution_id,
        user_id,
        on
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "update placements set valid_from = $3 where institution_id = $1 and user_id = $2 and valid_to is null",
        institution_id,
        user_id,
        on
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Dates everyone's hire and first placement back to `on` (for seeded institutions).
pub async fn backdate_all(
    conn: &mut PgConnection,
    institution_id: Uuid,
    on: time::Date,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update users set hired_on = $2 where institution_id = $1",
        institution_id,
        on
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "update placements set valid_from = $2 where institution_id = $1",
        institution_id,
        on
    )
    .execute(conn)
    .await?;
    Ok(())
}
