//! The annual attendance report (研修受講状況報告書) in XLSX, CSV (UTF-8 with BOM, or
//! Shift_JIS) and printable HTML, and the per-course attendance list (研修出欠リスト). Both
//! the `kenshu report` command and the `/reports` pages write through the functions here:
//! people stream from the database one at a time and rows go straight to the writer, so memory
//! stays flat however large the institution.

use std::collections::HashMap;
use std::io::{self, BufWriter, Write};

use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use kenshu_core::FiscalYear;
use kenshu_core::assignment::{Progress, Status, status};
use kenshu_core::audit::{AuditKey, Head};
use kenshu_core::plan::{Plan, assignments};
use kenshu_core::report::{
    BOM, HEADERS, Method, Row, SUMMARY_HEADERS, Summary, csv_line, iso_date, to_sjis, wareki,
};
use kenshu_db::PgConnection;
use kenshu_db::report::ReportPerson;
use serde::Deserialize;
use time::Date;
use uuid::Uuid;

use crate::i18n::{Catalogue, JA};
use crate::page::{Chrome, fiscal_year, render};
use crate::policy::Action;
use crate::session::{Conn, CurrentUser};
use crate::{AppError, AppState};

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

    fn extension(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Csv | Format::CsvSjis => "csv",
            Format::Html => "html",
        }
    }

    fn content_type(self) -> &'static str {
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
    #[error("{0}の承認済みの研修計画がありません")]
    NoPlan(FiscalYear),
    #[error("研修 {0} は{1}の研修計画にありません")]
    UnknownCourse(String, FiscalYear),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("write: {0}")]
    Io(#[from] io::Error),
    #[error("xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

impl From<ReportError> for AppError {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::NoPlan(_) => AppError::BadRequest(JA.report_no_plan.into()),
            ReportError::UnknownCourse(..) => AppError::BadRequest(JA.report_bad_course.into()),
            ReportError::Database(e) => AppError::Database(e),
            other => AppError::Internal(other.to_string()),
        }
    }
}

/// What a report is about.
pub struct Subject<'a> {
    pub institution_id: Uuid,
    pub institution_name: &'a str,
    pub fy: FiscalYear,
    /// Today in Japan: statuses are judged on it.
    pub today: Date,
}

/// What the audit log says of an export, from the command line or the web, report or
/// attendance list: which year, which format, how many rows.
fn export_detail(fy: FiscalYear, format: &str, rows: u64) -> String {
    format!("{} {format} rows={rows}", fy.0)
}

/// Records an export made from the command line (the actor is `cli:` and the OS user); the
/// web records its exports as the signed-in person (`crate::audit::record`).
pub async fn exported(
    conn: &mut PgConnection,
    key: &AuditKey,
    institution_id: Uuid,
    what: &str,
    fy: FiscalYear,
    format: &str,
    rows: u64,
) -> Result<(), sqlx::Error> {
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    kenshu_db::audit::append(
        &mut tx,
        key,
        institution_id,
        &kenshu_db::audit::NewEntry {
            actor_id: None,
            actor: &kenshu_db::audit::command_line_actor(),
            action: "exported",
            subject: what,
            detail: &export_detail(fy, format, rows),
        },
    )
    .await?;
    tx.commit().await
}

/// The approved plan of the year, or the error the user sees.
async fn approved_plan(conn: &mut PgConnection, s: &Subject<'_>) -> Result<Plan, ReportError> {
    kenshu_db::plans::plan(conn, s.institution_id, s.fy)
        .await?
        .map(|p| p.plan)
        .filter(|p| p.approved)
        .ok_or(ReportError::NoPlan(s.fy))
}

