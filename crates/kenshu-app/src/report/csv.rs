//! The annual report as CSV: UTF-8 with a BOM (what Excel opens as UTF-8), or Shift_JIS for
//! older tools; the audit log's head is the last row.

use std::io::{self, BufWriter, Write};

use kenshu_core::audit::Head;
use kenshu_core::i18n::Catalogue;
use kenshu_core::report::{
    BOM, OtherRow, Row, RuleTotals, Summary, csv_line, headers, iso_date, to_sjis,
};

use super::{Drills, ReportError, Sink};

/// The CSV's last row: the audit log's head, as long as the other rows, its first cell
/// starting with `#` so that a reader can skip it as a comment.
fn head_cells(t: &Catalogue, head: Option<&Head>) -> Vec<String> {
    let mut cells = vec![
        t.report_csv_head.to_string(),
        format!("No.{}", head.map_or(0, |h| h.seq)),
        head.map(|h| hex::encode(&h.hash)).unwrap_or_default(),
    ];
    cells.resize(headers(t).len(), String::new());
    cells
}

pub(super) struct CsvSink<W: Write> {
    out: BufWriter<W>,
    sjis: bool,
    t: &'static Catalogue,
}

impl<W: Write + Send> CsvSink<W> {
    pub(super) fn new(out: W, sjis: bool, t: &'static Catalogue) -> Result<Self, ReportError> {
        let mut s = CsvSink {
            out: BufWriter::with_capacity(1 << 16, out),
            sjis,
            t,
        };
        if !sjis {
            s.out.write_all(BOM)?;
        }
        s.line(&headers(t))?;
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
        Ok(self.line(&row.cells(self.t, &iso_date))?)
    }

    fn other_row(&mut self, row: &dyn OtherRow, _new_division: bool) -> Result<(), ReportError> {
        Ok(self.line(&row.cells(self.t, &iso_date))?)
    }

    fn finish(
        mut self: Box<Self>,
        _summary: &Summary,
        rules: &[RuleTotals],
        drills: &Drills,
        head: Option<&Head>,
    ) -> Result<(), ReportError> {
        // The rules' totals, each a comment row (its first cell starts with `#`) before the
        // audit log's head: rule, version, required, acknowledged, overdue, pending.
        for r in rules {
            let mut cells = vec![format!("#{}", self.t.report_rules_summary)];
            cells.extend(r.cells(self.t));
            cells.resize(headers(self.t).len(), String::new());
            self.line(&cells)?;
        }
        // The year's drills, the same way: drill, launched, recipients, sent, opened, reported,
        // reported without opening, time to report; then whether the plan counts them.
        for d in &drills.rows {
            let mut cells = vec![format!("#{}", self.t.drill_title)];
            cells.extend(d.iter().cloned());
            cells.resize(headers(self.t).len(), String::new());
            self.line(&cells)?;
        }
        if !drills.rows.is_empty() {
            let mut cells = vec![format!("#{}", drills.note(self.t))];
            cells.resize(headers(self.t).len(), String::new());
            self.line(&cells)?;
        }
        self.line(&head_cells(self.t, head))?;
        self.out.flush()?;
        Ok(())
    }
}
