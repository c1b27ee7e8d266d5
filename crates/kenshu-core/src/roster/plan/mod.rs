//! What an import would change: computed in memory from the file and the portal's current
//! roster, shown as the dry run, then applied as it is. This module holds what a plan is made
//! of; `compare` computes it row by row and `checks` adds the checks across the whole file.

mod checks;
mod compare;
#[cfg(test)]
mod tests;

pub use compare::{last_day, plan};

use crate::person::EmployeeNumber;
use time::Date;

use super::{PersonStatus, RosterRow, RowError};

/// A person as the portal has them now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingPerson {
    pub employee_number: EmployeeNumber,
    pub name: String,
    pub kana: Option<String>,
    pub email: Option<String>,
    /// Their division today.
    pub division_code: String,
    pub employment_type: String,
    pub hired_on: Option<Date>,
    pub status: PersonStatus,
    /// A transfer imported ahead of its day: the division and the day it takes effect.
    pub pending: Option<(String, Date)>,
    /// Their last day: past for people who left, ahead for a leaving imported ahead of its day.
    pub left_on: Option<Date>,
}

impl ExistingPerson {
    /// The division they are in on `day`, counting a transfer that is still to come.
    pub fn division_on(&self, day: Date) -> &str {
        match &self.pending {
            Some((code, due)) if day >= *due => code,
            _ => &self.division_code,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingDivision {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
}

/// A division the import creates, or renames / moves in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DivisionChange {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub old_name: Option<String>,
    pub old_parent_code: Option<String>,
}

impl DivisionChange {
    pub fn renamed(&self) -> bool {
        self.old_name.as_ref().is_some_and(|o| *o != self.name)
    }

    pub fn moved(&self) -> bool {
        self.old_name.is_some() && self.old_parent_code != self.parent_code
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub employee_number: EmployeeNumber,
    pub name: String,
    pub from: String,
    pub to: String,
    /// The first day in the new division.
    pub effective: Date,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaver {
    pub employee_number: EmployeeNumber,
    pub name: String,
    pub division_code: String,
    /// Their last day (退職日): the account closes when it has ended.
    pub on: Date,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub employee_number: EmployeeNumber,
    pub field: &'static str,
    pub old: String,
    pub new: String,
}

/// How an import is to be read.
#[derive(Debug, Clone, Copy)]
pub struct PlanOptions {
    /// The file lists everyone: people missing from it have left (their last day is the day
    /// before `default_on`).
    pub complete: bool,
    /// The day a row's transfer takes effect when it gives no 異動日 (`--effective`, else today).
    pub default_on: Date,
    /// Today: changes dated after it are scheduled, not made now.
    pub today: Date,
    /// The operator has confirmed a change that makes most of the institution new or leaving.
    pub allow_mass_change: bool,
}

/// A change that makes most of the institution new or leaving: what a file whose employee
/// numbers lost their leading zeros, or the wrong institution's file, looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MassChange {
    pub new: usize,
    pub leavers: usize,
    /// People at work (not left) in the portal before the import.
    pub active: usize,
}

/// The smallest institution the mass-change check applies to: below it, half is a handful of
/// people and an ordinary year's file.
pub const MASS_CHANGE_MIN: usize = 10;

/// Everything an import would do. Nothing is applied while `errors` is not empty.
#[derive(Debug, Default)]
pub struct ImportPlan<'a> {
    pub new_divisions: Vec<DivisionChange>,
    pub changed_divisions: Vec<DivisionChange>,
    pub new_people: Vec<&'a RosterRow>,
    pub transfers: Vec<Transfer>,
    pub leavers: Vec<Leaver>,
    /// Rows whose person's details changed (name, kana, e-mail, status…), with each change.
    pub changed_people: Vec<&'a RosterRow>,
    pub changes: Vec<FieldChange>,
    pub unchanged: usize,
    pub mass_change: Option<MassChange>,
    pub errors: Vec<RowError>,
}

impl ImportPlan<'_> {
    /// `new=N transfers=N leavers=N changed=N errors=N`, the last line of every import.
    pub fn summary(&self) -> String {
        format!(
            "new={} transfers={} leavers={} changed={} errors={}",
            self.new_people.len(),
            self.transfers.len(),
            self.leavers.len(),
            self.changed_people.len(),
            self.errors.len()
        )
    }

    /// `divisions: new=N renamed=N moved=N`, the line before the summary.
    pub fn division_summary(&self) -> String {
        let count =
            |f: fn(&DivisionChange) -> bool| self.changed_divisions.iter().filter(|d| f(d)).count();
        format!(
            "divisions: new={} renamed={} moved={}",
            self.new_divisions.len(),
            count(DivisionChange::renamed),
            count(DivisionChange::moved)
        )
    }

    pub fn is_noop(&self) -> bool {
        self.new_divisions.is_empty()
            && self.changed_divisions.is_empty()
            && self.new_people.is_empty()
            && self.transfers.is_empty()
            && self.leavers.is_empty()
            && self.changed_people.is_empty()
    }
}
