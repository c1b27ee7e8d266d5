//! The annual report as an XLSX workbook: the rows on one sheet written with constant
//! memory, and the per-division summary with the audit log's head on a second.

use std::io::Write;

use kenshu_core::audit::Head;
use kenshu_core::i18n::Catalogue;
use kenshu_core::report::{
    OtherRow, Row, RuleTotals, Summary, headers, iso_date, rule_summary_headers, summary_headers,
};

use super::{Drills, ReportError, Sink};

pub(super) struct XlsxSink<W: Write + Send> {
    out: Option<W>,
    book: rust_xlsxwriter::Workbook,
    next: u32,
    t: &'static Catalogue,
    /// The page header: the institution, the year and the document's name.
    header: String,
}

/// A printed page's header naming the document at the left. `&` starts a code in a page
/// header; a name with one in it doubles it. Excel takes at most 255 characters.
fn page_header(title: &str) -> String {
    format!("&L{}", title.replace('&', "&&"))
        .chars()
        .take(250)
        .collect()
}

/// A4, the paper of Japanese offices.
const A4: u8 = 9;

/// How a sheet prints from Excel or LibreOffice: A4, one page wide (as many long as needed),
/// the header row on every page, the document named at the top and the page numbered at the
/// bottom.
fn print_setup(
    sheet: &mut rust_xlsxwriter::Worksheet,
    header: &str,
    landscape: bool,
) -> Result<(), ReportError> {
    sheet.set_paper_size(A4);
    if landscape {
        sheet.set_landscape();
    }
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(0, 0)?;
    sheet.set_header(header);
    sheet.set_footer("&C&P / &N");
    Ok(())
}

impl<W: Write + Send> XlsxSink<W> {
    fn header_format() -> rust_xlsxwriter::Format {
        rust_xlsxwriter::Format::new()
            .set_bold()
            .set_background_color(rust_xlsxwriter::Color::RGB(0xDDEBF7))
            .set_border(rust_xlsxwriter::FormatBorder::Thin)
    }

    pub(super) fn new(out: W, t: &'static Catalogue, title: &str) -> Result<Self, ReportError> {
        let header = page_header(title);
        let mut book = rust_xlsxwriter::Workbook::new();
        // Fast deflate: the big sheet compresses at the end, in one go (level 1: a slightly larger file, much sooner).
        book.set_zip_compression_level(1);
        let sheet = book.add_worksheet_with_constant_memory()?;
        sheet.set_name(t.report_rows_sheet)?;
        let widths = [
            10.0, 18.0, 12.0, 16.0, 24.0, 30.0, 14.0, 12.0, 12.0, 8.0, 12.0, 30.0, 12.0,
        ];
        for (i, w) in widths.iter().enumerate() {
            sheet.set_column_width(i as u16, *w)?;
        }
        let bold = Self::header_format();
        for (i, h) in headers(t).iter().enumerate() {
            sheet.write_string_with_format(0, i as u16, *h, &bold)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        print_setup(sheet, &header, true)?;
        Ok(XlsxSink {
            out: Some(out),
            book,
            next: 1,
            t,
            header,
        })
    }
}

impl<W: Write + Send> Sink for XlsxSink<W> {
    fn row(&mut self, row: &Row, _new_division: bool) -> Result<(), ReportError> {
        let sheet = self.book.worksheet_from_index(0)?;
        for (i, c) in row.cells(self.t, &iso_date).iter().enumerate() {
            if !c.is_empty() {
                sheet.write_string(self.next, i as u16, c)?;
            }
        }
        self.next += 1;
        Ok(())
    }

