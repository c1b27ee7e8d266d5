//! Sessions, stored in PostgreSQL by the SHA-256 of their token.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

/// The signed-in person behind a session, with what every page needs, read in one query.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub institution_id: Uuid,
    pub institution_code: String,
    pub institution_name: String,
    pub user_id: Uuid,
    pub login_id: String,
    pub name: String,
    pub role: String,
    pub division_id: Uuid,
    pub division_name: String,
    pub must_change_password: bool,
    pub csrf_token: String,
    /// Divisions besides their own for which they hold a protection-officer designation today.
    pub officer_divisions: Vec<Uuid>,
    /// The language they chose (`users.language`: `ja`, `en`), if they chose one.
    pub language: Option<String>,
    /// Milliseconds since the database last saw the session in use (`seen_at`) and until it
    /// ends (`expires_at`), by the database's clock: how long an instance may serve it from
    /// memory (`kenshu_web::session_cache`).
    pub seen_ago_ms: i64,
    pub expires_in_ms: i64,
}

impl SessionUser {
    /// The language the person chose, if any.
    pub fn language(&self) -> Option<kenshu_core::i18n::Lang> {
        self.language
            .as_deref()
            .and_then(kenshu_core::i18n::Lang::from_code)
    }

    /// The database last saw the session in use more than a minute ago: [`touch`] it.
    pub fn stale(&self) -> bool {
        self.seen_ago_ms > 60_000
    }

    /// How long, from now, the database's word on this session holds: a minute after it was
    /// last seen in use (`seen_at` moves on at most once a minute, see [`touch`]), not past its
    /// end. `touched`: [`touch`] just moved `seen_at` to now.
    pub fn fresh_for(&self, touched: bool) -> std::time::Duration {
        let seen = if touched { 0 } else { self.seen_ago_ms.max(0) };
        let ms = (60_000 - seen).min(self.expires_in_ms).max(0);
        std::time::Duration::from_millis(u64::try_from(ms).unwrap_or(0))
    }
}

/// A session about to begin.
pub struct NewSession<'a> {
    pub token_hash: &'a [u8],
    pub institution_id: Uuid,
    pub user_id: Uuid,
    pub csrf_token: &'a str,
    pub expires_at: OffsetDateTime,
    /// Where signing out sends the browser to end the provider's session too (sessions begun
    /// through an OpenID Connect provider with an end-session endpoint).
    pub sign_out_url: Option<&'a str>,
}

#[tracing::instrument(level = "debug", skip_all, fields(institution = %s.institution_id, user = %s.user_id))]
pub async fn create(conn: &mut PgConnection, s: &NewSession<'_>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into sessions (token_hash, institution_id, user_id, csrf_token, expires_at, sign_out_url)
         values ($1, $2, $3, $4, $5, $6)",
        s.token_hash,
        s.institution_id,
        s.user_id,
        s.csrf_token,
        s.expires_at,
        s.sign_out_url
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The live session for a token hash; expired sessions, sessions idle for longer than
/// `idle_minutes` and deactivated accounts give none.
pub async fn load(
    conn: &mut PgConnection,
    token_hash: &[u8],
    idle_minutes: i32,
) -> Result<Option<SessionUser>, sqlx::Error> {
    sqlx::query_as!(
        SessionUser,
        r#"select s.institution_id, i.code as institution_code, i.name as institution_name,
                u.id as user_id, u.login_id, u.name, u.role, u.division_id, d.name as division_name,
                u.must_change_password, s.csrf_token,
                -- Only a protection officer's designations widen their reach: nobody else's
                -- request looks them up.
                case when u.role = 'protection_officer' then
                  array(select g.division_id from designations g
                        where g.institution_id = u.institution_id and g.user_id = u.id
                          and g.kind = 'protection_officer' and g.division_id is not null
                          and g.valid_from <= (now() at time zone 'Asia/Tokyo')::date
                          and (g.valid_to is null or g.valid_to >= (now() at time zone 'Asia/Tokyo')::date))
                else '{}' end as "officer_divisions!",
                u.language,
                (extract(epoch from now() - s.seen_at) * 1000)::bigint as "seen_ago_ms!",
                (extract(epoch from s.expires_at - now()) * 1000)::bigint as "expires_in_ms!"
         from sessions s
         join users u on u.institution_id = s.institution_id and u.id = s.user_id
         join institutions i on i.id = s.institution_id
         join divisions d on d.institution_id = u.institution_id and d.id = u.division_id
         where s.token_hash = $1 and s.expires_at > now() and u.active
           and s.seen_at > now() - make_interval(mins => $2)"#,
        token_hash,
        idle_minutes
    )
    .fetch_optional(conn)
    .await
}

/// Marks a session as used now, for the idle timeout (at most once a minute: see `stale`).
pub async fn touch(conn: &mut PgConnection, token_hash: &[u8]) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update sessions set seen_at = now() where token_hash = $1",
        token_hash
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends every session of a person, as when a password is set through a one-time link.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, user = %user_id))]
pub async fn delete_all(
    conn: &mut PgConnection,
    institution_id: Uuid,
    user_id: Uuid,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!(
        "delete from sessions where institution_id = $1 and user_id = $2",
        institution_id,
        user_id
    )
    .execute(conn)
    .await?
    .rows_affected())
}

/// Ends a session: where to send the browser to sign out at the provider too, if anywhere.
pub async fn delete(
    conn: &mut PgConnection,
    token_hash: &[u8],
) -> Result<Option<String>, sqlx::Error> {
    Ok(sqlx::query_scalar!(
        "delete from sessions where token_hash = $1 returning sign_out_url",
        token_hash
    )
    .fetch_optional(conn)
    .await?
    .flatten())
}

/// Ends every other session of a person, as after a password change.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, user = %user_id))]
pub async fn delete_others(
    conn: &mut PgConnection,
    institution_id: Uuid,
    user_id: Uuid,
    keep: &[u8],
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!(
        "delete from sessions where institution_id = $1 and user_id = $2 and token_hash <> $3",
        institution_id,
        user_id,
        keep
    )
    .execute(conn)
    .await?
    .rows_affected())
}

/// Removes sessions that have ended, by their end or by being idle for `idle_minutes`.
#[tracing::instrument(level = "debug", skip_all, fields(idle_minutes))]
pub async fn purge_expired(conn: &mut PgConnection, idle_minutes: i32) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!(
        "delete from sessions where expires_at <= now() or seen_at <= now() - make_interval(mins => $1)",
        idle_minutes
    )
    .execute(conn)
    .await?
    .rows_affected())
}
