//! Training plans and the facts about people that assignments follow from.
//!
//! This module reads a plan and the officers its document names; `draft` creates and edits
//! plans until they are approved; `facts` reads what the assignment rule needs about people;
//! `exemptions` records who need not take a course.

mod draft;
mod exemptions;
mod facts;

pub use draft::{
    Details, PLAN_EXISTS, approve, copy_previous, create_draft, create_standard, put_course,
    put_details, put_rule, remove_course, remove_rule, set_courses,
};
pub use exemptions::{exempt, exemptions};
pub use facts::{PersonWithAcks, facts, facts_for_division, facts_for_institution};

pub(crate) use facts::person_facts;

use kenshu_core::FiscalYear;
use kenshu_core::plan::{Plan, PlanCourse, PlanRule, Target};
use sqlx::PgConnection;
use sqlx::types::Json;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

#[derive(Debug, Clone, serde::Deserialize)]
struct CourseJson {
    code: String,
    audience: Vec<String>,
    starts_on: String,
    deadline: String,
    retake_until: Option<String>,
}

#[derive(Debug, Clone, serde::Deserialize)]
struct RuleJson {
    code: String,
    audience: Vec<String>,
    deadline: String,
    title: String,
    version: i32,
    published_on: String,
    ack_version: Option<i32>,
    ack_at: Option<i64>,
}

/// A rule the plan requires, with its current version and, when the plan was read for one
/// person, that person's latest acknowledgement of it.
#[derive(Debug, Clone)]
pub struct PlanRuleRecord {
    pub rule: PlanRule,
    /// The current version's title.
    pub title: String,
    /// The current version.
    pub version: i32,
    /// The day (in Japan) the current version was published.
    pub published_on: Date,
    /// The latest version the person acknowledged, and when (read by [`plan_for`] only).
    pub acknowledged: Option<(i32, OffsetDateTime)>,
}

impl PlanRuleRecord {
    /// The deadline for the current version (see `kenshu_core::plan::rule_deadline`).
    pub fn deadline_for(&self, assigned: Date) -> Date {
        kenshu_core::plan::rule_deadline(assigned, self.published_on)
    }

    /// When the person acknowledged the current version, if they did.
    pub fn acknowledged_current(&self) -> Option<OffsetDateTime> {
        self.acknowledged
            .filter(|(v, _)| *v == self.version)
            .map(|(_, at)| at)
    }
}

/// Dates arrive from json_build_object as `YYYY-MM-DD`.
pub(crate) fn day(s: &str) -> Date {
    kenshu_core::roster::parse_date(s).unwrap_or(Date::MIN)
}

/// A plan as stored, with who approved it.
#[derive(Debug, Clone)]
pub struct PlanRecord {
    pub id: Uuid,
    pub plan: Plan,
    pub purpose: String,
    pub method: String,
    pub approved_by: Option<String>,
    pub approved_at: Option<OffsetDateTime>,
    /// When reminders go out automatically.
    pub reminders: kenshu_core::reminder::Schedule,
    /// The weekly digests to officers.
    pub digest: kenshu_core::digest::Rules,
    /// The rules (規程) the plan requires to be acknowledged, by title.
    pub rules: Vec<PlanRuleRecord>,
    /// The year's mail drills count as training in the annual report (標的型メール訓練).
    pub drills_count: bool,
}

impl PlanRecord {
    /// The rules as the assignment rule reads them.
    pub fn plan_rules(&self) -> Vec<PlanRule> {
        self.rules.iter().map(|r| r.rule.clone()).collect()
    }

    /// The required rule `code`, if the plan requires it.
    pub fn rule(&self, code: &str) -> Option<&PlanRuleRecord> {
        self.rules.iter().find(|r| r.rule.code == code)
    }
}

/// The institution's plan for a fiscal year, approved or not.
pub async fn plan(
    conn: &mut PgConnection,
    institution_id: Uuid,
    fy: FiscalYear,
) -> Result<Option<PlanRecord>, sqlx::Error> {
    plan_for(conn, institution_id, fy, None).await
}

