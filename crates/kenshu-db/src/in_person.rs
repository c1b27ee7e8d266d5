//! In-person sessions (集合研修): sessions, the people in them, their attendance, and the
//! installation secret that signs the check-in QR codes.

pub mod corrections;

use kenshu_core::FiscalYear;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

/// A session as listed, with how many have signed up and attended.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: Uuid,
    pub course_code: String,
    pub course_title: String,
    pub fiscal_year: i32,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub place: String,
    pub capacity: i32,
    pub division_id: Option<Uuid>,
    pub division_name: Option<String>,
    pub cancelled: bool,
    pub signed_up: i64,
    pub attended: i64,
    /// Whether the approved plan of the year asks for the course's test on top of attendance.
    pub test_required: bool,
}

#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub institution_id: Uuid,
    pub course_code: &'a str,
    pub fiscal_year: FiscalYear,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub place: &'a str,
    pub capacity: i32,
    pub division_id: Option<Uuid>,
    pub created_by: Uuid,
}

pub async fn create(conn: &mut PgConnection, s: &NewSession<'_>) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar!(
        "insert into in_person_sessions (institution_id, course_code, fiscal_year, starts_at, ends_at, place, capacity, division_id, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id",
        s.institution_id,
        s.course_code,
        s.fiscal_year.0,
        s.starts_at,
        s.ends_at,
        s.place,
        s.capacity,
        s.division_id,
        s.created_by
    )
    .fetch_one(conn)
    .await
}

/// Sessions of the institution, newest first: all of them (`divisions` None), or only those
/// for the given divisions (institution-wide sessions are left out).
pub async fn list(
    conn: &mut PgConnection,
    institution_id: Uuid,
    divisions: Option<&[Uuid]>,
) -> Result<Vec<Session>, sqlx::Error> {
    sessions(conn, institution_id, None, divisions).await
}

/// One session of the institution.
pub async fn get(
    conn: &mut PgConnection,
    institution_id: Uuid,
    id: Uuid,
) -> Result<Option<Session>, sqlx::Error> {
    Ok(sessions(conn, institution_id, Some(id), None)
        .await?
        .into_iter()
        .next())
}

/// The one query behind `list` and `get`.
async fn sessions(
    conn: &mut PgConnection,
    institution_id: Uuid,
    id: Option<Uuid>,
    divisions: Option<&[Uuid]>,
) -> Result<Vec<Session>, sqlx::Error> {
    let all = divisions.is_none();
    let divisions = divisions.unwrap_or_default();
    sqlx::query_as!(
        Session,
        r#"select s.id, s.course_code, c.title as course_title, s.fiscal_year, s.starts_at, s.ends_at, s.place,
                  s.capacity, s.division_id, d.name as "division_name?", s.cancelled,
                  (select count(*) from in_person_participants p where p.institution_id = s.institution_id and p.session_id = s.id) as "signed_up!",
                  (select count(*) from in_person_participants p where p.institution_id = s.institution_id and p.session_id = s.id
                      and p.attended_at is not null) as "attended!",
                  coalesce((select pc.in_person_test_required from plan_courses pc
                            join training_plans tp on tp.institution_id = pc.institution_id and tp.id = pc.plan_id
                            where pc.institution_id = s.institution_id and tp.fiscal_year = s.fiscal_year
                              and tp.status = 'approved' and pc.course_code = s.course_code), false) as "test_required!"
           from in_person_sessions s
           join courses c on c.code = s.course_code
           left join divisions d on d.institution_id = s.institution_id and d.id = s.division_id
           where s.institution_id = $1 and ($2::uuid is null or s.id = $2)
             and ($3 or s.division_id = any($4))
           order by s.starts_at desc, s.id"#,
        institution_id,
        id,
        all,
        divisions
    )
    .fetch_all(conn)
    .await
}

