//! A person's learning: sections read and completions (their tests are in `crate::exam`).
//!
//! `courses` reads where a learner stands in their courses and records sections read;
//! `completion` decides and records a completed course; `division` reads a whole division's
//! progress for its dashboard.

mod completion;
mod courses;
mod division;

pub use completion::{complete, settle_course, settle_course_with};
pub use courses::{
    Completion, CourseProgress, CourseSummary, VerifiedCertificate, course_progress, mark_read,
    section_progress, summaries, verify_certificate,
};
pub use division::{DivisionProgress, division_progress};

use kenshu_core::FiscalYear;
use uuid::Uuid;

/// Who and when: the key of every progress query.
#[derive(Debug, Clone, Copy)]
pub struct Learner {
    pub institution_id: Uuid,
    pub user_id: Uuid,
    pub fiscal_year: FiscalYear,
}
