//! Tests that need programs from outside the Rust build (Chromium, an MTA, SpamAssassin):
//! without them such a test says so loudly and passes, except with `CI=true`, where it fails.

use std::io::Write;
use std::path::PathBuf;

/// Whether the tests run on CI (`CI=true` or `CI=1`), where a missing program is a failure.
pub fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// A message that shows even though the test harness captures `println!` output.
pub fn loud(lines: &[&str]) {
    let bar = "!".repeat(78);
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "\n{bar}");
    for l in lines {
        let _ = writeln!(err, "!! {l}");
    }
    let _ = writeln!(err, "{bar}\n");
}

/// The first of `names` found in `dirs` or on `PATH`.
pub fn program(names: &[&str], dirs: &[&str]) -> Result<PathBuf, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let on_path: Vec<PathBuf> = std::env::split_paths(&path).collect();
    for name in names {
        for dir in on_path
            .iter()
            .cloned()
            .chain(dirs.iter().map(PathBuf::from))
        {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(format!("none of {names:?} is installed"))
}