pub async fn cancel(
    conn: &mut PgConnection,
    institution_id: Uuid,
    id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update in_person_sessions set cancelled = true where institution_id = $1 and id = $2",
        institution_id,
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

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

/// Sets whether a course of a draft plan asks for the test on top of attendance.
pub async fn set_test_required(
    conn: &mut PgConnection,
    institution_id: Uuid,
    plan_id: Uuid,
    course_code: &str,
    required: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update plan_courses set in_person_test_required = $4
         where institution_id = $1 and plan_id = $2 and course_code = $3",
        institution_id,
        plan_id,
        course_code,
        required
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The courses of a plan that ask for the test on top of attendance.
pub async fn test_required_courses(
    conn: &mut PgConnection,
    institution_id: Uuid,
    plan_id: Uuid,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "select course_code from plan_courses
         where institution_id = $1 and plan_id = $2 and in_person_test_required",
        institution_id,
        plan_id
    )
    .fetch_all(conn)
    .await
}

/// A session as a staff member sees it: is there a seat, am I in, did I attend.
#[derive(Debug, Clone)]
pub struct Offer {
    pub session: Session,
    pub joined: bool,
    pub attended_at: Option<OffsetDateTime>,
    pub completed: bool,
}

/// Sessions open to a person (for their division or the whole institution) for the given
/// courses that have not ended, and every session they are in, soonest first.
pub async fn offers(
    conn: &mut PgConnection,
    institution_id: Uuid,
    user_id: Uuid,
    division_id: Uuid,
    codes: &[String],
) -> Result<Vec<Offer>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"select s.id, s.course_code, c.title as course_title, s.fiscal_year, s.starts_at, s.ends_at, s.place,
                  s.capacity, s.division_id, d.name as "division_name?", s.cancelled,
                  (select count(*) from in_person_participants p where p.institution_id = s.institution_id and p.session_id = s.id) as "signed_up!",
                  (select count(*) from in_person_participants p where p.institution_id = s.institution_id and p.session_id = s.id
                      and p.attended_at is not null) as "attended!",
                  coalesce((select pc.in_person_test_required from plan_courses pc
                            join training_plans tp on tp.institution_id = pc.institution_id and tp.id = pc.plan_id
                            where pc.institution_id = s.institution_id and tp.fiscal_year = s.fiscal_year
                              and tp.status = 'approved' and pc.course_code = s.course_code), false) as "test_required!",
                  me.user_id is not null as "joined!", me.attended_at as "my_attended_at?",
                  exists(select 1 from completions cp where cp.institution_id = s.institution_id and cp.user_id = $2
                         and cp.fiscal_year = s.fiscal_year and cp.course_code = s.course_code) as "completed!"
           from in_person_sessions s
           join courses c on c.code = s.course_code
           left join divisions d on d.institution_id = s.institution_id and d.id = s.division_id
           left join in_person_participants me on me.institution_id = s.institution_id and me.session_id = s.id and me.user_id = $2
           where s.institution_id = $1
             and (me.user_id is not null
                  or (not s.cancelled and s.ends_at > now() and s.course_code = any($4)
                      and (s.division_id is null or s.division_id = $3)))
           order by s.starts_at, s.id"#,
        institution_id,
        user_id,
        division_id,
        codes
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Offer {
            joined: r.joined,
            attended_at: r.my_attended_at,
            completed: r.completed,
            session: Session {
                id: r.id,
                course_code: r.course_code,
                course_title: r.course_title,
                fiscal_year: r.fiscal_year,
                starts_at: r.starts_at,
                ends_at: r.ends_at,
                place: r.place,
                capacity: r.capacity,
                division_id: r.division_id,
                division_name: r.division_name,
                cancelled: r.cancelled,
                signed_up: r.signed_up,
                attended: r.attended,
                test_required: r.test_required,
            },
        })
        .collect())
}

/// The installation's secret of this name, made from `fresh` on first use. Every portal
/// instance on the database reads the same one.
pub async fn secret(
    conn: &mut PgConnection,
    name: &str,
    fresh: &[u8],
) -> Result<Vec<u8>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"with made as (
               insert into installation_secrets (name, value) values ($1, $2)
               on conflict (name) do nothing returning value
           )
           select value as "value!" from made
           union all
           select value from installation_secrets where name = $1
           limit 1"#,
        name,
        fresh
    )
    .fetch_one(conn)
    .await
}
