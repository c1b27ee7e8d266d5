//! The use cases' errors (`kenshu_app`) as the web answers them: what the person did wrong as
//! a page naming the field and its fix, internal errors as `AppError::Database` (with their
//! source) for the one place that logs them.

use kenshu_app::designation::DesignationError;
use kenshu_app::follow_up::FollowUpError;

use super::AppError;
use crate::lang::t;

/// "Field: what to do about it".
fn field(name: &str, fix: &str) -> AppError {
    AppError::BadRequest(format!("{name}: {fix}"))
}

impl From<DesignationError> for AppError {
    fn from(e: DesignationError) -> Self {
        match e {
            DesignationError::UnknownDivision => field(t().division, t().division_unknown),
            DesignationError::NotACandidate => field(t().login_id, t().officer_not_candidate),
            DesignationError::Overlap => AppError::Invalid {
                field: t().designation_from,
                fix: t().designation_overlap,
            },
            DesignationError::Database(e) => AppError::Database(e),
        }
    }
}

impl From<kenshu_app::digest::deputy::DeputyError> for AppError {
    fn from(e: kenshu_app::digest::deputy::DeputyError) -> Self {
        use kenshu_app::digest::deputy::DeputyError;
        let t = t();
        match e {
            DeputyError::Unknown(_) => field(t.deputy_deputy, t.deputy_unknown_fix),
            DeputyError::NotAnOfficer(_) => field(t.deputy_officer, t.deputy_officer_fix),
            DeputyError::Themselves => field(t.deputy_deputy, t.deputy_themselves_fix),
            DeputyError::Period => field(t.designation_to, t.designation_to_fix),
            DeputyError::Overlap => field(t.designation_from, t.deputy_overlap_fix),
            DeputyError::NotFound => AppError::NotFound,
            DeputyError::Started => AppError::BadRequest(t.deputy_started_fix.into()),
            DeputyError::Database(e) => AppError::Database(e),
        }
    }
}

impl From<FollowUpError> for AppError {
    fn from(e: FollowUpError) -> Self {
        match e {
            FollowUpError::NotAssigned => AppError::BadRequest(t().exempt_course_fix.into()),
            FollowUpError::Database(e) => AppError::Database(e),
        }
    }
}

impl From<kenshu_app::learning::LearningError> for AppError {
    fn from(e: kenshu_app::learning::LearningError) -> Self {
        use kenshu_app::learning::LearningError;
        match e {
            LearningError::NotFound => AppError::NotFound,
            LearningError::Database(e) => AppError::Database(e),
        }
    }
}

impl From<kenshu_app::plan::PlanError> for AppError {
    fn from(e: kenshu_app::plan::PlanError) -> Self {
        use kenshu_app::plan::PlanError;
        match e {
            PlanError::Exists => AppError::BadRequest(t().plan_exists.into()),
            PlanError::NoPrevious => AppError::BadRequest(t().plan_no_previous.into()),
            PlanError::NotFound => AppError::NotFound,
            PlanError::Approved => AppError::BadRequest(t().plan_locked.into()),
            PlanError::Database(e) => AppError::Database(e),
        }
    }
}

impl From<kenshu_app::in_person::InPersonError> for AppError {
    fn from(e: kenshu_app::in_person::InPersonError) -> Self {
        use kenshu_app::in_person::InPersonError;
        match e {
            InPersonError::NotFound => AppError::NotFound,
            InPersonError::UnknownCourse => AppError::BadRequest(t().ip_fix_course.into()),
            InPersonError::NotStarted => AppError::BadRequest(t().ip_checklist_not_yet.into()),
            InPersonError::Full => AppError::BadRequest(t().ip_full.into()),
            InPersonError::NotAttended => AppError::BadRequest(t().ip_correct_not_attended.into()),
            InPersonError::PlaceTaken => AppError::Invalid {
                field: t().ip_place,
                fix: t().ip_place_taken,
            },
            InPersonError::Database(e) => AppError::Database(e),
        }
    }
}
