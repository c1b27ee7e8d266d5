//! The printable HTML documents (A4 landscape, a seal box for the chief officer): the annual
//! report, one section per division and the summary, and the attendance list. Each part is an
//! Askama template under `templates/print/`, written as the rows stream in.

use std::io::{self, BufWriter, Write};

use askama::Template;
use kenshu_core::FiscalYear;
use kenshu_core::audit::Head;
use kenshu_core::i18n::JA;
use kenshu_core::report::{HEADERS, Row, SUMMARY_HEADERS, Summary, wareki};

use super::{ReportError, SUMMARY_SHEET, Sink, Subject};

/// The top of a printed document: its title and heading, whose it is, and the seal box.
pub(super) struct Seal<'a> {
    pub title: &'a str,
    pub heading: &'a str,
    pub institution: &'a str,
    pub fy: FiscalYear,
    pub made_on: String,
}

impl<'a> Seal<'a> {
    pub(super) fn of(s: &'a Subject<'a>, title: &'a str, heading: &'a str) -> Self {
        Seal {
            title,
            heading,
            institution: s.institution_name,
            fy: s.fy,
            made_on: wareki(s.today),
        }
    }
}

#[derive(Template)]
#[template(path = "print/annual_start.html")]
struct AnnualStart<'a> {
    seal: Seal<'a>,
    note: &'a str,
}

#[derive(Template)]
#[template(path = "print/section.html")]
struct Section<'a> {
    first: bool,
    name: &'a str,
    code: &'a str,
    headers: &'a [&'a str],
}

/// One table row; the cell at `marked` (when some) says the person has not finished.
pub(super) struct RowLine<'a> {
    pub cells: &'a [String],
    pub marked: Option<usize>,
}

#[derive(Template)]
#[template(path = "print/row.html")]
struct RowTemplate<'a> {
    cells: &'a [String],
    /// The marked cell's index, or past the end.
    marked: usize,
}

impl RowLine<'_> {
    /// Writes the row and a line break.
    pub(super) fn write(&self, out: &mut impl Write) -> io::Result<()> {
        RowTemplate {
            cells: self.cells,
            marked: self.marked.unwrap_or(usize::MAX),
        }
        .write_into(out)?;
        out.write_all(b"\n")
    }
}

#[derive(Template)]
#[template(path = "print/annual_end.html")]
struct AnnualEnd<'a> {
    open: bool,
    title: &'a str,
    headers: &'a [&'a str],
    rows: Vec<Vec<String>>,
    head: String,
}

/// The HTML report's columns: the report's, less the division (a heading) and with the
/// re-attendance and leaving notes as one.
fn columns() -> Vec<&'static str> {
    HEADERS[2..11]
        .iter()
        .copied()
        .chain(["再受講・退職"])
        .collect()
}

/// The status column (受講状況) among [`columns`], which marks who has not finished.
const STATUS_COLUMN: usize = 4;

pub(super) struct HtmlSink<W: Write> {
    out: BufWriter<W>,
    open: bool,
    columns: Vec<&'static str>,
}

impl<W: Write + Send> HtmlSink<W> {
    pub(super) fn new(out: W, s: &Subject<'_>, title: &str) -> Result<Self, ReportError> {
        let mut out = BufWriter::with_capacity(1 << 16, out);
        AnnualStart {
            seal: Seal::of(s, title, "研修受講状況報告書"),
            note: JA.report_leaver_rule,
        }
        .write_into(&mut out)?;
        out.write_all(b"\n")?;
        Ok(HtmlSink {
            out,
            open: false,
            columns: columns(),
        })
    }
}

impl<W: Write + Send> Sink for HtmlSink<W> {
    fn row(&mut self, row: &Row, new_division: bool) -> Result<(), ReportError> {
        if new_division {
            Section {
                first: !self.open,
                name: &row.division_name,
                code: &row.division_code,
                headers: &self.columns,
            }
            .write_into(&mut self.out)?;
            self.out.write_all(b"\n")?;
            self.open = true;
        }
        let mut cells: Vec<String> = row.cells(wareki).into_iter().take(11).skip(2).collect();
        cells.push(row.note(wareki));
        RowLine {
            cells: &cells,
            marked: (!row.status.is_done()).then_some(STATUS_COLUMN),
        }
        .write(&mut self.out)?;
        Ok(())
    }

    fn finish(
        mut self: Box<Self>,
        summary: &Summary,
        head: Option<&Head>,
    ) -> Result<(), ReportError> {
        AnnualEnd {
            open: self.open,
            title: SUMMARY_SHEET,
            headers: &SUMMARY_HEADERS,
            rows: summary
                .divisions
                .iter()
                .chain([&summary.total()])
                .map(|d| d.cells().to_vec())
                .collect(),
            head: Head::label_ja(head),
        }
        .write_into(&mut self.out)?;
        self.out.write_all(b"\n")?;
        self.out.flush()?;
        Ok(())
    }
}
