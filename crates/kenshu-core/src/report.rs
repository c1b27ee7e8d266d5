//! The annual attendance report (研修受講状況報告書) and the attendance list (研修出欠リスト):
//! the row model, the cells each format shows, per-division totals and the CSV encodings.
//!
//! Who is in the report: everyone on the roster at some day of the fiscal year (hired on or
//! before its last day, and not left before its first). A person who left during the year
//! keeps the courses they were assigned on the day they left, judged on that day: a leaver
//! is never overdue for a deadline that fell after they had gone.

use time::Date;

use crate::assignment::{CompletionMethod, Status};
use crate::fiscal_year::japanese_date;
use crate::i18n::Catalogue;

/// One person and one course they were assigned in the fiscal year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub division_code: String,
    pub division_name: String,
    pub employee_number: String,
    pub name: String,
    /// Designations held at some day of the fiscal year, in Japanese, joined with 、.
    pub designations: String,
    pub course_code: String,
    pub course_title: String,
    pub status: Status,
    pub method: Option<CompletionMethod>,
    pub completed_on: Option<Date>,
    pub score: Option<(i32, i32)>,
    /// The plan's deadline (or the newcomer's individual one).
    pub deadline: Date,
    /// 再受講の機会: the new deadline, when one was granted.
    pub retake_deadline: Option<Date>,
    pub left_on: Option<Date>,
}

impl Row {
    /// Completed after the original deadline (in a re-attendance window, or simply late).
    pub fn late(&self) -> bool {
        self.completed_on.is_some_and(|d| d > self.deadline)
    }

    /// The re-attendance cell: the new deadline and whether the completion came after the
    /// original deadline, so the report shows both the miss and the later completion.
    pub fn retake_note(&self, t: &Catalogue, date: &dyn Fn(Date) -> String) -> String {
        let mut parts = Vec::new();
        if let Some(d) = self.retake_deadline {
            parts.push(t.report_retake_until.replace("{date}", &date(d)));
        }
        if self.late() {
            parts.push(t.report_late.to_string());
        }
        parts.join(t.report_note_sep)
    }

    /// The remarks of the lists: the re-attendance note and, for a leaver, the day they left.
    pub fn note(&self, t: &Catalogue, date: &dyn Fn(Date) -> String) -> String {
        let mut note = self.retake_note(t, date);
        if let Some(l) = self.left_on {
            if !note.is_empty() {
                note.push_str(t.report_note_sep);
            }
            note.push_str(&t.report_left.replace("{date}", &date(l)));
        }
        note
    }

    /// Every cell of the row as text, in `headers` order; names in `t`'s language, dates by
    /// `date`.
    pub fn cells(&self, t: &Catalogue, date: &dyn Fn(Date) -> String) -> [String; 13] {
        [
            self.division_code.clone(),
            self.division_name.clone(),
            self.employee_number.clone(),
            self.name.clone(),
            self.designations.clone(),
            self.course_title.clone(),
            t.status(self.status).to_string(),
            self.method
                .map(|m| t.completion_method(m).to_string())
                .unwrap_or_default(),
            self.completed_on.map(date).unwrap_or_default(),
            self.score
                .map(|(s, t)| format!("{s}/{t}"))
                .unwrap_or_default(),
            date(self.deadline),
            self.retake_note(t, date),
            self.left_on.map(date).unwrap_or_default(),
        ]
    }
}

/// One person and one rule (規程) the plan required them to acknowledge in the fiscal year:
/// written after their courses, in the same columns (the course column names the rule and its
/// current version, the status column says 確認済み, 未確認 or 期限超過, the completion date is
/// when the current version was acknowledged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRow {
    pub who: Who,
    pub code: String,
    pub title: String,
    /// The current version: the one that counts.
    pub version: i32,
    pub state: crate::plan::RuleState,
    /// When the current version was acknowledged (in Japan).
    pub acknowledged_on: Option<Date>,
    /// An earlier version acknowledged, when the current one is not.
    pub earlier_version: Option<i32>,
    pub deadline: Date,
}

/// Whom a rule's or a drill's row is about: the first five columns, and the day a leaver left
/// (the last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    pub division_code: String,
    pub division_name: String,
    pub employee_number: String,
    pub name: String,
    /// Designations held at some day of the fiscal year, joined.
    pub designations: String,
    pub left_on: Option<Date>,
}

