//! Fuzzes the designations import on a file's bytes, as `kenshu import designations` runs it:
//! encoding detection (shared with the roster), then the designations parser. Beyond "no
//! panic", every problem must name a line of the file and a column, and every accepted row
//! must obey the row rules (a period that does not end before it starts, no My Number).

#![no_main]

use kenshu_core::my_number::contains_my_number;
use kenshu_core::{designation_csv, roster};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(decoded) = roster::decode(data.to_vec()) else {
        return;
    };
    let Ok((rows, errors)) = designation_csv::parse(&decoded.text) else {
        return;
    };
    // Lines as an editor counts them (CRLF, CR or LF); the header is line 1.
    let unified = decoded.text.replace("\r\n", "\n").replace('\r', "\n");
    let last_line = unified.lines().count().max(1);
    for e in &errors {
        assert!(
            (2..=last_line).contains(&e.line),
            "error outside the file's rows: {e} (file has {last_line} lines)"
        );
        assert!(!e.column.is_empty() && !e.message.is_empty(), "{e:?}");
    }
    let mut previous = 1;
    for r in &rows {
        assert!(
            r.line > previous,
            "rows out of order or on one line: {rows:?}"
        );
        previous = r.line;
        assert!(r.line <= last_line, "row beyond the file: {r:?}");
        assert!(!r.employee_number.is_empty(), "{r:?}");
        assert!(r.to.is_none_or(|to| to >= r.from), "{r:?}");
        assert!(!r.note.as_deref().is_some_and(contains_my_number), "{r:?}");
        assert!(
            !errors.iter().any(|e| e.line == r.line),
            "a row both accepted and refused: {r:?} {errors:?}"
        );
    }
});
