//! The people of the annual report, streamed one at a time in report order (division code,
//! employee number) with everything their rows need, so that 100,000 people never sit in
//! memory at once.

use futures_util::{Stream, StreamExt};
use kenshu_core::FiscalYear;
use kenshu_core::plan::PersonFacts;
use sqlx::PgConnection;
use sqlx::types::Json;
use time::Date;
use uuid::Uuid;

use crate::plans::person_facts;

/// (course, method, completed on, score, total) as the query reads it.
pub type Done = (String, String, String, Option<i32>, Option<i32>);
/// A completion as the rows use it: (method, day, (score, total)).
pub type Completed<'a> = (&'a str, Date, Option<(i32, i32)>);
/// (kind, from, to)
type Held3 = (String, String, Option<String>);

/// One person of the report with their progress in the fiscal year.
#[derive(Debug, Clone)]
pub struct ReportPerson {
    pub id: Uuid,
    pub employee_number: String,
    pub name: String,
    pub division_code: String,
    pub division_name: String,
    pub left_on: Option<Date>,
    pub facts: PersonFacts,
    /// (course, method, completed on (Japan), score, total)
    pub completions: Vec<Done>,
    pub exempt: Vec<String>,
    /// (course, re-attendance deadline)
    pub retakes: Vec<(String, String)>,
    /// Courses with any reading or test attempt.
    pub activity: Vec<String>,
}

fn day(s: &str) -> Date {
    kenshu_core::roster::parse_date(s).unwrap_or(Date::MIN)
}

impl ReportPerson {
    /// The completion of a course: (method, day, score and total).
    pub fn completion(&self, course: &str) -> Option<Completed<'_>> {
        self.completions
            .iter()
            .find(|c| c.0 == course)
            .map(|c| (c.1.as_str(), day(&c.2), c.3.zip(c.4)))
    }

    pub fn retake(&self, course: &str) -> Option<Date> {
        self.retakes
            .iter()
            .find(|r| r.0 == course)
            .map(|r| day(&r.1))
    }
}

/// Everyone on the roster at some day of `fy` (hired on or before its last day, not left
/// before its first), optionally of one division, ordered by division code and employee
/// number. `on` is the day designations and arrivals are judged on.
pub fn people<'a>(
    conn: &'a mut PgConnection,
    institution_id: Uuid,
    fy: FiscalYear,
    on: Date,
    division: Option<Uuid>,
) -> impl Stream<Item = Result<ReportPerson, sqlx::Error>> + 'a {
    sqlx::query!(
        r#"select u.id, u.login_id, u.name, u.role, u.left_on, u.hired_on,
                  d.code as division_code, d.name as division_name,
                  (select max(p.valid_from) from placements p
                    where p.institution_id = u.institution_id and p.user_id = u.id and p.valid_from <= $3
                      and exists (select 1 from placements q where q.institution_id = p.institution_id
                                  and q.user_id = p.user_id and q.valid_from < p.valid_from)) as transferred_on,
                  coalesce((select json_agg(json_build_array(g.kind, g.valid_from, g.valid_to))
                            from designations g where g.institution_id = u.institution_id and g.user_id = u.id), '[]'::json)
                     as "designations!: Json<Vec<Held3>>",
                  coalesce((select json_agg(json_build_array(c.course_code, c.method,
                                   (c.completed_at at time zone 'Asia/Tokyo')::date, c.score, c.total))
                            from completions c where c.institution_id = u.institution_id and c.user_id = u.id
                              and c.fiscal_year = $2), '[]'::json)
                     as "completions!: Json<Vec<Done>>",
                  coalesce((select json_agg(e.course_code) from exemptions e
                            where e.institution_id = u.institution_id and e.user_id = u.id
                              and e.fiscal_year = $2), '[]'::json) as "exempt!: Json<Vec<String>>",
                  coalesce((select json_agg(json_build_array(r.course_code, r.deadline)) from retakes r
                            where r.institution_id = u.institution_id and r.user_id = u.id
                              and r.fiscal_year = $2), '[]'::json) as "retakes!: Json<Vec<(String, String)>>",
                  array(select s.course_code from section_reads s
                         where s.institution_id = u.institution_id and s.user_id = u.id and s.fiscal_year = $2
                        union
                        select a.course_code from test_attempts a
                         where a.institution_id = u.institution_id and a.user_id = u.id and a.fiscal_year = $2)
                     as "activity!"
           from users u
           join divisions d on d.institution_id = u.institution_id and d.id = u.division_id
           where u.institution_id = $1
             and ($6::uuid is null or u.division_id = $6)
             and (u.hired_on is null or u.hired_on <= $5)
             and not (u.status = 'left' and (u.left_on is null or u.left_on < $4::date))
           order by d.code, u.login_id"#,
        institution_id,
        fy.0,
        on,
        fy.start(),
        fy.end(),
        division,
    )
    .fetch(conn)
    .map(|r| {
        r.map(|r| ReportPerson {
            facts: person_facts(
                &r.role,
                r.hired_on,
                r.transferred_on,
                r.left_on,
                r.designations.0,
            ),
            id: r.id,
            employee_number: r.login_id,
            name: r.name,
            division_code: r.division_code,
            division_name: r.division_name,
            left_on: r.left_on,
            completions: r.completions.0,
            exempt: r.exempt.0,
            retakes: r.retakes.0,
            activity: r.activity,
        })
    })
}

/// Course titles (the current content version's), by code.
pub async fn course_titles(
    conn: &mut PgConnection,
) -> Result<std::collections::HashMap<String, String>, sqlx::Error> {
    Ok(crate::content::versions(conn)
        .await?
        .into_iter()
        .filter(|v| v.current)
        .map(|v| (v.course_code, v.title))
        .collect())
}