/// The rows of one person: each course assigned to them (only `course` when given), as of
/// the report day, or for a leaver as of the day they left (and judged on that day).
pub fn rows_of(
    p: &ReportPerson,
    plan: &Plan,
    on: Date,
    today: Date,
    fy: FiscalYear,
    titles: &HashMap<String, String>,
    course: Option<&str>,
) -> Vec<Row> {
    let on = p.facts.left_on.map_or(on, |l| on.min(l));
    let today = p.facts.left_on.map_or(today, |l| today.min(l));
    let mut kinds: Vec<&'static str> = Vec::new();
    for h in &p.facts.designations {
        let overlaps = h.from <= fy.end() && h.to.is_none_or(|t| t >= fy.start());
        if overlaps && !kinds.contains(&h.kind.label_ja()) {
            kinds.push(h.kind.label_ja());
        }
    }
    let designations = kinds.join("、");
    assignments(plan, &p.facts, on)
        .into_iter()
        .filter(|a| course.is_none_or(|c| a.code == c))
        .map(|a| {
            let done = p.completion(&a.code);
            let retake = p.retake(&a.code);
            let st = status(
                Progress {
                    completed: done.map(|d| d.0),
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
                method: done.and_then(|d| Method::parse(d.0)),
                completed_on: done.map(|d| d.1),
                score: done.and_then(|d| d.2),
                deadline: a.deadline,
                retake_deadline: retake,
                left_on: p.facts.left_on,
            }
        })
        .collect()
}

/// Something rows are written to, one at a time.
trait Sink: Send {
    fn row(&mut self, row: &Row, new_division: bool) -> Result<(), ReportError>;
    /// Writes the summary and the audit log's head as it was when the report began.
    fn finish(self: Box<Self>, summary: &Summary, head: Option<&Head>) -> Result<(), ReportError>;
}

/// The CSV's last row: the audit log's head, as long as the other rows, its first cell
/// starting with `#` so that a reader can skip it as a comment.
fn head_cells(head: Option<&Head>) -> Vec<String> {
    let mut cells = vec![
        "# 監査ログ 最終記録".to_string(),
        format!("No.{}", head.map_or(0, |h| h.seq)),
        head.map(|h| hex::encode(&h.hash)).unwrap_or_default(),
    ];
    cells.resize(HEADERS.len(), String::new());
    cells
}

/// Writes the annual report of `s.fy` to `out`; returns the number of rows.
pub async fn annual<W: Write + Send + 'static>(
    conn: &mut PgConnection,
    s: &Subject<'_>,
    format: Format,
    out: W,
) -> Result<u64, ReportError> {
    let plan = approved_plan(conn, s).await?;
    let head = kenshu_db::audit::head(conn, s.institution_id).await?;
    let titles = kenshu_db::content::course_titles(conn).await?;
    let title = format!(
        "{} {} {}",
        s.institution_name,
        s.fy.japanese(),
        JA.report_annual
    );
    let mut sink: Box<dyn Sink> = match format {
        Format::Xlsx => Box::new(XlsxSink::new(out)?),
        Format::Csv => Box::new(CsvSink::new(out, false)?),
        Format::CsvSjis => Box::new(CsvSink::new(out, true)?),
        Format::Html => Box::new(HtmlSink::new(out, s, &title)?),
    };
    let on = s.fy.judged_on(s.today);
    let mut summary = Summary::default();
    let mut n = 0u64;
    let mut people = kenshu_db::report::people(conn, s.institution_id, s.fy, on, None);
    while let Some(p) = people.next().await {
        for row in rows_of(&p?, &plan, on, s.today, s.fy, &titles, None) {
            let new = summary.add(&row);
            sink.row(&row, new)?;
            n += 1;
        }
    }
    drop(people);
    sink.finish(&summary, head.as_ref())?;
    Ok(n)
}

struct XlsxSink<W: Write + Send> {
    out: Option<W>,
    book: rust_xlsxwriter::Workbook,
    next: u32,
}

impl<W: Write + Send> XlsxSink<W> {
    fn header_format() -> rust_xlsxwriter::Format {
        rust_xlsxwriter::Format::new()
            .set_bold()
            .set_background_color(rust_xlsxwriter::Color::RGB(0xDDEBF7))
            .set_border(rust_xlsxwriter::FormatBorder::Thin)
    }

