//! The roster parser as a clerk meets it: files from Excel and HR systems, and every mistake
//! reported on its line and column, in Japanese, with the fix.

mod file;
mod records;
mod rows;

use crate::roster::{ErrorKind, RowError};

const HEADER: &str = "職員番号,氏名,氏名カナ,メールアドレス,所属コード,所属名,上位所属コード,雇用形態,採用日,在職状況\n";

#[track_caller]
fn says(errors: &[RowError], line: usize, column: &str, kind: ErrorKind, needle: &str) {
    assert!(
        errors.iter().any(|e| e.line == line
            && e.column == column
            && e.kind == kind
            && e.message().contains(needle)),
        "no {kind:?} error on line {line}, {column} containing «{needle}»: {errors:#?}"
    );
}
