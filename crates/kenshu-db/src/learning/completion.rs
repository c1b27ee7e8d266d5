//! A course completed: decided from the sections read, the test passed or the attendance, and
//! recorded once per fiscal year.

use kenshu_core::assignment::CompletionMethod;
use kenshu_core::assignment::course_complete;
use kenshu_core::content::CoursePackage;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{CourseProgress, Learner, course_progress};
use crate::exam::attempts;

/// Records a course as completed, unless it already is for the fiscal year. The method is
/// `in_person` when the person `attended` an in-person session of the course that year (the
/// plan may ask for the test on top of attendance), else `e_learning`.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %who.institution_id, user = %who.user_id, course = code, attended))]
pub async fn complete(
    conn: &mut PgConnection,
    who: Learner,
    code: &str,
    version_id: Uuid,
    attended: bool,
    score: Option<(i32, i32)>,
    attempt_id: Option<Uuid>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "insert into completions (institution_id, user_id, course_code, fiscal_year, content_version_id, method, score, total, attempt_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict do nothing",
        who.institution_id,
        who.user_id,
        code,
        who.fiscal_year.year(),
        version_id,
        if attended {
            CompletionMethod::InPerson
        } else {
            CompletionMethod::ELearning
        }
        .as_str(),
        score.map(|s| s.0),
        score.map(|s| s.1),
        attempt_id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Completes the course if every section of the current version has been read and its test,
/// if any, passed — or if the person attended an in-person session of it and passed its test
/// (attendance stands in for reading); records the first passing attempt's score. Returns
/// whether it completed now.
pub async fn settle_course(
    conn: &mut PgConnection,
    who: Learner,
    package: &CoursePackage,
    version_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let Some(mut progress) = course_progress(&mut *conn, who, &package.code).await? else {
        return Ok(false);
    };
    progress.version_id = version_id;
    settle_course_with(conn, who, package, &progress).await
}

/// `settle_course` with the progress the caller has just read in the same transaction (and
/// brought up to date with what it wrote since), so that it is not read twice; a completion
/// records `progress.version_id`.
pub async fn settle_course_with(
    conn: &mut PgConnection,
    who: Learner,
    package: &CoursePackage,
    progress: &CourseProgress,
) -> Result<bool, sqlx::Error> {
    let version_id = progress.version_id;
    if progress.completed_at.is_some() {
        return Ok(false);
    }
    // Attendance stands in for reading.
    let read = if progress.attended {
        package.sections.len()
    } else {
        package
            .sections
            .iter()
            .filter(|s| progress.read_slugs.contains(&s.slug))
            .count()
    };
    if !course_complete(
        package.sections.len(),
        read,
        package.test.is_some(),
        progress.test_passed,
    ) {
        return Ok(false);
    }
    let first_pass = if package.test.is_some() {
        attempts(&mut *conn, who, &package.code)
            .await?
            .into_iter()
            .filter(|a| a.passed == Some(true))
            .min_by_key(|a| a.submitted_at)
    } else {
        None
    };
    let score = first_pass
        .as_ref()
        .and_then(|a| a.score.map(|s| (s, a.total)));
    complete(
        conn,
        who,
        &package.code,
        version_id,
        progress.attended,
        score,
        first_pass.map(|a| a.id),
    )
    .await
}