    fn new(out: W) -> Result<Self, ReportError> {
        let mut book = rust_xlsxwriter::Workbook::new();
        // Fast deflate: the big sheet compresses at the end, in one go (level 1: a slightly larger file, much sooner).
        book.set_zip_compression_level(1);
        let sheet = book.add_worksheet_with_constant_memory()?;
        sheet.set_name("受講状況")?;
        let widths = [
            10.0, 18.0, 12.0, 16.0, 24.0, 30.0, 14.0, 12.0, 12.0, 8.0, 12.0, 30.0, 12.0,
        ];
        for (i, w) in widths.iter().enumerate() {
            sheet.set_column_width(i as u16, *w)?;
        }
        let bold = Self::header_format();
        for (i, h) in HEADERS.iter().enumerate() {
            sheet.write_string_with_format(0, i as u16, *h, &bold)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        Ok(XlsxSink {
            out: Some(out),
            book,
            next: 1,
        })
    }
}

impl<W: Write + Send> Sink for XlsxSink<W> {
    fn row(&mut self, row: &Row, _new_division: bool) -> Result<(), ReportError> {
        let sheet = self.book.worksheet_from_index(0)?;
        for (i, c) in row.cells(iso_date).iter().enumerate() {
            if !c.is_empty() {
                sheet.write_string(self.next, i as u16, c)?;
            }
        }
        self.next += 1;
        Ok(())
    }

    fn finish(
        mut self: Box<Self>,
        summary: &Summary,
        head: Option<&Head>,
    ) -> Result<(), ReportError> {
        let last = self.next.saturating_sub(1);
        self.book
            .worksheet_from_index(0)?
            .autofilter(0, 0, last, HEADERS.len() as u16 - 1)?;
        let bold = Self::header_format();
        let sheet = self.book.add_worksheet();
        sheet.set_name(SUMMARY_SHEET)?;
        for (i, w) in [10.0, 18.0, 8.0, 8.0, 12.0, 10.0, 8.0, 10.0]
            .iter()
            .enumerate()
        {
            sheet.set_column_width(i as u16, *w)?;
        }
        for (i, h) in SUMMARY_HEADERS.iter().enumerate() {
            sheet.write_string_with_format(0, i as u16, *h, &bold)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        let total = summary.total();
        for (r, d) in summary.divisions.iter().chain([&total]).enumerate() {
            let r = r as u32 + 1;
            sheet.write_string(r, 0, &d.code)?;
            sheet.write_string(r, 1, &d.name)?;
            for (i, v) in [d.targets, d.completed, d.in_person, d.overdue, d.exempt]
                .iter()
                .enumerate()
            {
                sheet.write_number(r, i as u16 + 2, *v as f64)?;
            }
            sheet.write_string(r, 7, d.rate())?;
        }
        let below = summary.divisions.len() as u32 + 3;
        sheet.write_string(below, 0, Head::label_ja(head))?;
        if let Some(out) = self.out.take() {
            self.book.save_to_writer(out)?;
        }
        Ok(())
    }
}

struct CsvSink<W: Write> {
    out: BufWriter<W>,
    sjis: bool,
}

impl<W: Write + Send> CsvSink<W> {
    fn new(out: W, sjis: bool) -> Result<Self, ReportError> {
        let mut s = CsvSink {
            out: BufWriter::with_capacity(1 << 16, out),
            sjis,
        };
        if !sjis {
            s.out.write_all(BOM)?;
        }
        s.line(&HEADERS)?;
        Ok(s)
    }

    fn line<S: AsRef<str>>(&mut self, cells: &[S]) -> io::Result<()> {
        let line = csv_line(cells);
        if self.sjis {
            self.out.write_all(&to_sjis(&line))
        } else {
            self.out.write_all(line.as_bytes())
        }
    }
}

impl<W: Write + Send> Sink for CsvSink<W> {
    fn row(&mut self, row: &Row, _new_division: bool) -> Result<(), ReportError> {
        Ok(self.line(&row.cells(iso_date))?)
    }

