//! Sessions as a staff member sees them: open to them, or theirs already.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Session;

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
