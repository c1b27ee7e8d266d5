//! The people in a session: listed, nominated or signed up within the capacity, taken out,
//! and their attendance recorded.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

/// A person in a session.
#[derive(Debug, Clone)]
pub struct Participant {
    pub user_id: Uuid,
    pub login_id: String,
    pub name: String,
    pub division_name: String,
    pub nominated: bool,
    pub attended_at: Option<OffsetDateTime>,
    pub attendance_via: Option<String>,
}

pub async fn participants(
    conn: &mut PgConnection,
    institution_id: Uuid,
    session_id: Uuid,
) -> Result<Vec<Participant>, sqlx::Error> {
    sqlx::query_as!(
        Participant,
        r#"select u.id as user_id, u.login_id, u.name, d.name as division_name,
                  p.nominated_by is not null as "nominated!", p.attended_at, p.attendance_via
           from in_person_participants p
           join users u on u.institution_id = p.institution_id and u.id = p.user_id
           join divisions d on d.institution_id = u.institution_id and d.id = u.division_id
           where p.institution_id = $1 and p.session_id = $2
           order by u.login_id"#,
        institution_id,
        session_id
    )
    .fetch_all(conn)
    .await
}

/// Active people of a division who are not yet in the session: whom an officer may nominate.
pub async fn candidates(
    conn: &mut PgConnection,
    institution_id: Uuid,
    session_id: Uuid,
    division_id: Uuid,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    Ok(sqlx::query!(
        "select u.login_id, u.name from users u
         where u.institution_id = $1 and u.division_id = $3 and u.active and u.status <> 'left'
           and not exists (select 1 from in_person_participants p
                           where p.institution_id = $1 and p.session_id = $2 and p.user_id = u.id)
         order by u.login_id",
        institution_id,
        session_id,
        division_id
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.login_id, r.name))
    .collect())
}

/// What adding a person to a session did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    Added,
    AlreadyIn,
    Full,
    /// The session is cancelled (or does not exist).
    Closed,
}

/// Adds a person to a session within its capacity. The session row is locked, so two people
/// taking the last seat at once cannot both get it.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, session = %session_id, user = %user_id))]
pub async fn add(
    conn: &mut PgConnection,
    institution_id: Uuid,
    session_id: Uuid,
    user_id: Uuid,
    nominated_by: Option<Uuid>,
) -> Result<Added, sqlx::Error> {
    let Some(s) = sqlx::query!(
        r#"select s.capacity, s.cancelled,
                  (select count(*) from in_person_participants p where p.institution_id = s.institution_id and p.session_id = s.id) as "taken!",
                  exists(select 1 from in_person_participants p where p.institution_id = s.institution_id and p.session_id = s.id
                         and p.user_id = $3) as "in!"
           from in_person_sessions s where s.institution_id = $1 and s.id = $2 for update"#,
        institution_id,
        session_id,
        user_id
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(Added::Closed);
    };
    if s.cancelled {
        return Ok(Added::Closed);
    }
    if s.r#in {
        return Ok(Added::AlreadyIn);
    }
    if s.taken >= i64::from(s.capacity) {
        return Ok(Added::Full);
    }
    sqlx::query!(
        "insert into in_person_participants (institution_id, session_id, user_id, nominated_by)
         values ($1, $2, $3, $4)",
        institution_id,
        session_id,
        user_id,
        nominated_by
    )
    .execute(conn)
    .await?;
    Ok(Added::Added)
}

/// Takes a person out of a session, unless their attendance is recorded or was corrected (the
/// correction's history needs them in it). Returns whether they were taken out.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, session = %session_id, user = %user_id))]
pub async fn remove(
    conn: &mut PgConnection,
    institution_id: Uuid,
    session_id: Uuid,
    user_id: Uuid,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query!(
        "delete from in_person_participants
         where institution_id = $1 and session_id = $2 and user_id = $3 and attended_at is null
           and not exists (select 1 from in_person_corrections c
                           where c.institution_id = $1 and c.session_id = $2 and c.user_id = $3)",
        institution_id,
        session_id,
        user_id
    )
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Records a participant's attendance; `via` is `checklist` or `qr`. Returns whether it was
/// recorded now (false: not a participant, or recorded before — the first record stays).
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, session = %session_id, user = %user_id, via))]
pub async fn record_attendance(
    conn: &mut PgConnection,
    institution_id: Uuid,
    session_id: Uuid,
    user_id: Uuid,
    recorded_by: Uuid,
    via: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query!(
        "update in_person_participants
         set attended_at = now(), attendance_recorded_by = $4, attendance_via = $5
         where institution_id = $1 and session_id = $2 and user_id = $3 and attended_at is null",
        institution_id,
        session_id,
        user_id,
        recorded_by,
        via
    )
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}
