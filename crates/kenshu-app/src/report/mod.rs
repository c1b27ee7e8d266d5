//! The annual attendance report (研修受講状況報告書) in XLSX, CSV (UTF-8 with BOM, or
//! Shift_JIS) and printable HTML, and the per-course attendance list (研修出欠リスト). The
//! `kenshu report` command and the `/reports` pages both write through the functions here:
//! people stream from the database one at a time and rows go straight to the writer, so memory
//! stays flat however large the institution.

mod attendance;
mod csv;
mod html;
mod xlsx;

use std::collections::HashMap;
use std::io::{self, Write};

use futures_util::StreamExt;
use kenshu_core::FiscalYear;
use kenshu_core::assignment::{Progress, status};
use kenshu_core::audit::{AuditAction, Head};
use kenshu_core::i18n::Catalogue;
use kenshu_core::plan::{Plan, year_assignments, year_rule_assignments};
use kenshu_core::report::{DrillRow, OtherRow, Row, RuleRow, RuleTotals, Summary, Who, iso_date};
use kenshu_db::PgConnection;
use kenshu_db::plan::PlanRecord;
use kenshu_db::report::ReportPerson;
use time::Date;
use uuid::Uuid;

pub use attendance::{ListFormat, attendance};
pub use xlsx::table as xlsx_table;

use crate::audit::Actor;

/// The formats of the annual report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Csv,
    CsvSjis,
    Html,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Xlsx, Format::Csv, Format::CsvSjis, Format::Html];

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "xlsx" => Some(Format::Xlsx),
            "csv" => Some(Format::Csv),
            "csv-sjis" => Some(Format::CsvSjis),
            "html" => Some(Format::Html),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
            Format::CsvSjis => "csv-sjis",
            Format::Html => "html",
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Csv | Format::CsvSjis => "csv",
            Format::Html => "html",
        }
    }

    /// The media type of the file.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Csv => "text/csv; charset=utf-8",
            Format::CsvSjis => "text/csv; charset=Shift_JIS",
            Format::Html => "text/html; charset=utf-8",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// People read `Catalogue::report_no_plan` (web) or the CLI's sentence, not this.
    #[error("no approved training plan for FY{}", .0.start().year())]
    NoPlan(FiscalYear),
    #[error("course {course} is not in the training plan for FY{year}", course = .0, year = .1.start().year())]
    UnknownCourse(String, FiscalYear),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("write: {0}")]
    Io(#[from] io::Error),
    #[error("xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

/// What a report is about.
pub struct Subject<'a> {
    pub institution_id: Uuid,
    pub institution_name: &'a str,
    pub fy: FiscalYear,
    /// Today in Japan: statuses are judged on it.
    pub today: Date,
    /// The language the document is written in: the request's on the web, Japanese from the
    /// command line.
    pub t: &'static Catalogue,
}

/// What the audit log says of an export, from the command line or the web, report or
/// attendance list: which year, which format, how many rows.
fn export_detail(fy: FiscalYear, format: &str, rows: u64) -> String {
    format!("{} {format} rows={rows}", fy.year())
}

/// Records an export in the audit log: which report, which year, which format, how many rows.
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id, what, fiscal_year = fy.year(), format, rows))]
pub async fn exported(
    conn: &mut PgConnection,
    actor: &Actor<'_>,
    what: &str,
    fy: FiscalYear,
    format: &str,
    rows: u64,
) -> Result<(), sqlx::Error> {
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let detail = export_detail(fy, format, rows);
    actor
        .record(&mut tx, AuditAction::Exported, what, &detail)
        .await?;
    tx.commit().await
}

/// The approved plan of the year, or the error the user sees.
pub(crate) async fn approved_plan(
    conn: &mut PgConnection,
    s: &Subject<'_>,
) -> Result<Plan, ReportError> {
    Ok(approved_plan_record(conn, s).await?.plan)
}

/// The approved plan of the year with its required rules, or the error the user sees.
pub(crate) async fn approved_plan_record(
    conn: &mut PgConnection,
    s: &Subject<'_>,
) -> Result<PlanRecord, ReportError> {
    kenshu_db::plan::plan(conn, s.institution_id, s.fy)
        .await?
        .filter(|p| p.plan.approved)
        .ok_or(ReportError::NoPlan(s.fy))
}

