//! Decoding and parsing a roster file: the file's encoding, its line ends, the CSV records and
//! the checks across rows. Each record's cells are read and checked in `row`.

mod row;
#[cfg(test)]
mod tests;

pub(crate) use row::characters;

use std::borrow::Cow;

use encoding_rs::SHIFT_JIS;

use super::across::Seen;
use super::header;
use super::{COLUMNS, Column, ErrorKind, Parsed, REQUIRED, RowError, RowProblem, quotes};
use row::row;

/// A file's text and the encoding it was found in.
#[derive(Debug)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static str,
}

/// A problem with the file as a whole, worded by `Catalogue::file_error`.
#[derive(Debug, PartialEq, Eq)]
pub enum FileError {
    Encoding,
    Empty,
    MissingColumn {
        /// The column's key (`division_code`): the catalogue names it.
        column: &'static str,
        /// The header names accepted for it.
        accepted: &'static [&'static str],
        /// The header the file seems to have meant instead (`所属コ-ド`).
        meant: Option<String>,
    },
    DuplicateColumn {
        /// The column's key.
        column: &'static str,
        /// The two headers, as the file writes them.
        first: String,
        second: String,
    },
    Csv {
        line: usize,
        message: String,
    },
}

/// The Japanese wording (`Catalogue::file_error`: in either language).
impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::i18n::JA.file_error(self))
    }
}

impl std::error::Error for FileError {}

/// Detects the encoding: UTF-8 with or without a byte-order mark, else Shift_JIS as Excel on
/// Japanese Windows writes it (CP932, which the WHATWG Shift_JIS decoder implements).
/// UTF-8 input is taken over without a copy.
pub fn decode(mut bytes: Vec<u8>) -> Result<Decoded, FileError> {
    let mut encoding = "UTF-8";
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
        encoding = "UTF-8 (BOM)";
    }
    let bytes = match String::from_utf8(bytes) {
        Ok(text) => return Ok(Decoded { text, encoding }),
        Err(_) if encoding != "UTF-8" => return Err(FileError::Encoding),
        Err(e) => e.into_bytes(),
    };
    let (text, had_errors) = SHIFT_JIS.decode_without_bom_handling(&bytes);
    if had_errors {
        return Err(FileError::Encoding);
    }
    Ok(Decoded {
        text: text.into_owned(),
        encoding: "Shift_JIS (CP932)",
    })
}

/// Line ends as an editor counts them: CRLF (Excel on Windows), CR alone (Excel for old Mac)
/// and LF all become LF, also inside quoted cells. The CSV reader's line numbers are wrong
/// otherwise: with CRLF each record starts on the line before its own, and a lone CR ends a
/// record without counting a line.
pub(crate) fn unify_line_ends(text: &str) -> Cow<'_, str> {
    if text.contains('\r') {
        Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The line a record starts on, in text whose line ends are unified. The reader's position is
/// where it began reading, before the blank lines it skipped: count those too.
pub(crate) fn record_line(text: &str, position: &csv::Position) -> usize {
    let blank = text
        .as_bytes()
        .get(position.byte() as usize..)
        .map_or(0, |rest| rest.iter().take_while(|b| **b == b'\n').count());
    position.line() as usize + blank
}

/// The error for an unclosed quote: on the line it opened, in the column it opened in.
pub(crate) fn unclosed_quote_error(
    u: &quotes::Unclosed,
    line: usize,
    names: &[String],
) -> RowError {
    let opened = line + u.opened;
    let runs_to = line + u.runs_to;
    RowError {
        line: opened,
        column: names
            .get(u.cell)
            .filter(|n| !n.is_empty())
            .map_or(Column::Nth(u.cell + 1), |n| Column::Header(n.clone())),
        kind: ErrorKind::Format,
        problem: RowProblem::UnclosedQuote { opened, runs_to },
    }
}

/// A CSV reader over text whose line ends are unified, and its header line: shared by the
/// roster and the designations file. An empty header is the empty file.
pub(crate) fn open(text: &str) -> Result<(csv::Reader<&[u8]>, csv::StringRecord), FileError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| FileError::Csv {
            line: 1,
            message: e.to_string(),
        })?
        .clone();
    if header.iter().all(|h| h.trim().is_empty()) {
        return Err(FileError::Empty);
    }
    Ok((reader, header))
}

/// Parses a decoded roster. File-level problems (no header, a missing column) stop at once;
/// row problems are all collected, with cross-row checks: an employee number twice (also once
/// leading zeros are ignored), one division code with two names or two parents.
pub fn parse(text: &str) -> Result<Parsed, FileError> {
    let text = unify_line_ends(text);
    let (mut reader, header_record) = open(&text)?;
    let header = header::map(&header_record, &COLUMNS, &REQUIRED)?;
    let mut rows = Vec::new();
    let mut errors = header.near_misses.clone();
    let mut seen = Seen::default();
    let mut record = csv::StringRecord::new();
    let mut records = 0;
    loop {
        let start = reader.position().byte() as usize;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                return Err(FileError::Csv {
                    line,
                    message: e.to_string(),
                });
            }
        }
        let line = record
            .position()
            .map(|p| record_line(&text, p))
            .unwrap_or(rows.len() + 2);
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        records += 1;
        let end = reader.position().byte() as usize;
        let raw = text.get(start..end).unwrap_or("").trim_start_matches('\n');
        let at_end = end >= text.len();
        if let Some(u) = quotes::unclosed(raw, at_end, record.len(), header_record.len()) {
            errors.push(unclosed_quote_error(&u, line, &header.names));
            continue;
        }
        match row(&record, &header, line) {
            Err(mut e) => errors.append(&mut e),
            Ok(r) => {
                let mut e = seen.check(&r, &header);
                if e.is_empty() {
                    rows.push(r);
                } else {
                    errors.append(&mut e);
                }
            }
        }
    }
    let before = errors.len();
    errors.extend(
        rows.iter()
            .filter_map(|r| seen.parent_lost_zeros(r, &header)),
    );
    if errors.len() > before {
        let bad: std::collections::HashSet<usize> =
            errors[before..].iter().map(|e| e.line).collect();
        rows.retain(|r| !bad.contains(&r.line));
        errors.sort_by_key(|e| e.line);
    }
    Ok(Parsed {
        rows,
        errors,
        records,
        used: header.used,
        ignored: header.ignored,
    })
}