/// A row of the report besides a course's (a required rule's, a mail drill's), in the
/// courses' columns: the formats write every kind the same way.
pub trait OtherRow {
    fn who(&self) -> &Who;
    /// The columns from the course's to the deadline's: item, status, method, completed on,
    /// score, deadline.
    fn item_cells(&self, t: &Catalogue, date: &dyn Fn(Date) -> String) -> [String; 6];
    /// The remarks (the re-attendance column), the day a leaver left aside.
    fn remarks(&self, t: &Catalogue, date: &dyn Fn(Date) -> String) -> Vec<String>;
    /// Something is still to be done: marked in the printed report.
    fn open(&self) -> bool;

    /// The remarks as the printed report shows them, the day a leaver left included.
    fn note(&self, t: &Catalogue, date: &dyn Fn(Date) -> String) -> String {
        let mut parts = self.remarks(t, date);
        if let Some(l) = self.who().left_on {
            parts.push(t.report_left.replace("{date}", &date(l)));
        }
        parts.join(t.report_note_sep)
    }

    /// Every cell of the row as text, in `headers` order.
    fn cells(&self, t: &Catalogue, date: &dyn Fn(Date) -> String) -> [String; 13] {
        let who = self.who();
        let [item, status, method, completed, score, deadline] = self.item_cells(t, date);
        [
            who.division_code.clone(),
            who.division_name.clone(),
            who.employee_number.clone(),
            who.name.clone(),
            who.designations.clone(),
            item,
            status,
            method,
            completed,
            score,
            deadline,
            self.remarks(t, date).join(t.report_note_sep),
            who.left_on.map(date).unwrap_or_default(),
        ]
    }
}

impl RuleRow {
    /// The rule as the course column names it: `規程の確認: 特定個人情報取扱規程 第2版`.
    pub fn item(&self, t: &Catalogue) -> String {
        t.report_rule_item.replace(
            "{title}",
            &format!("{} {}", self.title, t.rule_version(self.version)),
        )
    }
}

impl OtherRow for RuleRow {
    fn who(&self) -> &Who {
        &self.who
    }

    /// The state in the status column, the day the current version was acknowledged in the
    /// completion column.
    fn item_cells(&self, t: &Catalogue, date: &dyn Fn(Date) -> String) -> [String; 6] {
        [
            self.item(t),
            t.rule_state(self.state).to_string(),
            String::new(),
            self.acknowledged_on.map(date).unwrap_or_default(),
            String::new(),
            date(self.deadline),
        ]
    }

    /// An earlier version acknowledged, when the current one is not.
    fn remarks(&self, t: &Catalogue, _date: &dyn Fn(Date) -> String) -> Vec<String> {
        self.earlier_version
            .map(|v| format!("{} {}", t.rule_version(v), t.rules_done))
            .into_iter()
            .collect()
    }

    fn open(&self) -> bool {
        self.state != crate::plan::RuleState::Acknowledged
    }
}

/// One person and one mail drill (標的型メール訓練) whose mail reached them in the fiscal
/// year: written after their courses and rules when the plan counts drills as training.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillRow {
    pub who: Who,
    pub drill: Drilled,
}

/// One of the year's mail drills whose mail reached a person, and what they did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drilled {
    pub title: String,
    /// The day the mail was sent (days in Japan).
    pub sent_on: Date,
    /// The first press of the link page's button.
    pub clicked_on: Option<Date>,
    pub reported_on: Option<Date>,
    /// The follow-up course assigned after the click: its deadline, and whether it was done
    /// (a pass of its test after the click).
    pub follow_up: Option<(Date, bool)>,
}

impl Drilled {
    /// What the person did: the words of the status column.
    pub fn outcome<'a>(&self, t: &'a Catalogue) -> &'a str {
        match (self.clicked_on.is_some(), self.reported_on.is_some()) {
            (false, true) => t.report_drill_reported,
            (true, true) => t.report_drill_clicked_reported,
            (true, false) => t.report_drill_clicked,
            (false, false) => t.report_drill_nothing,
        }
    }
}

impl OtherRow for DrillRow {
    fn who(&self) -> &Who {
        &self.who
    }

    /// The drill in the course column, what they did in the status column, the day they
    /// reported in the completion column, the follow-up's deadline in the deadline column.
    fn item_cells(&self, t: &Catalogue, date: &dyn Fn(Date) -> String) -> [String; 6] {
        [
            t.report_drill_item.replace("{title}", &self.drill.title),
            self.drill.outcome(t).to_string(),
            String::new(),
            self.drill.reported_on.map(date).unwrap_or_default(),
            String::new(),
            self.drill
                .follow_up
                .map(|(d, _)| date(d))
                .unwrap_or_default(),
        ]
    }

