//! The attendance list (研修出欠リスト) of one course: who attended or completed it and who
//! did not, with scores, deadlines and remarks, as printable HTML or CSV.

use std::collections::HashMap;
use std::io::{BufWriter, Write};

use askama::Template;
use futures_util::StreamExt;
use kenshu_core::assignment::Status;
use kenshu_core::i18n::Catalogue;
use kenshu_core::report::{BOM, Row, csv_line, iso_date, printed_date};
use kenshu_db::PgConnection;
use time::Date;
use uuid::Uuid;

use super::html::{RowLine, Seal};
use super::{ReportError, Subject, approved_plan, rows_of};

#[derive(Template)]
#[template(path = "print/attendance_start.html")]
struct Start<'a> {
    seal: Seal<'a>,
    headers: &'a [&'a str],
}

#[derive(Template)]
#[template(path = "print/attendance_end.html")]
struct End {
    /// How many are listed, and how many of them have not finished.
    total: String,
}

/// The attendance column (出欠), which marks who has not finished.
const ATTENDANCE_COLUMN: usize = 3;

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
fn attendance_cell(t: &Catalogue, row: &Row, date: &dyn Fn(Date) -> String) -> String {
    match row.status {
        Status::Completed | Status::CompletedInPerson => t
            .attendance_completed
            .replace("{date}", &row.completed_on.map(date).unwrap_or_default())
            .replace(
                "{method}",
                row.method
                    .map(|m| t.completion_method(m))
                    .unwrap_or_default(),
            ),
        Status::Exempt => t.status_exempt.into(),
        Status::NotStarted => t.status_not_started.into(),
        s => t.attendance_not_completed.replace("{status}", t.status(s)),
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
    t: &Catalogue,
    row: &Row,
    withdrawn: Option<&Vec<(Date, String)>>,
    date: &dyn Fn(Date) -> String,
) -> String {
    let mut notes = vec![row.note(t, date)];
    notes.extend(
        withdrawn
            .into_iter()
            .flatten()
            .map(|(day, reason)| kenshu_core::in_person::withdrawal_note(t, *day, reason, date)),
    );
    notes.retain(|n| !n.is_empty());
    notes.join(t.report_note_sep)
}

/// Writes the attendance list (研修出欠リスト) of one course, optionally of one division;
/// returns the number of people listed.
#[tracing::instrument(skip_all, fields(institution = %s.institution_id, fiscal_year = s.fy.year(), course, format = format.as_str()))]
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
    let t = s.t;
    let headers = [
        t.report_col_division,
        t.report_col_employee_number,
        t.report_col_name,
        t.report_col_attendance,
        t.report_col_score,
        t.report_col_deadline,
        t.report_col_remarks,
    ];
    match format {
        ListFormat::Csv => {
            out.write_all(BOM)?;
            out.write_all(csv_line(&headers).as_bytes())?;
        }
        ListFormat::Html => {
            let heading = t.attendance_title.replace("{title}", &title);
            Start {
                seal: Seal::of(s, &heading, &heading),
                headers: &headers,
            }
            .write_into(&mut out)?;
            out.write_all(b"\n")?;
        }
    }
    let printed = printed_date(t);
    let date: &(dyn Fn(Date) -> String + Sync) = match format {
        ListFormat::Csv => &iso_date,
        ListFormat::Html => &printed,
    };
    let mut n = 0u64;
    let mut untrained = 0u64;
    let mut people = kenshu_db::report::people(conn, s.institution_id, s.fy, on, division, false);
    while let Some(p) = people.next().await {
        let p = p?;
        for row in rows_of(&p, &plan, on, s, &titles, Some(course)) {
            n += 1;
            let cells = [
                row.division_name.clone(),
                row.employee_number.clone(),
                row.name.clone(),
                attendance_cell(t, &row, date),
                row.score
                    .map(|(a, b)| format!("{a}/{b}"))
                    .unwrap_or_default(),
                date(row.deadline),
                note_with(t, &row, withdrawn.get(&row.employee_number), date),
            ];
            match format {
                ListFormat::Csv => out.write_all(csv_line(&cells).as_bytes())?,
                ListFormat::Html => {
                    let marked = (!row.status.is_done()).then_some(ATTENDANCE_COLUMN);
                    untrained += u64::from(marked.is_some());
                    RowLine {
                        cells: &cells,
                        marked,
                    }
                    .write(&mut out)?;
                }
            }
        }
    }
    drop(people);
    if format == ListFormat::Html {
        let total = t
            .attendance_total
            .replace("{n}", &n.to_string())
            .replace("{untrained}", &untrained.to_string());
        End { total }.write_into(&mut out)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(n)
}
