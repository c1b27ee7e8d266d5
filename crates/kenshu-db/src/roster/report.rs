//! The report of an import, for the command line and the web page alike: its lists, their
//! lines in Japanese, and the counts.

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

/// What an import found and did, for the command line and the web page alike.
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

/// The Japanese name of a roster column key (the first header `gen roster` writes).
pub(super) fn column_ja(key: &str) -> &'static str {
    kenshu_core::roster::COLUMNS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or("", |(_, names)| names[0])
}

/// The report's lines, in Japanese (dates in the Japanese calendar), for the command line and
/// the web page alike. A change dated after `today` is marked as scheduled (予定).
pub(super) fn describe(p: &ImportPlan<'_>, today: Date) -> Vec<ReportSection> {
    use kenshu_core::fiscal_year::japanese_date as jd;
    let parent = |c: &Option<String>| {
        c.as_ref()
            .map(|c| format!("（上位: {c}）"))
            .unwrap_or_default()
    };
    let field = |f: &str| {
        match f {
            "name" => "氏名",
            "kana" => "氏名カナ",
            "email" => "メールアドレス",
            "employment_type" => "雇用形態",
            "hire_date" => "採用日",
            "status" => "在職状況",
            other => other,
        }
        .to_string()
    };
    let when = |d: Date, after: Date| if d > after { "・予定" } else { "" };
    vec![
        section("new_divisions", "new divisions", &p.new_divisions, |d| {
            format!("+ {} {}{}", d.code, d.name, parent(&d.parent_code))
        }),
        section(
            "changed_divisions",
            "renamed or moved divisions",
            &p.changed_divisions,
            |d| {
                format!(
                    "~ {}: {} → {}{}",
                    d.code,
                    d.old_name.clone().unwrap_or_default(),
                    d.name,
                    parent(&d.parent_code)
                )
            },
        ),
        section("new_staff", "new staff", &p.new_people, |r| {
            format!("+ {} {}（{}）", r.employee_number, r.name, r.division_code)
        }),
        section("transfers", "transfers", &p.transfers, |t| {
            format!(
                "→ {} {}: {} → {}（{}付{}）",
                t.employee_number,
                t.name,
                t.from,
                t.to,
                jd(t.effective),
                when(t.effective, today)
            )
        }),
        section("leavers", "leavers", &p.leavers, |l| {
            format!(
                "- {} {}（{}）{}付で退職{}",
                l.employee_number,
                l.name,
                l.division_code,
                jd(l.on),
                // The account closes when the last day has ended.
                when(l.on, today.previous_day().unwrap_or(today))
            )
        }),
        section("changed", "changed", &p.changes, |c| {
            format!(
                "~ {} {}: 「{}」→「{}」",
                c.employee_number,
                field(c.field),
                c.old,
                c.new
            )
        }),
        section("errors", "errors", &p.errors, |e| e.to_string()),
    ]
    .into_iter()
    .filter(|s| s.total > 0)
    .collect()
}