    fn finish(
        mut self: Box<Self>,
        _summary: &Summary,
        head: Option<&Head>,
    ) -> Result<(), ReportError> {
        self.line(&head_cells(head))?;
        self.out.flush()?;
        Ok(())
    }
}

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A4 print styles of the printed documents; they are files of their own, so the styles are
/// inside them.
const PRINT_CSS: &str = "@page{size:A4 landscape;margin:12mm}\
body{font-family:'Noto Sans CJK JP','Hiragino Kaku Gothic ProN','Yu Gothic',Meiryo,sans-serif;font-size:9pt;color:#000;margin:0 auto;max-width:270mm}\
h1{font-size:16pt;text-align:center;margin:4mm 0}h2{font-size:11pt;margin:4mm 0 2mm}\
.meta{display:flex;justify-content:space-between;align-items:flex-end;margin-bottom:4mm}\
.seal{border:1px solid #000;width:30mm;text-align:center}.seal div{border-top:1px solid #000;height:22mm;line-height:22mm;color:#999}\
table{border-collapse:collapse;width:100%}th,td{border:1px solid #000;padding:1mm 1.5mm;vertical-align:top}\
thead th{background:#ddebf7}thead{display:table-header-group}tr{page-break-inside:avoid}\
section.division{page-break-before:always}section.division.first{page-break-before:auto}\
.untrained{font-weight:bold}.untrained::before{content:'■ '}.note{font-size:8pt}";

fn html_head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\"><title>{}</title><style>{}</style></head><body>\n",
        esc(title),
        PRINT_CSS
    )
}

fn seal_header(s: &Subject<'_>, heading: &str) -> String {
    format!(
        "<h1>{}</h1>\n<div class=\"meta\"><div><p>{}<br>{}（{}年度）</p><p>作成日 {}</p></div>\
<div class=\"seal\" id=\"seal\"><span>総括責任者</span><div>印</div></div></div>\n",
        esc(heading),
        esc(s.institution_name),
        s.fy.japanese(),
        s.fy.0,
        wareki(s.today),
    )
}

struct HtmlSink<W: Write> {
    out: BufWriter<W>,
    open: bool,
}

/// The title of the per-division summary, as a sheet and as a section.
const SUMMARY_SHEET: &str = "課室別集計";

/// The HTML report's columns: the report's, less the division (a heading) and with the
/// re-attendance and leaving notes as one.
fn html_columns() -> impl Iterator<Item = &'static str> {
    HEADERS[2..11].iter().copied().chain(["再受講・退職"])
}

/// A table's header row, and the body opened after it.
fn thead<'a>(o: &mut impl Write, headers: impl IntoIterator<Item = &'a str>) -> io::Result<()> {
    for h in headers {
        write!(o, "<th>{h}</th>")?;
    }
    o.write_all(b"</tr></thead><tbody>\n")
}
impl<W: Write + Send> HtmlSink<W> {
    fn new(out: W, s: &Subject<'_>, title: &str) -> Result<Self, ReportError> {
        let mut out = BufWriter::with_capacity(1 << 16, out);
        out.write_all(html_head(title).as_bytes())?;
        out.write_all(seal_header(s, "研修受講状況報告書").as_bytes())?;
        writeln!(out, "<p class=\"note\">{}</p>", esc(JA.report_leaver_rule))?;
        Ok(HtmlSink { out, open: false })
    }
}

impl<W: Write + Send> Sink for HtmlSink<W> {
    fn row(&mut self, row: &Row, new_division: bool) -> Result<(), ReportError> {
        let o = &mut self.out;
        if new_division {
            let first = if self.open {
                o.write_all(b"</tbody></table></section>\n")?;
                ""
            } else {
                " first"
            };
            self.open = true;
            write!(
                o,
                "<section class=\"division{first}\"><h2>{}（{}）</h2><table><thead><tr>",
                esc(&row.division_name),
                esc(&row.division_code)
            )?;
            thead(o, html_columns())?;
        }
        let c = row.cells(wareki);
        let untrained = if row.status.is_done() {
            ""
        } else {
            " class=\"untrained\""
        };
        o.write_all(b"<tr>")?;
        for (i, cell) in c[2..11].iter().chain([&row.note(wareki)]).enumerate() {
            // The status column (受講状況) marks who has not finished.
            let class = if i == 4 { untrained } else { "" };
            write!(o, "<td{class}>{}</td>", esc(cell))?;
        }
        o.write_all(b"</tr>\n")?;
        Ok(())
    }

    fn finish(
        mut self: Box<Self>,
        summary: &Summary,
        head: Option<&Head>,
    ) -> Result<(), ReportError> {
        let o = &mut self.out;
        if self.open {
            o.write_all(b"</tbody></table></section>\n")?;
        }
        write!(
            o,
            "<section class=\"division\" id=\"summary\"><h2>{SUMMARY_SHEET}</h2><table><thead><tr>"
        )?;
        thead(o, SUMMARY_HEADERS)?;
        for d in summary.divisions.iter().chain([&summary.total()]) {
            o.write_all(b"<tr>")?;
            for c in d.cells() {
                write!(o, "<td>{}</td>", esc(&c))?;
            }
            o.write_all(b"</tr>\n")?;
        }
        write!(
            o,
            "</tbody></table>\n<p class=\"note\" id=\"audit-head\">{}</p></section>\n</body></html>\n",
            esc(&Head::label_ja(head))
        )?;
        o.flush()?;
        Ok(())
    }
}

