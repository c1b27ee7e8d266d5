//! The printable HTML documents (A4 landscape, a seal box for the chief officer): the annual
//! report, one section per division and the summary, and the attendance list. Each part is an
//! Askama template under `templates/print/`, written as the rows stream in.

use std::io::{self, BufWriter, Write};

use askama::Template;
use kenshu_core::audit::Head;
use kenshu_core::i18n::Catalogue;
use kenshu_core::report::{
    OtherRow, Row, RuleTotals, Summary, headers, printed_date, rule_summary_headers,
    summary_headers,
};

use super::{Drills, ReportError, Sink, Subject};

/// The top of a printed document: its title and heading, whose it is, and the seal box, in
/// the document's language.
pub(super) struct Seal<'a> {
    pub t: &'static Catalogue,
    pub title: &'a str,
    pub heading: &'a str,
    pub institution: &'a str,
    /// `令和8年度（2026年度）`, `FY2026`.
    pub fy: String,
    pub made_on: String,
}

impl<'a> Seal<'a> {
    pub(super) fn of(s: &'a Subject<'a>, title: &'a str, heading: &'a str) -> Self {
        Seal {
            t: s.t,
            title,
            heading,
            institution: s.institution_name,
            fy: s.t.fy_printed(s.fy),
            made_on: s.t.date(s.today),
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
    /// The division's name and code.
    heading: String,
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
    /// The summary's title.
    title: &'a str,
    headers: &'a [&'a str],
    rows: Vec<Vec<String>>,
    explained: &'a str,
    head: String,
    /// The rules' summary (none when the plan requires no rules).
    rules_title: &'a str,
    rules_headers: &'a [&'a str],
    rules: Vec<Vec<String>>,
    rules_note: &'a str,
    /// The year's mail drills (none when none was launched).
    drills_title: &'a str,
    drills_headers: &'a [&'a str],
    drills: &'a [Vec<String>],
    drills_note: String,
}

/// The HTML report's columns: the report's, less the division (a heading) and with the
/// re-attendance and leaving notes as one.
fn columns(t: &Catalogue) -> Vec<&'static str> {
    headers(t)[2..11]
        .iter()
        .copied()
        .chain([t.report_col_notes])
        .collect()
}

/// The status column (受講状況) among [`columns`], which marks who has not finished.
const STATUS_COLUMN: usize = 4;

pub(super) struct HtmlSink<W: Write> {
    out: BufWriter<W>,
    open: bool,
    columns: Vec<&'static str>,
    t: &'static Catalogue,
}

impl<W: Write + Send> HtmlSink<W> {
    pub(super) fn new(out: W, s: &Subject<'_>, title: &str) -> Result<Self, ReportError> {
        let mut out = BufWriter::with_capacity(1 << 16, out);
        AnnualStart {
            seal: Seal::of(s, title, s.t.report_heading),
            note: s.t.report_leaver_rule,
        }
        .write_into(&mut out)?;
        out.write_all(b"\n")?;
        Ok(HtmlSink {
            out,
            open: false,
            columns: columns(s.t),
            t: s.t,
        })
    }
}

impl<W: Write + Send> HtmlSink<W> {
    fn section(&mut self, name: &str, code: &str) -> Result<(), ReportError> {
        Section {
            first: !self.open,
            heading: self
                .t
                .report_division_heading
                .replace("{name}", name)
                .replace("{code}", code),
            headers: &self.columns,
        }
        .write_into(&mut self.out)?;
        self.out.write_all(b"\n")?;
        self.open = true;
        Ok(())
    }
}

impl<W: Write + Send> Sink for HtmlSink<W> {
    fn other_row(&mut self, row: &dyn OtherRow, new_division: bool) -> Result<(), ReportError> {
        if new_division {
            self.section(&row.who().division_name, &row.who().division_code)?;
        }
        let date = printed_date(self.t);
        let mut cells: Vec<String> = row
            .cells(self.t, &date)
            .into_iter()
            .take(11)
            .skip(2)
            .collect();
        cells.push(row.note(self.t, &date));
        RowLine {
            cells: &cells,
            marked: row.open().then_some(STATUS_COLUMN),
        }
        .write(&mut self.out)?;
        Ok(())
    }

    fn row(&mut self, row: &Row, new_division: bool) -> Result<(), ReportError> {
        if new_division {
            self.section(&row.division_name, &row.division_code)?;
        }
        let date = printed_date(self.t);
        let mut cells: Vec<String> = row
            .cells(self.t, &date)
            .into_iter()
            .take(11)
            .skip(2)
            .collect();
        cells.push(row.note(self.t, &date));
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
        rules: &[RuleTotals],
        drills: &Drills,
        head: Option<&Head>,
    ) -> Result<(), ReportError> {
        AnnualEnd {
            open: self.open,
            title: self.t.report_summary_sheet,
            headers: &summary_headers(self.t),
            rows: summary
                .divisions
                .iter()
                .chain([&summary.total(self.t.report_total)])
                .map(|d| d.cells())
                .collect(),
            explained: self.t.figures_explained,
            head: self.t.audit_head(head),
            rules_title: self.t.report_rules_summary,
            rules_headers: &rule_summary_headers(self.t),
            rules: rules.iter().map(|r| r.cells(self.t)).collect(),
            rules_note: self.t.rules_counts_note,
            drills_title: self.t.drill_title,
            drills_headers: &Drills::headers(self.t),
            drills: &drills.rows,
            drills_note: drills.note(self.t),
        }
        .write_into(&mut self.out)?;
        self.out.write_all(b"\n")?;
        self.out.flush()?;
        Ok(())
    }
}