/// The plan, with `person`'s acknowledgements of its required rules (in the same statement:
/// `/my` reads no more than it did before rules were required).
pub async fn plan_for(
    conn: &mut PgConnection,
    institution_id: Uuid,
    fy: FiscalYear,
    person: Option<Uuid>,
) -> Result<Option<PlanRecord>, sqlx::Error> {
    let row = sqlx::query!(
        r#"select p.id, p.status, p.purpose, p.method, p.newcomer_days, u.name as "approved_by?", p.approved_at,
                  p.reminder_days_before, p.reminder_overdue_every,
                  p.digest_enabled, p.digest_weekday, p.digest_chief_after_days, p.drills_count,
                  coalesce((select json_agg(json_build_object('code', c.course_code, 'audience', c.audience,
                                 'starts_on', c.starts_on, 'deadline', c.deadline, 'retake_until', c.retake_until)
                                 order by co.position)
                            from plan_courses c join courses co on co.code = c.course_code
                            where c.institution_id = p.institution_id and c.plan_id = p.id), '[]'::json)
                     as "courses!: Json<Vec<CourseJson>>",
                  coalesce((select json_agg(json_build_object('code', r.rule_code, 'audience', r.audience,
                                 'deadline', r.deadline, 'title', v.title, 'version', v.version,
                                 'published_on', (v.published_at at time zone 'Asia/Tokyo')::date,
                                 'ack_version', a.version,
                                 'ack_at', extract(epoch from a.acknowledged_at)::bigint)
                                 order by v.title, r.rule_code)
                            from plan_rules r
                            cross join lateral (
                                select w.title, w.version, w.published_at from rule_versions w
                                where w.institution_id = r.institution_id and w.code = r.rule_code
                                order by w.version desc limit 1) v
                            left join lateral (
                                select k.version, k.acknowledged_at from rule_acknowledgements k
                                where k.institution_id = r.institution_id and k.code = r.rule_code
                                  and k.user_id = $3
                                order by k.version desc limit 1) a on true
                            where r.institution_id = p.institution_id and r.plan_id = p.id), '[]'::json)
                     as "rules!: Json<Vec<RuleJson>>"
           from training_plans p
           left join users u on u.institution_id = p.institution_id and u.id = p.approved_by
           where p.institution_id = $1 and p.fiscal_year = $2"#,
        institution_id,
        fy.year(),
        person
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| PlanRecord {
        rules: r
            .rules
            .0
            .into_iter()
            .map(|j| PlanRuleRecord {
                rule: PlanRule {
                    audience: j.audience.iter().filter_map(|a| Target::parse(a)).collect(),
                    deadline: day(&j.deadline),
                    code: j.code,
                },
                title: j.title,
                version: j.version,
                published_on: day(&j.published_on),
                acknowledged: j.ack_version.zip(
                    j.ack_at
                        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok()),
                ),
            })
            .collect(),
        id: r.id,
        plan: Plan {
            fiscal_year: fy,
            approved: r.status == "approved",
            newcomer_days: i64::from(r.newcomer_days),
            courses: r
                .courses
                .0
                .into_iter()
                .map(|c| PlanCourse {
                    audience: c.audience.iter().filter_map(|a| Target::parse(a)).collect(),
                    starts_on: day(&c.starts_on),
                    deadline: day(&c.deadline),
                    retake_until: c.retake_until.as_deref().map(day),
                    code: c.code,
                })
                .collect(),
        },
        purpose: r.purpose,
        method: r.method,
        approved_by: r.approved_by,
        approved_at: r.approved_at,
        reminders: kenshu_core::reminder::Schedule {
            before: r.reminder_days_before.into_iter().map(i64::from).collect(),
            overdue_every: i64::from(r.reminder_overdue_every),
        },
        digest: kenshu_core::digest::Rules {
            enabled: r.digest_enabled,
            // The column's check allows 1 to 5 only.
            weekday: kenshu_core::digest::Rules::weekday_from_number(r.digest_weekday)
                .unwrap_or(time::Weekday::Monday),
            chief_after_days: i64::from(r.digest_chief_after_days),
        },
        drills_count: r.drills_count,
    }))
}

/// The officers a plan document names: the chief officer and each division's protection officer.
pub async fn officers(
    conn: &mut PgConnection,
    institution_id: Uuid,
) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"select u.role, u.name, d.name as division from users u
           join divisions d on d.institution_id = u.institution_id and d.id = u.division_id
           where u.institution_id = $1 and u.active and u.role in ('chief_officer', 'protection_officer', 'audit_officer')
           order by case u.role when 'chief_officer' then 0 when 'audit_officer' then 1 else 2 end, d.code"#,
        institution_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.role, r.name, r.division))
        .collect())
}
