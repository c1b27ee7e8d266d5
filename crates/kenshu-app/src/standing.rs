//! Where everyone of a division stands this fiscal year: each course the approved plan assigns
//! them, its deadline (a re-attendance deadline replaces the plan's) and status. The dashboard
//! shows it and the reminder schedule acts on it, so both read the same answer.

use std::collections::HashMap;

use kenshu_core::FiscalYear;
use kenshu_core::assignment::{Status, status};
use kenshu_core::plan::{Assignment, PersonFacts, assignments};
use kenshu_db::PgConnection;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

pub struct Person {
    pub id: Uuid,
    pub login: String,
    pub name: String,
    pub facts: PersonFacts,
}

/// One course one person must take.
pub struct Line {
    /// Index into `Standing::people`.
    pub person: usize,
    pub assignment: Assignment,
    pub status: Status,
    /// The deadline that applies: the re-attendance one when granted, else the plan's.
    pub deadline: Date,
    pub retake: bool,
    pub last_activity: Option<OffsetDateTime>,
}

/// One rule (規程) one person must acknowledge.
pub struct RuleLine {
    /// Index into `Standing::people`.
    pub person: usize,
    pub required: crate::rules::Required,
}

pub struct Standing {
    pub people: Vec<Person>,
    pub lines: Vec<Line>,
    /// The rules the plan requires, person by person (in `people` order).
    pub rules: Vec<RuleLine>,
    /// The date designations and arrivals are judged on: today, within the fiscal year.
    pub on: Date,
}

/// What the standing is made of: the approved plan (if any) and the people, read on one
/// connection; their progress and re-attendance deadlines, on another when there is one.
pub struct Facts {
    plan: Option<kenshu_db::plan::PlanRecord>,
    people: Vec<Person>,
    /// The people's latest acknowledgements, read only when the plan requires rules.
    acks: Vec<kenshu_db::rules::Ack>,
}

pub struct Progress {
    progress: Vec<kenshu_db::learning::DivisionProgress>,
    retakes: Vec<(Uuid, String, Date)>,
}

pub async fn facts(
    conn: &mut PgConnection,
    institution_id: Uuid,
    division_id: Uuid,
    fy: FiscalYear,
    today: Date,
) -> Result<Facts, sqlx::Error> {
    let plan = kenshu_db::plan::plan(conn, institution_id, fy)
        .await?
        .filter(|p| p.plan.approved);
    // The acknowledgements come with the facts, and only when the plan requires rules.
    let with_acks = plan.as_ref().is_some_and(|p| !p.rules.is_empty());
    let (people, acks) = kenshu_db::plan::facts_for_division(
        conn,
        institution_id,
        division_id,
        fy.judged_on(today),
        with_acks,
    )
    .await?;
    let people = people
        .into_iter()
        .map(|(id, login, name, facts)| Person {
            id,
            login,
            name,
            facts,
        })
        .collect();
    Ok(Facts { plan, people, acks })
}

pub async fn progress(
    conn: &mut PgConnection,
    institution_id: Uuid,
    division_id: Uuid,
    fy: FiscalYear,
) -> Result<Progress, sqlx::Error> {
    Ok(Progress {
        progress: kenshu_db::learning::division_progress(conn, institution_id, division_id, fy)
            .await?,
        retakes: kenshu_db::follow_up::retakes_in_division(conn, institution_id, division_id, fy)
            .await?,
    })
}

/// Where the active people of one division stand in `fy`, judged on `today`, on one
/// connection. Without an approved plan nobody is assigned anything.
#[tracing::instrument(skip_all, fields(institution = %institution_id, division = %division_id, fiscal_year = fy.year()))]
pub async fn division(
    conn: &mut PgConnection,
    institution_id: Uuid,
    division_id: Uuid,
    fy: FiscalYear,
    today: Date,
) -> Result<Standing, sqlx::Error> {
    let f = facts(conn, institution_id, division_id, fy, today).await?;
    let p = if f.plan.is_some() {
        progress(conn, institution_id, division_id, fy).await?
    } else {
        Progress {
            progress: Vec::new(),
            retakes: Vec::new(),
        }
    };
    Ok(assemble(f, p, fy, today))
}

/// The standing from its parts (read on one connection or two).
pub fn assemble(f: Facts, p: Progress, fy: FiscalYear, today: Date) -> Standing {
    let on = fy.judged_on(today);
    let Facts { plan, people, acks } = f;
    let Some(plan) = plan else {
        return Standing {
            people,
            lines: Vec::new(),
            rules: Vec::new(),
            on,
        };
    };
    let index = crate::rules::ack_index(&acks);
    let mut rules = Vec::new();
    let by_key: HashMap<(Uuid, &str), &kenshu_db::learning::DivisionProgress> = p
        .progress
        .iter()
        .map(|p| ((p.user_id, p.course_code.as_str()), p))
        .collect();
    let retakes: HashMap<(Uuid, &str), Date> = p
        .retakes
        .iter()
        .map(|(u, c, d)| ((*u, c.as_str()), *d))
        .collect();
    let mut lines = Vec::new();
    for (i, person) in people.iter().enumerate() {
        for required in crate::rules::required(&plan, &person.facts, on, today, |c| {
            index.get(&(person.id, c)).copied()
        }) {
            rules.push(RuleLine {
                person: i,
                required,
            });
        }
        for a in assignments(&plan.plan, &person.facts, on) {
            let p = by_key.get(&(person.id, a.code.as_str()));
            let retake = retakes.get(&(person.id, a.code.as_str())).copied();
            let deadline = retake.unwrap_or(a.deadline);
            let st = status(
                kenshu_core::assignment::Progress {
                    completed: p.and_then(|p| p.method()),
                    exempt: p.is_some_and(|p| p.exempt),
                    any_activity: p.is_some_and(|p| p.activity),
                    deadline: Some(deadline),
                },
                today,
            );
            lines.push(Line {
                person: i,
                status: st,
                deadline,
                retake: retake.is_some(),
                last_activity: p.and_then(|p| p.last_activity),
                assignment: a,
            });
        }
    }
    Standing {
        people,
        lines,
        rules,
        on,
    }
}