/// Formats of the attendance list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    Html,
    Csv,
}

impl ListFormat {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "html" => Some(ListFormat::Html),
            "csv" => Some(ListFormat::Csv),
            _ => None,
        }
    }

    /// The name, which is also the file extension.
    pub fn as_str(self) -> &'static str {
        match self {
            ListFormat::Html => "html",
            ListFormat::Csv => "csv",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ListFormat::Html => "text/html; charset=utf-8",
            ListFormat::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// The attendance cell: the completion with date and method, or 未受講 (with why).
fn attendance_cell(row: &Row, date: fn(Date) -> String) -> String {
    match row.status {
        Status::Completed | Status::CompletedInPerson => format!(
            "修了 {}（{}）",
            row.completed_on.map(date).unwrap_or_default(),
            row.method.map(|m| m.label_ja()).unwrap_or_default()
        ),
        Status::Exempt => "免除".into(),
        Status::NotStarted => "未受講".into(),
        s => format!("未受講（{}）", s.label_ja()),
    }
}

/// Withdrawn attendances at the course's sessions of the year, by employee number: the
/// session's day (Japan) and the reason, for the remarks.
async fn withdrawals(
    conn: &mut PgConnection,
    s: &Subject<'_>,
    course: &str,
) -> Result<HashMap<String, Vec<(Date, String)>>, ReportError> {
    let mut by_person: HashMap<String, Vec<(Date, String)>> = HashMap::new();
    for w in kenshu_db::in_person::corrections::withdrawals_of_course(
        conn,
        s.institution_id,
        s.fy,
        course,
    )
    .await?
    {
        let day = w
            .session_starts_at
            .to_offset(kenshu_core::fiscal_year::JST)
            .date();
        by_person
            .entry(w.login_id)
            .or_default()
            .push((day, w.reason));
    }
    Ok(by_person)
}

/// The remarks of a row, followed by its withdrawn attendances (出席取消 day 理由: …).
fn note_with(
    row: &Row,
    withdrawn: Option<&Vec<(Date, String)>>,
    date: fn(Date) -> String,
) -> String {
    let mut notes = vec![row.note(date)];
    notes.extend(
        withdrawn
            .into_iter()
            .flatten()
            .map(|(day, reason)| kenshu_core::in_person::withdrawal_note(*day, reason, date)),
    );
    notes.retain(|n| !n.is_empty());
    notes.join("・")
}

/// Writes the attendance list (研修出欠リスト) of one course, optionally of one division;
/// returns the number of people listed.
pub async fn attendance<W: Write + Send>(
    conn: &mut PgConnection,
    s: &Subject<'_>,
    course: &str,
    division: Option<Uuid>,
    format: ListFormat,
    out: W,
) -> Result<u64, ReportError> {
    let plan = approved_plan(conn, s).await?;
    if !plan.courses.iter().any(|c| c.code == course) {
        return Err(ReportError::UnknownCourse(course.into(), s.fy));
    }
    let titles = kenshu_db::content::course_titles(conn).await?;
    let title = titles.get(course).cloned().unwrap_or(course.into());
    let withdrawn = withdrawals(conn, s, course).await?;
    let on = s.fy.judged_on(s.today);
    let mut out = BufWriter::with_capacity(1 << 16, out);
    let headers = [
        "所属",
        "職員番号",
        "氏名",
        "出欠",
        "得点",
        "受講期限",
        "備考",
    ];
    match format {
        ListFormat::Csv => {
            out.write_all(BOM)?;
            out.write_all(csv_line(&headers).as_bytes())?;
        }
        ListFormat::Html => {
            let heading = format!("研修出欠リスト {title}");
            out.write_all(html_head(&heading).as_bytes())?;
            out.write_all(seal_header(s, &heading).as_bytes())?;
            out.write_all(b"<table id=\"attendance\"><thead><tr>")?;
            thead(&mut out, headers)?;
        }
    }
    let date = match format {
        ListFormat::Csv => iso_date,
        ListFormat::Html => wareki,
    };
    let mut n = 0u64;
    let mut untrained = 0u64;
    let mut people = kenshu_db::report::people(conn, s.institution_id, s.fy, on, division);
    while let Some(p) = people.next().await {
        let p = p?;
        for row in rows_of(&p, &plan, on, s.today, s.fy, &titles, Some(course)) {
            n += 1;
            let cells = [
                row.division_name.clone(),
                row.employee_number.clone(),
                row.name.clone(),
                attendance_cell(&row, date),
                row.score
                    .map(|(a, b)| format!("{a}/{b}"))
                    .unwrap_or_default(),
                date(row.deadline),
                note_with(&row, withdrawn.get(&row.employee_number), date),
            ];
            match format {
                ListFormat::Csv => out.write_all(csv_line(&cells).as_bytes())?,
                ListFormat::Html => {
                    let class = if row.status.is_done() {
                        ""
                    } else {
                        untrained += 1;
                        " class=\"untrained\""
                    };
                    out.write_all(b"<tr>")?;
                    for (i, c) in cells.iter().enumerate() {
                        let class = if i == 3 { class } else { "" };
                        write!(out, "<td{class}>{}</td>", esc(c))?;
                    }
                    out.write_all(b"</tr>\n")?;
                }
            }
        }
    }
    drop(people);
    if format == ListFormat::Html {
        write!(
            out,
            "</tbody></table>\n<p>対象 {n}名　うち未受講 {untrained}名（■印）</p>\n</body></html>\n"
        )?;
    }
    out.flush()?;
    Ok(n)
}

// ---- web ----

#[derive(Deserialize, Default)]
pub struct ReportQuery {
    fy: Option<String>,
    format: Option<String>,
    course: Option<String>,
    division: Option<String>,
}

pub struct CourseChoice {
    pub code: String,
    pub title: String,
}

#[derive(Template)]
#[template(path = "report/index.html")]
struct IndexPage {
    chrome: Chrome,
    t: &'static Catalogue,
    fy: i32,
    fy_label: String,
    formats: Vec<(&'static str, &'static str)>,
    courses: Vec<CourseChoice>,
    divisions: Vec<kenshu_db::institutions::Division>,
    has_plan: bool,
}

pub async fn index(
    user: CurrentUser,
    Query(q): Query<ReportQuery>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    user.require(Action::ExportReports)?;
    let inst = user.session.institution_id;
    let fy = fiscal_year(q.fy.as_deref());
    let plan = kenshu_db::plans::plan(&mut conn, inst, fy)
        .await?
        .filter(|p| p.plan.approved);
    let titles = kenshu_db::content::course_titles(&mut conn).await?;
    let courses = plan
        .as_ref()
        .map(|p| {
            p.plan
                .courses
                .iter()
                .map(|c| CourseChoice {
                    title: titles.get(&c.code).cloned().unwrap_or(c.code.clone()),
                    code: c.code.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let divisions = kenshu_db::institutions::divisions(&mut conn, inst).await?;
    render(&IndexPage {
        chrome: Chrome::for_user(&user, JA.report_title),
        t: &JA,
        fy: fy.0,
        fy_label: fy.to_string(),
        formats: vec![
            ("xlsx", JA.report_xlsx),
            ("csv", JA.report_csv),
            ("csv-sjis", JA.report_csv_sjis),
            ("html", JA.report_html),
        ],
        courses,
        divisions,
        has_plan: plan.is_some(),
    })
}

/// `filename*=UTF-8''…` (RFC 5987) with an ASCII fallback.
pub fn content_disposition(name: &str, ascii_fallback: &str) -> String {
    let mut enc = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            enc.push(b as char);
        } else {
            enc.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii_fallback}\"; filename*=UTF-8''{enc}")
}

/// Writes through `write` into a temporary file, then streams the file back and removes it.
async fn stream_file<F, Fut>(
    write: F,
    content_type: &'static str,
    disposition: String,
) -> Result<Response, AppError>
where
    F: FnOnce(std::fs::File) -> Fut,
    Fut: std::future::Future<Output = Result<(), AppError>>,
{
    let path = std::env::temp_dir().join(format!("kenshu-export-{}", Uuid::new_v4()));
    let file = std::fs::File::create(&path).map_err(|e| AppError::Internal(e.to_string()))?;
    let written = write(file).await;
    let opened = tokio::fs::File::open(&path).await;
    // Unlinked at once: the open handle keeps the data readable until the stream ends.
    let _ = std::fs::remove_file(&path);
    written?;
    let file = opened.map_err(|e| AppError::Internal(e.to_string()))?;
    // Fused: the compression layer may poll the body once more after its end, and a bare
    // `unfold` panics when polled after it finished (the download then broke in browsers).
    let stream = futures_util::stream::unfold(file, |mut f| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 1 << 16];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<Bytes, io::Error>(Bytes::from(buf)), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    })
    .fuse();
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

pub async fn annual_download(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ReportQuery>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    user.require(Action::ExportReports)?;
    let format = Format::parse(q.format.as_deref().unwrap_or("xlsx"))
        .ok_or_else(|| AppError::BadRequest(JA.report_bad_format.into()))?;
    let fy = fiscal_year(q.fy.as_deref());
    let inst = user.session.institution_id;
    let name = format!(
        "研修受講状況_{}{}.{}",
        fy.japanese(),
        if format == Format::CsvSjis {
            "_SJIS"
        } else {
            ""
        },
        format.extension()
    );
    let fallback = format!("kenshu-report-{}.{}", fy.0, format.extension());
    let user = &user;
    stream_file(
        |file| async move {
            let subject = Subject {
                institution_id: inst,
                institution_name: &user.session.institution_name,
                fy,
                today: kenshu_core::japan_today(),
            };
            let rows = annual(&mut conn, &subject, format, file).await?;
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            crate::audit::record(
                &mut tx,
                user,
                "exported",
                "annual_report",
                &export_detail(fy, format.as_str(), rows),
            )
            .await?;
            tx.commit().await?;
            if let Some(dir) = &state.settings.checkpoint_dir {
                let code = &user.session.institution_code;
                let key = &state.settings.audit_key;
                // The export is made; a checkpoint that cannot be written is the operator's
                // to fix, not the downloader's.
                if let Err(e) =
                    kenshu_db::audit_anchor::write_checkpoint(&mut conn, key, inst, code, dir).await
                {
                    tracing::error!(institution = %code, "{e}");
                }
            }
            Ok(())
        },
        format.content_type(),
        content_disposition(&name, &fallback),
    )
    .await
}

pub async fn attendance_download(
    user: CurrentUser,
    Query(q): Query<ReportQuery>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    user.require(Action::ExportReports)?;
    let format = ListFormat::parse(q.format.as_deref().unwrap_or("html"))
        .ok_or_else(|| AppError::BadRequest(JA.report_bad_format.into()))?;
    let fy = fiscal_year(q.fy.as_deref());
    let inst = user.session.institution_id;
    let course = q.course.clone().unwrap_or_default();
    let division = match q.division.as_deref().filter(|d| !d.is_empty()) {
        Some(code) => Some(user.scoped_divisions(&mut conn, Some(code)).await?.1.id),
        None => None,
    };
    let ext = format.as_str();
    let name = format!("研修出欠リスト_{}_{}.{ext}", fy.japanese(), course);
    let fallback = format!("kenshu-attendance-{}.{ext}", fy.0);
    let user = &user;
    stream_file(
        |file| async move {
            let subject = Subject {
                institution_id: inst,
                institution_name: &user.session.institution_name,
                fy,
                today: kenshu_core::japan_today(),
            };
            let rows = attendance(&mut conn, &subject, &course, division, format, file).await?;
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            crate::audit::record(
                &mut tx,
                user,
                "exported",
                "attendance_list",
                &export_detail(fy, ext, rows),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        },
        format.content_type(),
        content_disposition(&name, &fallback),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_rfc_5987() {
        assert_eq!(
            content_disposition("研修.xlsx", "r.xlsx"),
            "attachment; filename=\"r.xlsx\"; filename*=UTF-8''%E7%A0%94%E4%BF%AE.xlsx"
        );
    }
}
