//! A person's own training as the use cases need it: what the approved plan assigns them, the
//! current package of a course with their progress, and where one assignment stands.

use std::sync::Arc;

use kenshu_core::FiscalYear;
use kenshu_core::assignment::{Progress, Status, status};
use kenshu_core::content::CoursePackage;
use kenshu_core::drill::FollowUpDue;
use kenshu_core::plan::Assignment;
use kenshu_db::PgConnection;
use kenshu_db::content::Catalog;
use kenshu_db::learning::{self, CourseProgress, CourseSummary, Learner};
use time::Date;
use uuid::Uuid;

/// The courses a person must take in `fy` under the approved plan (none without one).
pub async fn assignments_of(
    conn: &mut PgConnection,
    institution_id: Uuid,
    user_id: Uuid,
    fy: FiscalYear,
) -> Result<(bool, Vec<Assignment>), sqlx::Error> {
    let t = training_of(conn, institution_id, user_id, fy).await?;
    Ok((t.planned, t.assigned))
}

/// The same, with the rules (規程) the plan requires the person to acknowledge and where they
/// stand with each: read with the plan, in the same two statements.
pub async fn assignments_and_rules_of(
    conn: &mut PgConnection,
    institution_id: Uuid,
    user_id: Uuid,
    fy: FiscalYear,
) -> Result<(bool, Vec<Assignment>, Vec<crate::rules::Required>), sqlx::Error> {
    let t = training_of(conn, institution_id, user_id, fy).await?;
    Ok((t.planned, t.assigned, t.rules))
}

/// What a person has to do in a year: the plan's courses and rules, and the follow-up courses of
/// mail drills whose link they opened.
pub struct Training {
    /// An approved plan is in force.
    pub planned: bool,
    pub assigned: Vec<Assignment>,
    pub rules: Vec<crate::rules::Required>,
    pub follow_ups: Vec<FollowUpDue>,
}

/// [`Training`] of a person in `fy`, in two statements: the plan (with the person's rule
/// acknowledgements) and the facts (with their drill follow-ups).
pub async fn training_of(
    conn: &mut PgConnection,
    institution_id: Uuid,
    user_id: Uuid,
    fy: FiscalYear,
) -> Result<Training, sqlx::Error> {
    let today = kenshu_core::japan_today();
    let on = fy.judged_on(today);
    let plan = kenshu_db::plan::plan_for(&mut *conn, institution_id, fy, Some(user_id)).await?;
    let Some(plan) = plan.filter(|p| p.plan.approved) else {
        return Ok(Training {
            planned: false,
            assigned: Vec::new(),
            rules: Vec::new(),
            follow_ups: Vec::new(),
        });
    };
    let facts = kenshu_db::plan::facts(conn, institution_id, user_id, on, fy.year()).await?;
    let Some((facts, follow_ups)) = facts else {
        return Ok(Training {
            planned: true,
            assigned: Vec::new(),
            rules: Vec::new(),
            follow_ups: Vec::new(),
        });
    };
    let rules = crate::rules::required(&plan, &facts, on, today, |code| {
        plan.rule(code).and_then(|r| r.acknowledged)
    });
    Ok(Training {
        planned: true,
        assigned: kenshu_core::plan::assignments(&plan.plan, &facts, on),
        rules,
        follow_ups,
    })
}

/// The current package of a course with the learner's progress; None for an unknown course.
/// Every signed-in person may read any course (self-study); the plan decides what is required.
pub async fn course_for(
    catalog: &Catalog,
    conn: &mut PgConnection,
    who: Learner,
    code: &str,
) -> Result<Option<(Arc<CoursePackage>, CourseProgress)>, sqlx::Error> {
    let Some(progress) = learning::course_progress(&mut *conn, who, code).await? else {
        return Ok(None);
    };
    let package = catalog.package(conn, progress.version_id).await?;
    Ok(Some((package, progress)))
}

/// Where one assignment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CourseStanding {
    pub status: Status,
    /// The deadline in force: a re-attendance deadline replaces the plan's.
    pub deadline: Option<Date>,
    /// A re-attendance deadline was granted.
    pub retake: bool,
}

/// The standing of one course of a person. Shared by "My training" and the officers' person
/// page.
pub fn assignment_status(s: &CourseSummary, a: Option<&Assignment>, today: Date) -> CourseStanding {
    let retake = s.retake;
    let deadline = retake.or(a.map(|a| a.deadline));
    let st = status(
        Progress {
            completed: s.completion.as_ref().map(|c| c.method),
            exempt: s.exempt,
            any_activity: s.sections_read > 0 || s.attempts > 0,
            deadline,
        },
        today,
    );
    CourseStanding {
        status: st,
        deadline,
        retake: retake.is_some(),
    }
}

/// Why a learning step was refused.
#[derive(Debug, thiserror::Error)]
pub enum LearningError {
    /// No such course, or no such section in it.
    #[error("not found")]
    NotFound,
    #[error("database")]
    Database(#[from] sqlx::Error),
}

/// Marks section `slug` of course `code` read by the learner and settles the course (it
/// completes when the last requirement is met), in the caller's transaction. Returns the
/// course's package and the section's place in it, for the way on.
#[tracing::instrument(skip_all)]
pub async fn mark_read(
    conn: &mut PgConnection,
    catalog: &Catalog,
    who: Learner,
    code: &str,
    slug: &str,
) -> Result<(Arc<CoursePackage>, usize), LearningError> {
    let (package, mut current) = course_for(catalog, &mut *conn, who, code)
        .await?
        .ok_or(LearningError::NotFound)?;
    let (index, _) = package.section(slug).ok_or(LearningError::NotFound)?;
    learning::mark_read(&mut *conn, who, code, slug, current.version_id).await?;
    // The progress read above, with this section read: not read again.
    if !current.read_slugs.iter().any(|s| s == slug) {
        current.read_slugs.push(slug.to_string());
    }
    learning::settle_course_with(conn, who, &package, &current).await?;
    Ok((package, index))
}