    /// The day sent and the follow-up's state.
    fn remarks(&self, t: &Catalogue, date: &dyn Fn(Date) -> String) -> Vec<String> {
        let mut parts = vec![
            t.report_drill_sent
                .replace("{date}", &date(self.drill.sent_on)),
        ];
        if let Some((_, done)) = self.drill.follow_up {
            parts.push(
                if done {
                    t.report_drill_follow_up_done
                } else {
                    t.report_drill_follow_up_open
                }
                .to_string(),
            );
        }
        parts
    }

    /// Opened the link and has not done the follow-up yet (or had none to do and did not
    /// report).
    fn open(&self) -> bool {
        self.drill.clicked_on.is_some()
            && match self.drill.follow_up {
                Some((_, done)) => !done,
                None => self.drill.reported_on.is_none(),
            }
    }
}

/// The totals of one required rule across the institution: the report's summary of rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleTotals {
    pub code: String,
    pub title: String,
    pub version: i32,
    pub required: u64,
    pub acknowledged: u64,
    pub overdue: u64,
}

impl RuleTotals {
    pub fn add(&mut self, row: &RuleRow) {
        self.required += 1;
        match row.state {
            crate::plan::RuleState::Acknowledged => self.acknowledged += 1,
            crate::plan::RuleState::Overdue => self.overdue += 1,
            crate::plan::RuleState::Pending => {}
        }
    }

    pub fn pending(&self) -> u64 {
        self.required
            .saturating_sub(self.acknowledged + self.overdue)
    }

    /// The summary's cells, in `rule_summary_headers` order.
    pub fn cells(&self, t: &Catalogue) -> Vec<String> {
        vec![
            self.title.clone(),
            t.rule_version(self.version),
            self.required.to_string(),
            self.acknowledged.to_string(),
            self.overdue.to_string(),
            self.pending().to_string(),
        ]
    }
}

/// The headers of the rules' summary.
pub fn rule_summary_headers(t: &Catalogue) -> [&'static str; 6] {
    [
        t.rules_col_rule,
        t.rules_version,
        t.rules_col_required,
        t.rules_done,
        t.rules_overdue,
        t.rules_pending,
    ]
}

/// The column headers of the report, one per `Row::cells` entry.
pub fn headers(t: &Catalogue) -> [&'static str; 13] {
    [
        t.report_col_division_code,
        t.report_col_division,
        t.report_col_employee_number,
        t.report_col_name,
        t.report_col_designations,
        t.report_col_course,
        t.report_col_status,
        t.report_col_method,
        t.report_col_completed_on,
        t.report_col_score,
        t.report_col_deadline,
        t.report_col_retake,
        t.report_col_left_on,
    ]
}

/// The summary's headers: the words the overview page uses too (`figures_headers`).
pub fn summary_headers(t: &Catalogue) -> [&'static str; 10] {
    let f = figures_headers(t);
    [
        t.report_col_division_code,
        t.report_col_division,
        f[0],
        f[1],
        f[2],
        f[3],
        f[4],
        f[5],
        f[6],
        f[7],
    ]
}

/// The words of the figures of a division, in `DivisionTotals::figures` order, on the
/// overview page and in the report's summary alike; `Catalogue::figures_explained` says what
/// they count.
pub fn figures_headers(t: &Catalogue) -> [&'static str; 8] {
    [
        t.report_col_people,
        t.report_col_assignments,
        t.report_col_completed,
        t.report_col_in_person,
        t.report_col_overdue,
        t.report_col_exempt,
        t.report_col_pending,
        t.report_col_rate,
    ]
}

/// Dates for the machine-readable formats (CSV, XLSX): `2025-10-01`.
pub fn iso_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Dates for the printed report: `令和7年10月1日`.
pub fn wareki(d: Date) -> String {
    japanese_date(d)
}

/// Dates for the printed report in `t`'s language: `令和7年10月1日`, `1 Oct 2025`.
pub fn printed_date(t: &'static Catalogue) -> impl Fn(Date) -> String + Send + Sync {
    move |d| t.date(d)
}

/// 修了率 as the overview page and the report both write it: `done` of `due` in percent with
/// one decimal, rounded half up (11 of 34 is 32.4%); None when nobody was due.
pub fn completion_rate(done: u64, due: u64) -> Option<String> {
    let per_mille = per_mille(done, due)?;
    Some(format!("{}.{}%", per_mille / 10, per_mille % 10))
}