/// The designations of a person held at some day of the year, in `t`'s language, joined.
fn designations_of(p: &ReportPerson, s: &Subject<'_>) -> String {
    let (fy, t) = (s.fy, s.t);
    let mut kinds: Vec<&'static str> = Vec::new();
    for h in &p.facts.designations {
        let overlaps = h.from <= fy.end() && h.to.is_none_or(|t| t >= fy.start());
        let kind = t.designation_kind(h.kind);
        if overlaps && !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    kinds.join(t.list_sep)
}

/// Whom a person's rule and drill rows are about.
fn who_of(p: &ReportPerson, s: &Subject<'_>) -> Who {
    Who {
        division_code: p.division_code.clone(),
        division_name: p.division_name.clone(),
        employee_number: p.employee_number.clone(),
        name: p.name.clone(),
        designations: designations_of(p, s),
        left_on: p.facts.left_on,
    }
}

/// The rule rows of one person: each rule the plan required of them in the year (by
/// `kenshu_core::plan::year_rule_assignments`, the courses' rule), judged as the courses are:
/// on the report day, or for a leaver on the day they left. Only an acknowledgement of the
/// current version counts.
pub fn rule_rows_of(
    p: &ReportPerson,
    plan: &PlanRecord,
    on: Date,
    s: &Subject<'_>,
) -> Vec<RuleRow> {
    if plan.rules.is_empty() {
        return Vec::new();
    }
    let today = p.facts.as_of(s.today);
    let who = who_of(p, s);
    let assigned = year_rule_assignments(&plan.plan, &plan.plan_rules(), &p.facts, s.fy, on);
    crate::rules::judge(plan, &assigned, today, |code| p.ack(code))
        .into_iter()
        .map(|r| RuleRow {
            who: who.clone(),
            acknowledged_on: r
                .acknowledged_at
                .map(|at| at.to_offset(kenshu_core::fiscal_year::JST).date()),
            earlier_version: r.last_version.filter(|v| *v != r.version),
            code: r.code,
            title: r.title,
            version: r.version,
            state: r.state,
            deadline: r.deadline,
        })
        .collect()
}

/// The drill rows of one person: each of the year's mail drills whose mail reached them (read
/// only when the plan counts drills as training).
pub fn drill_rows_of(p: &ReportPerson, s: &Subject<'_>) -> Vec<DrillRow> {
    if p.drills.is_empty() {
        return Vec::new();
    }
    let who = who_of(p, s);
    p.drills
        .iter()
        .map(|d| DrillRow {
            who: who.clone(),
            drill: d.clone(),
        })
        .collect()
}

/// The rows of one person: each course assigned to them in the year (only `course` when
/// given), by `kenshu_core::plan::year_assignments`: as of the report day, or for a leaver
/// as of the day they left (and judged on that day).
pub fn rows_of(
    p: &ReportPerson,
    plan: &Plan,
    on: Date,
    s: &Subject<'_>,
    titles: &HashMap<String, String>,
    course: Option<&str>,
) -> Vec<Row> {
    let fy = s.fy;
    let today = p.facts.as_of(s.today);
    let designations = designations_of(p, s);
    year_assignments(plan, &p.facts, fy, on)
        .into_iter()
        .filter(|a| course.is_none_or(|c| a.code == c))
        .map(|a| {
            let done = p.completion(&a.code);
            let retake = p.retake(&a.code);
            let st = status(
                Progress {
                    completed: done.map(|d| d.method),
                    exempt: p.exempt.contains(&a.code),
                    any_activity: p.activity.contains(&a.code),
                    deadline: Some(retake.unwrap_or(a.deadline)),
                },
                today,
            );
            Row {
                division_code: p.division_code.clone(),
                division_name: p.division_name.clone(),
                employee_number: p.employee_number.clone(),
                name: p.name.clone(),
                designations: designations.clone(),
                course_title: titles
                    .get(&a.code)
                    .cloned()
                    .unwrap_or_else(|| a.code.clone()),
                course_code: a.code,
                status: st,
                method: done.map(|d| d.method),
                completed_on: done.map(|d| d.on),
                score: done.and_then(|d| d.score),
                deadline: a.deadline,
                retake_deadline: retake,
                left_on: p.facts.left_on,
            }
        })
        .collect()
}

/// The year's mail drills (標的型メール訓練) as the report lists them after the summary:
/// whether the plan counts them as training, and a line per drill launched.
#[derive(Debug, Clone, Default)]
pub struct Drills {
    pub counted: bool,
    pub rows: Vec<Vec<String>>,
}

impl Drills {
    /// The header of the drills' table.
    pub fn headers(t: &Catalogue) -> [&'static str; 8] {
        [
            t.drill_field_title,
            t.drill_starts,
            t.drill_col_recipients,
            t.drill_col_sent,
            t.drill_col_clicked,
            t.drill_col_reported,
            t.drill_col_reported_only,
            t.drill_col_median,
        ]
    }

    /// What the plan says of them.
    pub fn note(&self, t: &Catalogue) -> String {
        format!(
            "{}: {}",
            t.drill_title,
            if self.counted {
                t.plan_drills_count_yes
            } else {
                t.plan_drills_count_no
            }
        )
    }

    async fn of(
        conn: &mut PgConnection,
        s: &Subject<'_>,
        counted: bool,
    ) -> Result<Drills, sqlx::Error> {
        let rows = kenshu_db::drill::year_summary(conn, s.institution_id, s.fy.year())
            .await?
            .into_iter()
            .map(|d| {
                let at = d.launched_at.to_offset(kenshu_core::fiscal_year::JST);
                let title = if d.cancelled {
                    format!(
                        "{}{}{}{}",
                        d.title, s.t.paren_open, s.t.drill_status_cancelled, s.t.paren_close
                    )
                } else {
                    d.title
                };
                vec![
                    title,
                    iso_date(at.date()),
                    d.recipients.to_string(),
                    d.sent.to_string(),
                    d.clicked.to_string(),
                    d.reported.to_string(),
                    d.reported_only.to_string(),
                    d.median_minutes
                        .map(|m| s.t.drill_minutes(m.round() as i64))
                        .unwrap_or_default(),
                ]
            })
            .collect();
        Ok(Drills { counted, rows })
    }
}

/// Something rows are written to, one at a time.
pub(crate) trait Sink: Send {
    fn row(&mut self, row: &Row, new_division: bool) -> Result<(), ReportError>;
    /// A rule's or a drill's row, after the person's course rows.
    fn other_row(&mut self, row: &dyn OtherRow, new_division: bool) -> Result<(), ReportError>;
    /// Writes the summary (the rules' after the divisions', when the plan requires rules)
    /// and the audit log's head as it was when the report began.
    fn finish(
        self: Box<Self>,
        summary: &Summary,
        rules: &[RuleTotals],
        drills: &Drills,
        head: Option<&Head>,
    ) -> Result<(), ReportError>;
}

/// Writes the annual report of `s.fy` to `out`; returns the number of rows.
#[tracing::instrument(skip_all, fields(institution = %s.institution_id, fiscal_year = s.fy.year(), format = format.as_str()))]
pub async fn annual<W: Write + Send + 'static>(
    conn: &mut PgConnection,
    s: &Subject<'_>,
    format: Format,
    out: W,
) -> Result<u64, ReportError> {
    let record = approved_plan_record(conn, s).await?;
    let plan = &record.plan;
    let head = kenshu_db::audit::head(conn, s.institution_id).await?;
    let titles = kenshu_db::content::course_titles(conn).await?;
    let title = format!(
        "{} {} {}",
        s.institution_name,
        s.t.fy(s.fy),
        s.t.report_annual
    );
    let mut sink: Box<dyn Sink> = match format {
        Format::Xlsx => Box::new(xlsx::XlsxSink::new(out, s.t, &title)?),
        Format::Csv => Box::new(csv::CsvSink::new(out, false, s.t)?),
        Format::CsvSjis => Box::new(csv::CsvSink::new(out, true, s.t)?),
        Format::Html => Box::new(html::HtmlSink::new(out, s, &title)?),
    };
    let on = s.fy.judged_on(s.today);
    let mut summary = Summary::default();
    let mut rules: Vec<RuleTotals> = record
        .rules
        .iter()
        .map(|r| RuleTotals {
            code: r.rule.code.clone(),
            title: r.title.clone(),
            version: r.version,
            ..RuleTotals::default()
        })
        .collect();
    let mut n = 0u64;
    // A division starts with its first row, a course's or a rule's.
    let mut division: Option<String> = None;
    // When the plan counts the year's drills as training, each person's drills follow their
    // rules.
    let mut people =
        kenshu_db::report::people(conn, s.institution_id, s.fy, on, None, record.drills_count);
    let mut starts = |code: &str| {
        let new = division.as_deref() != Some(code);
        if new {
            division = Some(code.to_string());
        }
        new
    };
    while let Some(p) = people.next().await {
        let p = p?;
        for row in rows_of(&p, plan, on, s, &titles, None) {
            summary.add(&row);
            sink.row(&row, starts(&row.division_code))?;
            n += 1;
        }
        for row in rule_rows_of(&p, &record, on, s) {
            if let Some(t) = rules.iter_mut().find(|t| t.code == row.code) {
                t.add(&row);
            }
            sink.other_row(&row, starts(&row.who.division_code))?;
            n += 1;
        }
        for row in drill_rows_of(&p, s) {
            sink.other_row(&row, starts(&row.who.division_code))?;
            n += 1;
        }
    }
    drop(people);
    let drills = Drills::of(conn, s, record.drills_count).await?;
    sink.finish(&summary, &rules, &drills, head.as_ref())?;
    Ok(n)
}
