//! What the answers reveal (`kenshu_core::insights`): per question of each course's test, the
//! people who answered it on their first attempt of a fiscal year and how many of them right,
//! for the divisions in view, by division and by the designations held on the attempt's day.
//! Only counts leave the database.

use kenshu_core::FiscalYear;
use kenshu_core::insights::{Group, Tallies, Tally};
use kenshu_core::plan::DesignationKind;
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// Tallies by course code.
pub type ByCourse = HashMap<String, Tallies>;

/// The tallies of every course's test in `fiscal_year` and in the year before, by course code,
/// counting people now in `divisions` (their current division, as the dashboard counts them).
/// One statement for both years.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, fiscal_year = fiscal_year.year()))]
pub async fn first_attempts(
    conn: &mut PgConnection,
    institution_id: Uuid,
    fiscal_year: FiscalYear,
    divisions: &[Uuid],
) -> Result<(ByCourse, ByCourse), sqlx::Error> {
    let rows = sqlx::query!(
        r#"with firsts as (
               select distinct on (a.fiscal_year, a.user_id, a.course_code)
                      a.id, a.fiscal_year, a.user_id, a.course_code, u.division_id,
                      (a.started_at at time zone 'Asia/Tokyo')::date as on_day
               from test_attempts a
               join users u on u.institution_id = a.institution_id and u.id = a.user_id
               where a.institution_id = $1 and a.fiscal_year in ($2, $2 - 1)
                 and u.division_id = any($3)
               order by a.fiscal_year, a.user_id, a.course_code, a.started_at, a.id
           ), answered as (
               select f.fiscal_year, f.course_code, t.question_number, f.division_id, f.user_id,
                      f.on_day, t.correct
               from firsts f
               join test_answers t on t.institution_id = $1 and t.attempt_id = f.id
           ), held as (
               select a.*, d.kind
               from answered a
               left join designations d on d.institution_id = $1 and d.user_id = a.user_id
                    and d.valid_from <= a.on_day and (d.valid_to is null or d.valid_to >= a.on_day)
           )
           select fiscal_year as "fiscal_year!", course_code as "course!",
                  question_number as "question!",
                  division_id as "division_id?", kind as "kind?",
                  grouping(division_id, kind) as "level!",
                  count(distinct user_id) as "people!",
                  count(distinct user_id) filter (where correct) as "correct!"
           from held
           group by grouping sets ((fiscal_year, course_code, question_number),
                                   (fiscal_year, course_code, question_number, division_id),
                                   (fiscal_year, course_code, question_number, kind))"#,
        institution_id,
        fiscal_year.year(),
        divisions
    )
    .fetch_all(conn)
    .await?;
    let (mut this_year, mut last_year) = (HashMap::new(), HashMap::new());
    for r in rows {
        // grouping(): 3 = neither column grouped (everyone), 1 = by division, 2 = by kind.
        let group = match (r.level, r.division_id, r.kind.as_deref()) {
            (3, _, _) => Group::All,
            (1, Some(d), _) => Group::Division(d),
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
        let by_course: &mut ByCourse = if r.fiscal_year == fiscal_year.year() {
            &mut this_year
        } else {
            &mut last_year
        };
        by_course
            .entry(r.course)
            .or_default()
            .insert(r.question as u32, group, tally);
    }
    Ok((this_year, last_year))
}