    fn other_row(&mut self, row: &dyn OtherRow, _new_division: bool) -> Result<(), ReportError> {
        let sheet = self.book.worksheet_from_index(0)?;
        for (i, c) in row.cells(self.t, &iso_date).iter().enumerate() {
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
        rules: &[RuleTotals],
        drills: &Drills,
        head: Option<&Head>,
    ) -> Result<(), ReportError> {
        let last = self.next.saturating_sub(1);
        self.book.worksheet_from_index(0)?.autofilter(
            0,
            0,
            last,
            headers(self.t).len() as u16 - 1,
        )?;
        let bold = Self::header_format();
        let sheet = self.book.add_worksheet();
        sheet.set_name(self.t.report_summary_sheet)?;
        print_setup(sheet, &self.header, true)?;
        for (i, w) in [10.0, 18.0, 12.0, 14.0, 8.0, 12.0, 10.0, 8.0, 14.0, 10.0]
            .iter()
            .enumerate()
        {
            sheet.set_column_width(i as u16, *w)?;
        }
        for (i, h) in summary_headers(self.t).iter().enumerate() {
            sheet.write_string_with_format(0, i as u16, *h, &bold)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        let total = summary.total(self.t.report_total);
        for (r, d) in summary.divisions.iter().chain([&total]).enumerate() {
            let r = r as u32 + 1;
            sheet.write_string(r, 0, &d.code)?;
            sheet.write_string(r, 1, &d.name)?;
            let counts = d.counts();
            for (i, v) in counts.iter().enumerate() {
                sheet.write_number(r, i as u16 + 2, *v as f64)?;
            }
            sheet.write_string(r, counts.len() as u16 + 2, d.rate())?;
        }
        let below = summary.divisions.len() as u32 + 3;
        sheet.write_string(below, 0, self.t.figures_explained)?;
        sheet.write_string(below + 1, 0, self.t.audit_head(head))?;
        if !rules.is_empty() {
            // The rules' totals on a sheet of their own: rule, version, required,
            // acknowledged, overdue, pending.
            let sheet = self.book.add_worksheet();
            sheet.set_name(self.t.report_rules_summary)?;
            print_setup(sheet, &self.header, true)?;
            for (i, w) in [36.0, 10.0, 10.0, 10.0, 10.0, 10.0].iter().enumerate() {
                sheet.set_column_width(i as u16, *w)?;
            }
            for (i, h) in rule_summary_headers(self.t).iter().enumerate() {
                sheet.write_string_with_format(0, i as u16, *h, &bold)?;
            }
            for (r, totals) in rules.iter().enumerate() {
                let r = r as u32 + 1;
                sheet.write_string(r, 0, &totals.title)?;
                sheet.write_string(r, 1, self.t.rule_version(totals.version))?;
                for (i, v) in [
                    totals.required,
                    totals.acknowledged,
                    totals.overdue,
                    totals.pending(),
                ]
                .iter()
                .enumerate()
                {
                    sheet.write_number(r, i as u16 + 2, *v as f64)?;
                }
            }
            sheet.write_string(rules.len() as u32 + 2, 0, self.t.rules_counts_note)?;
        }
        if !drills.rows.is_empty() {
            // The year's drills on a sheet of their own, with what the plan says of them.
            let sheet = self.book.add_worksheet();
            sheet.set_name(self.t.drill_title)?;
            print_setup(sheet, &self.header, true)?;
            for (i, w) in [36.0, 12.0, 10.0, 10.0, 12.0, 10.0, 14.0, 16.0]
                .iter()
                .enumerate()
            {
                sheet.set_column_width(i as u16, *w)?;
            }
            for (i, h) in Drills::headers(self.t).iter().enumerate() {
                sheet.write_string_with_format(0, i as u16, *h, &bold)?;
            }
            for (r, cells) in drills.rows.iter().enumerate() {
                let r = r as u32 + 1;
                for (i, c) in cells.iter().enumerate() {
                    match (i, c.parse::<f64>()) {
                        (2..=6, Ok(n)) => sheet.write_number(r, i as u16, n)?,
                        _ => sheet.write_string(r, i as u16, c)?,
                    };
                }
            }
            sheet.write_string(drills.rows.len() as u32 + 2, 0, drills.note(self.t))?;
        }
        if let Some(out) = self.out.take() {
            self.book.save_to_writer(out)?;
        }
        Ok(())
    }
}

/// A table (its first row the header) as a one-sheet workbook that prints like the reports:
/// counts as numbers, shares (`42.9%`) as percentages, the rest as text.
pub fn table(sheet_name: &str, title: &str, rows: &[Vec<String>]) -> Result<Vec<u8>, ReportError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name)?;
    print_setup(sheet, &page_header(title), true)?;
    let bold = XlsxSink::<Vec<u8>>::header_format();
    let percent = rust_xlsxwriter::Format::new().set_num_format("0.0%");
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            if r == 0 {
                sheet.write_string_with_format(r, c, cell, &bold)?;
                sheet.set_column_width(c, 14.0)?;
            } else if let Some(share) = cell.strip_suffix('%').and_then(|p| p.parse::<f64>().ok()) {
                sheet.write_number_with_format(r, c, share / 100.0, &percent)?;
            } else if let Ok(n) = cell.parse::<u32>() {
                sheet.write_number(r, c, f64::from(n))?;
            } else if !cell.is_empty() {
                sheet.write_string(r, c, cell)?;
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(book.save_to_buffer()?)
}
