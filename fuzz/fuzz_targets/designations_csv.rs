//! Fuzzes the designations import on a file's bytes, as `kenshu import designations` runs it:
//! encoding detection (shared with the roster), then the designations parser. What is checked
//! beyond "no panic" is in `checks.rs` (shared with kenshu-core's test of the seeds): every
//! problem names a line of the file and a column, every accepted row obeys the row rules (a
//! period that does not end before it starts, no My Number, a normalised employee number),
//! and every date accepted reads back from its ISO and Japanese forms.

#![no_main]

#[path = "../checks.rs"]
mod checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    checks::designations(data);
    if let Ok(text) = std::str::from_utf8(data) {
        checks::text(text);
    }
});