/// `done` of `due` in tenths of a percent, half rounded up (`None` when nothing was due): the
/// one rounding of every rate the portal shows.
pub fn per_mille(done: u64, due: u64) -> Option<u64> {
    (done * 1000 + due / 2).checked_div(due)
}

/// Totals of one division: the figures the overview page and the report's summary both show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DivisionTotals {
    pub code: String,
    pub name: String,
    /// 対象者: people with at least one assignment in the year (a leaver included).
    pub people: u64,
    /// 受講割当: rows (person × course) in the report.
    pub targets: u64,
    /// Completed, by either method.
    pub completed: u64,
    pub in_person: u64,
    pub overdue: u64,
    pub exempt: u64,
}

impl DivisionTotals {
    /// Neither completed nor exempt nor overdue: not started or in progress, in time.
    pub fn pending(&self) -> u64 {
        self.targets
            .saturating_sub(self.completed + self.overdue + self.exempt)
    }

    pub fn add(&mut self, row: &Row) {
        self.targets += 1;
        match row.status {
            Status::Completed => self.completed += 1,
            Status::CompletedInPerson => {
                self.completed += 1;
                self.in_person += 1;
            }
            Status::Overdue => self.overdue += 1,
            Status::Exempt => self.exempt += 1,
            Status::NotStarted | Status::InProgress => {}
        }
    }

    /// Completed of those who had to take the course (exempt ones left out), in percent with
    /// one decimal: `87.5%`; `-` when nobody had to.
    pub fn rate(&self) -> String {
        completion_rate(self.completed, self.targets.saturating_sub(self.exempt))
            .unwrap_or_else(|| "-".into())
    }

    /// The counts in `figures_headers` order (the rate, a text, follows them).
    pub fn counts(&self) -> [u64; 7] {
        [
            self.people,
            self.targets,
            self.completed,
            self.in_person,
            self.overdue,
            self.exempt,
            self.pending(),
        ]
    }

    /// The figures as text, in `figures_headers` order.
    pub fn figures(&self) -> [String; 8] {
        let c = self.counts();
        [
            c[0].to_string(),
            c[1].to_string(),
            c[2].to_string(),
            c[3].to_string(),
            c[4].to_string(),
            c[5].to_string(),
            c[6].to_string(),
            self.rate(),
        ]
    }

    /// The summary's cells, in `summary_headers` order.
    pub fn cells(&self) -> Vec<String> {
        let mut cells = vec![self.code.clone(), self.name.clone()];
        cells.extend(self.figures());
        cells
    }
}

/// Totals per division in report order (rows arrive grouped by division), and the whole.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub divisions: Vec<DivisionTotals>,
    /// The employee number of the last row, to count people (their rows arrive together).
    last_person: Option<String>,
}

impl Summary {
    /// Counts a row; true when it starts a new division.
    pub fn add(&mut self, row: &Row) -> bool {
        let new = self
            .divisions
            .last()
            .is_none_or(|d| d.code != row.division_code);
        if new {
            self.divisions.push(DivisionTotals {
                code: row.division_code.clone(),
                name: row.division_name.clone(),
                ..DivisionTotals::default()
            });
        }
        let person = new || self.last_person.as_deref() != Some(&row.employee_number);
        if person {
            self.last_person = Some(row.employee_number.clone());
        }
        if let Some(d) = self.divisions.last_mut() {
            d.people += u64::from(person);
            d.add(row);
        }
        new
    }

    /// The whole institution, named `t.report_total`.
    pub fn total(&self, total: &str) -> DivisionTotals {
        let mut t = DivisionTotals {
            code: String::new(),
            name: total.into(),
            ..DivisionTotals::default()
        };
        for d in &self.divisions {
            t.people += d.people;
            t.targets += d.targets;
            t.completed += d.completed;
            t.in_person += d.in_person;
            t.overdue += d.overdue;
            t.exempt += d.exempt;
        }
        t
    }
}

/// One CSV line (RFC 4180: quoted when needed, CRLF). Cells starting with `=`, `+`, `-` or `@`
/// get a leading apostrophe so that Excel never runs them as formulas.
pub fn csv_line<S: AsRef<str>>(cells: &[S]) -> String {
    let mut out = String::new();
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let c = cell.as_ref();
        let c = if c.starts_with(['=', '+', '-', '@']) {
            format!("'{c}")
        } else {
            c.to_string()
        };
        if c.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&c.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&c);
        }
    }
    out.push_str("\r\n");
    out
}

