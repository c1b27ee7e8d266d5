//! Decoding and parsing a roster file.

use std::borrow::Cow;

use encoding_rs::SHIFT_JIS;
use time::Date;

use super::across::Seen;
use super::dates::read_date;
use super::header::{self, Header};
use super::text;
use super::{
    COLUMNS, ErrorKind, Parsed, PersonStatus, Present, REQUIRED, RosterRow, RowError, quotes,
};
use crate::my_number::contains_my_number;
use crate::people::LoginId;

/// A file's text and the encoding it was found in.
#[derive(Debug)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static str,
}

/// A problem with the file as a whole. Messages are in Japanese, like the rows'.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FileError {
    #[error(
        "ファイルの文字コードがUTF-8でもShift_JIS（CP932）でもありません。Excelで「CSV UTF-8（コンマ区切り）」か「CSV（コンマ区切り）」を選んで保存し直してください"
    )]
    Encoding,
    #[error("ファイルが空です。1行目に列名（見出し）、2行目から1人1行で書いてください")]
    Empty,
    #[error(
        "『{column}』の列がありません。{hint}1行目（見出し）に次のいずれかの名前の列を加えてください: {accepted}"
    )]
    MissingColumn {
        column: String,
        accepted: String,
        /// What the file seems to have meant instead (「『所属コ-ド』のことなら列名を直してください。」), or empty.
        hint: String,
    },
    #[error(
        "1行目（見出し）の『{first}』と『{second}』はどちらも『{column}』の列として読まれます。どちらか一方を残してください"
    )]
    DuplicateColumn {
        column: String,
        first: String,
        second: String,
    },
    #[error(
        "{line}行目をCSVとして読めません（{message}）。表計算ソフトで開き、CSV形式で保存し直してください"
    )]
    Csv { line: usize, message: String },
}

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

/// A cell's characters: what no cell may hold (a control character such as a newline, 外字),
/// and, for names, what a failed conversion to Shift_JIS left (`?`).
pub(crate) fn characters(v: &str, names: bool) -> Option<String> {
    if let Some(c) = text::control(v) {
        return Some(match c {
            '\n' => {
                "セルの中に改行があります。改行（Alt+Enter で入れたもの）を削除してください".into()
            }
            '\t' => "セルの中にタブ文字があります。削除するか空白にしてください".into(),
            c => format!(
                "制御文字（U+{:04X}）が含まれています。削除してください",
                u32::from(c)
            ),
        });
    }
    if let Some(c) = text::private_use(v) {
        return Some(format!(
            "『{v}』に外字（U+{:04X}）が含まれています。外字は他のコンピューターで表示できません。通常の文字に置き換えてください",
            u32::from(c)
        ));
    }
    if names && text::replaced(v) {
        return Some(format!(
            "『{v}』: 文字が『?』に置き換わっています。Shift_JISで表せない文字（𠮷など）が失われました。元のデータからUTF-8で保存し直し、正しい文字を入れてください"
        ));
    }
    None
}

/// An e-mail address the portal can send to: ASCII, one `@` with something on each side, no
/// spaces. Full-width letters or `＠` are refused rather than guessed.
pub(crate) fn email_problem(e: &str) -> Option<String> {
    if !e.is_ascii() {
        return Some(format!(
            "『{e}』に全角の文字が含まれています。メールアドレスは半角で入力してください"
        ));
    }
    let ok = match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !e.contains(|c: char| c.is_ascii_whitespace())
        }
        None => false,
    };
    (!ok).then(|| {
        format!(
            "『{e}』はメールアドレスとして読めません（@ が1つ、空白なし: sato@example.jp）。直すか空欄にしてください"
        )
    })
}

struct Cells<'a> {
    record: &'a csv::StringRecord,
    header: &'a Header,
    line: usize,
    errors: Vec<RowError>,
}

/// How a free-text cell is normalised.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// A name (person, reading, division): kana width and spaces; `?` refused.
    Name,
    /// A number or code: full-width ASCII narrowed.
    Code,
    /// Anything else, taken as written.
    Plain,
}

