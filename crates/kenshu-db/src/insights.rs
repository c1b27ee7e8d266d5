//! What the answers reveal (`kenshu_core::insights`): per question of a course's test, the
//! people who answered it on their first attempt of a fiscal year and how many of them right,
//! for the divisions in view, by division and by the designations held on the attempt's day.
//! Only counts leave the database.

use kenshu_core::FiscalYear;
use kenshu_core::insights::{Group, Tallies, Tally};
use kenshu_core::plan::DesignationKind;
use sqlx::PgConnection;
use uuid::Uuid;

/// The tallies of `course`'s test in `fiscal_year` and in the year before, counting people now
/// in `divisions` (their current division, as the dashboard counts them). One statement for
/// both years: the answers are counted by division, everyone's figure is their sum, and the
/// designations held on the attempt's day (each kind once per attempt, though a protection
/// officer of two divisions holds it twice) are counted apart. A first attempt answers each
/// question at most once, so rows count people. 0.9 s for 100,000 staff (690,000 answers of
/// two years; `kenshu-bench dashboard`), 19 ms for a division of 500.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, fiscal_year = fiscal_year.year()))]
pub async fn first_attempts(
    conn: &mut PgConnection,
    institution_id: Uuid,
    fiscal_year: FiscalYear,
    course: &str,
    divisions: &[Uuid],
) -> Result<(Tallies, Tallies), sqlx::Error> {
    let rows = sqlx::query!(
        r#"with firsts as materialized (
               select distinct on (a.fiscal_year, a.user_id)
                      a.id, a.fiscal_year, a.user_id, u.division_id,
                      (a.started_at at time zone 'Asia/Tokyo')::date as on_day
               from test_attempts a
               join users u on u.institution_id = a.institution_id and u.id = a.user_id
               where a.institution_id = $1 and a.course_code = $4
                 and a.fiscal_year in ($2, $2 - 1) and u.division_id = any($3)
               order by a.fiscal_year, a.user_id, a.started_at, a.id
           ), per_division as (
               select f.fiscal_year, t.question_number, f.division_id,
                      count(*) as people, count(*) filter (where t.correct) as correct
               from firsts f
               join test_answers t on t.institution_id = $1 and t.attempt_id = f.id
               group by 1, 2, 3
           ), held as (
               select distinct f.id, f.fiscal_year, d.kind
               from firsts f
               join designations d on d.institution_id = $1 and d.user_id = f.user_id
                    and d.valid_from <= f.on_day and (d.valid_to is null or d.valid_to >= f.on_day)
           )
           select fiscal_year as "fiscal_year!", question_number as "question!",
                  division_id as "division_id?", null::text as "kind?", 0 as "level!",
                  people as "people!", correct as "correct!"
           from per_division
           union all
           select fiscal_year, question_number, null, null, 1,
                  sum(people)::bigint, sum(correct)::bigint
           from per_division group by 1, 2
           union all
           select h.fiscal_year, t.question_number, null, h.kind, 2,
                  count(*), count(*) filter (where t.correct)
           from held h
           join test_answers t on t.institution_id = $1 and t.attempt_id = h.id
           group by 1, 2, 4"#,
        institution_id,
        fiscal_year.year(),
        divisions,
        course
    )
    .fetch_all(conn)
    .await?;
    let (mut this_year, mut last_year) = (Tallies::default(), Tallies::default());
    for r in rows {
        // 0: by division, 1: everyone, 2: by designation.
        let group = match (r.level, r.division_id, r.kind.as_deref()) {
            (0, Some(d), _) => Group::Division(d),
            (1, _, _) => Group::All,
            (2, _, Some(k)) => match DesignationKind::parse(k) {
                Some(kind) => Group::Designation(kind),
                None => continue,
            },
            _ => continue,
        };
        let tally = Tally {
            people: u32::try_from(r.people).unwrap_or(u32::MAX),
            correct: u32::try_from(r.correct).unwrap_or(u32::MAX),
        };
        let year = if r.fiscal_year == fiscal_year.year() {
            &mut this_year
        } else {
            &mut last_year
        };
        year.insert(r.question as u32, group, tally);
    }
    Ok((this_year, last_year))
}