/// What stands in for a character Shift_JIS (CP932) cannot encode: 〓 (the geta mark, the
/// customary sign for a missing character in Japanese print), e.g. for 𠮷 or an emoji.
pub const SJIS_REPLACEMENT: char = '〓';

/// Encodes text as Shift_JIS (Windows-31J / CP932), each character it cannot encode replaced
/// with `SJIS_REPLACEMENT`.
pub fn to_sjis(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
    if !unmappable {
        return bytes.into_owned();
    }
    let mut out = Vec::with_capacity(text.len() * 2);
    let mut buf = [0u8; 4];
    let mut geta = [0u8; 4];
    let (replacement, _, _) =
        encoding_rs::SHIFT_JIS.encode(SJIS_REPLACEMENT.encode_utf8(&mut geta));
    for ch in text.chars() {
        let s = ch.encode_utf8(&mut buf);
        let (b, _, bad) = encoding_rs::SHIFT_JIS.encode(s);
        if bad {
            out.extend_from_slice(&replacement);
        } else {
            out.extend_from_slice(&b);
        }
    }
    out
}

/// The UTF-8 byte order mark Excel needs to read a CSV as UTF-8.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{EN, JA};
    use time::macros::date;

    fn row() -> Row {
        Row {
            division_code: "a".into(),
            division_name: "市民課".into(),
            employee_number: "0001".into(),
            name: "山田 太郎".into(),
            designations: "事務取扱担当者".into(),
            course_code: "clerk".into(),
            course_title: "事務取扱担当者研修".into(),
            status: Status::Completed,
            method: Some(CompletionMethod::ELearning),
            completed_on: Some(date!(2026 - 01 - 10)),
            score: Some((9, 10)),
            deadline: date!(2025 - 12 - 31),
            retake_deadline: Some(date!(2026 - 01 - 31)),
            left_on: None,
        }
    }

    #[test]
    fn a_late_completion_shows_the_retake_and_the_miss() {
        let r = row();
        assert_eq!(
            r.retake_note(&JA, &iso_date),
            "再受講期限 2026-01-31・期限後修了"
        );
        assert_eq!(
            r.retake_note(&JA, &wareki),
            "再受講期限 令和8年1月31日・期限後修了"
        );
        assert_eq!(
            r.retake_note(&EN, &printed_date(&EN)),
            "Re-attendance until 31 Jan 2026; Completed after the deadline"
        );
        let on_time = Row {
            completed_on: Some(date!(2025 - 12 - 31)),
            retake_deadline: None,
            ..row()
        };
        assert_eq!(on_time.retake_note(&JA, &iso_date), "");
    }

    #[test]
    fn csv_lines_quote_and_defuse_formulas() {
        assert_eq!(csv_line(&["a", "b,c", "d\"e"]), "a,\"b,c\",\"d\"\"e\"\r\n");
        assert_eq!(csv_line(&["=1+1", "@x"]), "'=1+1,'@x\r\n");
    }

    #[test]
    fn sjis_replaces_what_cp932_lacks() {
        let bytes = to_sjis("髙橋𠮷野🙂");
        let (back, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
        assert!(!bad);
        assert_eq!(
            back, "髙橋〓野〓",
            "CP932 has 髙 (IBM extension) but not 𠮷"
        );
    }

    #[test]
    fn totals_count_statuses_and_rate_leaves_out_the_exempt() {
        let mut s = Summary::default();
        assert!(s.add(&row()));
        assert!(!s.add(&Row {
            status: Status::CompletedInPerson,
            ..row()
        }));
        assert!(!s.add(&Row {
            status: Status::Exempt,
            ..row()
        }));
        assert!(!s.add(&Row {
            status: Status::Overdue,
            ..row()
        }));
        assert!(!s.add(&Row {
            employee_number: "0002".into(),
            status: Status::NotStarted,
            ..row()
        }));
        let d = &s.divisions[0];
        assert_eq!(
            (
                d.people,
                d.targets,
                d.completed,
                d.in_person,
                d.overdue,
                d.exempt
            ),
            (2, 5, 2, 1, 1, 1)
        );
        assert_eq!(d.pending(), 1);
        assert_eq!(d.rate(), "50.0%", "2 of the 4 not exempt");
        assert_eq!(s.total(JA.report_total).targets, 5);
        assert_eq!(s.total(JA.report_total).people, 2);
        assert_eq!(
            d.cells(),
            ["a", "市民課", "2", "5", "2", "1", "1", "1", "1", "50.0%"]
        );
    }
}