impl Cells<'_> {
    fn get(&self, key: &str) -> &str {
        self.header
            .cols
            .get(key)
            .and_then(|&i| self.record.get(i))
            .map(str::trim)
            .unwrap_or("")
    }

    fn fail(&mut self, key: &str, kind: ErrorKind, message: String) {
        self.errors.push(RowError {
            line: self.line,
            column: self.header.name(&COLUMNS, key),
            kind,
            message,
        });
    }

    /// A free-text cell: optional or required, normalised, at most `max` characters, without
    /// characters that cannot be kept, never a My Number.
    fn text(&mut self, key: &str, required: bool, max: usize, form: Form) -> Option<String> {
        let raw = self.get(key);
        if let Some(problem) = characters(raw, form == Form::Name) {
            self.fail(key, ErrorKind::Characters, problem);
            return None;
        }
        let v = match form {
            Form::Name => text::name(raw),
            Form::Code => text::code(raw),
            Form::Plain => Cow::Borrowed(raw),
        };
        if v.is_empty() {
            if required {
                let column = self.header.name(&COLUMNS, key);
                self.fail(
                    key,
                    ErrorKind::Empty,
                    format!("空欄です。全員の『{column}』を書いてください"),
                );
            }
            return None;
        }
        let n = v.chars().count();
        if n > max {
            let message = format!("『{v}』は{n}文字あります。{max}文字以内にしてください");
            self.fail(key, ErrorKind::TooLong, message);
            return None;
        }
        if contains_my_number(&v) {
            self.fail(
                key,
                ErrorKind::MyNumber,
                "マイナンバーらしき12桁の数字が含まれています。削除してください（このポータルはマイナンバーを保存しません）".into(),
            );
            return None;
        }
        Some(v.into_owned())
    }

    fn date(&mut self, key: &str) -> Option<Date> {
        let v = self.get(key);
        if v.is_empty() {
            return None;
        }
        if let Some(problem) = characters(v, false) {
            self.fail(key, ErrorKind::Characters, problem);
            return None;
        }
        match read_date(v) {
            Ok(d) => Some(d),
            Err(e) => {
                self.fail(key, ErrorKind::Format, e.to_string());
                None
            }
        }
    }
}

fn row(
    record: &csv::StringRecord,
    header: &Header,
    line: usize,
) -> Result<RosterRow, Vec<RowError>> {
    let mut c = Cells {
        record,
        header,
        line,
        errors: Vec::new(),
    };
    let employee_number = c.text("employee_number", true, 64, Form::Code);
    if let Some(n) = &employee_number
        && LoginId::parse(n).is_err()
    {
        c.fail(
            "employee_number",
            ErrorKind::Format,
            format!("『{n}』には職員番号に使えない文字があります。半角の英数字と . _ - だけで書いてください"),
        );
    }
    let name = c.text("name", true, 200, Form::Name);
    let kana = c.text("kana", false, 200, Form::Name);
    let email = c.text("email", false, 254, Form::Plain);
    if let Some(e) = &email
        && let Some(problem) = email_problem(e)
    {
        let kind = if e.is_ascii() {
            ErrorKind::Format
        } else {
            ErrorKind::Characters
        };
        c.fail("email", kind, problem);
    }
    let division_code = c.text("division_code", true, 64, Form::Code);
    let division_name = c.text("division_name", true, 200, Form::Name);
    let parent_code = c.text("parent_division_code", false, 64, Form::Code);
    let employment_type = c
        .text("employment_type", false, 50, Form::Name)
        .unwrap_or_else(|| "常勤".to_string());
    let hired_on = c.date("hire_date");
    let effective = c.date("effective_date");
    let status_cell = c.get("status");
    let status = match characters(status_cell, false) {
        Some(problem) => {
            c.fail("status", ErrorKind::Characters, problem);
            PersonStatus::Active
        }
        None => match PersonStatus::parse(status_cell) {
            Some(s) => s,
            None => {
                let message = format!(
                    "『{status_cell}』は在職状況として読めません。在職・休職・退職のいずれかを書いてください（空欄は在職）"
                );
                c.fail("status", ErrorKind::Format, message);
                PersonStatus::Active
            }
        },
    };
    if parent_code.is_some() && parent_code == division_code {
        c.fail(
            "parent_division_code",
            ErrorKind::Conflict,
            "自分自身の所属コードになっています。一つ上の所属のコードを書いてください（最上位なら空欄）".into(),
        );
    }
    match (
        employee_number,
        name,
        division_code,
        division_name,
        c.errors.is_empty(),
    ) {
        (Some(employee_number), Some(name), Some(division_code), Some(division_name), true) => {
            Ok(RosterRow {
                line,
                employee_number,
                name,
                kana,
                email,
                division_code,
                division_name,
                parent_code,
                employment_type,
                hired_on,
                status,
                effective,
                present: Present {
                    kana: header.cols.contains_key("kana"),
                    email: header.cols.contains_key("email"),
                    employment_type: header.cols.contains_key("employment_type"),
                    status: header.cols.contains_key("status"),
                },
            })
        }
        _ => Err(c.errors),
    }
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
            .cloned()
            .unwrap_or_else(|| format!("{}列目", u.cell + 1)),
        kind: ErrorKind::Format,
        message: format!(
            "{opened}行目: 引用符（\"）が閉じられていません。{runs_to}行目までが1つのセルとして読まれました。セルの終わりに \" を付けるか、セルの中の \" を削除してください"
        ),
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

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
