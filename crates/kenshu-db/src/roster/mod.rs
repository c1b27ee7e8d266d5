//! Applying a roster import: the portal's current roster as the planner needs it, and the
//! plan written in one transaction with a handful of set-based statements, whatever the size.
//!
//! `import` runs an import from the file's bytes to its report (`report`); `apply` writes a
//! plan with the moves of `moves`, which the demo data uses too; `schedule` makes the changes
//! dated ahead when their day comes; `uploads` keeps a file between its dry run and its
//! application.

mod apply;
mod import;
mod moves;
mod report;
mod schedule;
mod uploads;

pub use apply::apply;
pub use import::{import, snapshot};
pub use moves::{leave_people, transfer_people};
pub use report::{ImportReport, ReportSection};
pub use schedule::{Pending, TookEffect, pending, take_effect, take_effect_in};
pub use uploads::{mark_applied, stage, staged};
