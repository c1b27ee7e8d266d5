//! The report of an import, for the command line and the web page alike: its lists, their
//! lines in the reader's language, and the counts.

use kenshu_core::i18n::Catalogue;
use kenshu_core::roster::{ImportPlan, MassChange};
use time::Date;

/// One list of the import report: what it is, how many, and every line.
#[derive(Debug, Clone)]
pub struct ReportSection {
    /// `new_divisions`, `changed_divisions`, `new_staff`, `transfers`, `leavers`, `changed`, `errors`.
    pub key: &'static str,
    pub title_en: &'static str,
    pub total: usize,
    pub lines: Vec<String>,
}

/// What an import found and did, for the command line and the web page alike, in the language
/// of the catalogue the import was given (the command line's is Japanese).
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub encoding: &'static str,
    /// Data records read (valid or not).
    pub rows: usize,
    /// A problem with the whole file (encoding, header): nothing else was looked at.
    pub file_error: Option<String>,
    /// Header cells used, as 「在職区分 → 在職状況」, and those ignored.
    pub used: Vec<String>,
    pub ignored: Vec<String>,
    pub sections: Vec<ReportSection>,
    pub errors: usize,
    /// Errors counted by column and kind, most frequent first: (「採用日の形式」, 300).
    pub error_counts: Vec<(String, usize)>,
    /// Most of the institution new or leaving (refused unless confirmed).
    pub mass_change: Option<MassChange>,
    pub noop: bool,
    pub applied: bool,
    /// Login IDs of the accounts the import created.
    pub new_logins: Vec<String>,
    /// `divisions: new=N renamed=N moved=N`.
    pub division_summary: String,
    /// `new=N transfers=N leavers=N changed=N errors=N`.
    pub summary: String,
}

fn section<T>(
    key: &'static str,
    title_en: &'static str,
    items: &[T],
    line: impl Fn(&T) -> String,
) -> ReportSection {
    ReportSection {
        key,
        title_en,
        total: items.len(),
        lines: items.iter().map(line).collect(),
    }
}

/// The report's lines in `t`'s language (dates as it writes them), for the command line and
/// the web page alike. A change dated after `today` is marked as scheduled (予定).
pub(super) fn describe(t: &Catalogue, p: &ImportPlan<'_>, today: Date) -> Vec<ReportSection> {
    // The account closes when the last day has ended.
    let yesterday = today.previous_day().unwrap_or(today);
    vec![
        section("new_divisions", "new divisions", &p.new_divisions, |d| {
            t.roster_new_division(d)
        }),
        section(
            "changed_divisions",
            "renamed or moved divisions",
            &p.changed_divisions,
            |d| t.roster_changed_division(d),
        ),
        section("new_staff", "new staff", &p.new_people, |r| {
            t.roster_new_person(r)
        }),
        section("transfers", "transfers", &p.transfers, |x| {
            t.roster_transfer(x, x.effective > today)
        }),
        section("leavers", "leavers", &p.leavers, |l| {
            t.roster_leaver(l, l.on > yesterday)
        }),
        section("changed", "changed", &p.changes, |c| {
            t.roster_field_change(c)
        }),
        section("errors", "errors", &p.errors, |e| e.in_words(t)),
    ]
    .into_iter()
    .filter(|s| s.total > 0)
    .collect()
}
