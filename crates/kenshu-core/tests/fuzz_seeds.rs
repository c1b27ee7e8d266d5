//! Every fuzz seed (fuzz/seeds/) through the fuzz targets' checks, so that what the fuzzers
//! promise is checked on every `cargo test`, also where `cargo fuzz` is not installed.

#[path = "../../../fuzz/checks.rs"]
mod checks;

use std::path::Path;

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/seeds")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            (path.display().to_string(), std::fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_roster_seed_keeps_the_parsers_promises() {
    let files = seeds("roster_csv");
    assert!(files.len() >= 10, "{files:?}");
    let mut parsed = 0;
    for (name, bytes) in &files {
        println!("{name}");
        parsed += usize::from(checks::roster(bytes).is_some());
        // Every prefix too: a file cut anywhere (an unclosed quote at the end, half a date).
        for cut in (0..bytes.len()).step_by(7) {
            checks::roster(&bytes[..cut]);
        }
    }
    assert!(
        parsed >= files.len() - 1,
        "most seeds are files the parser reads"
    );
}

#[test]
fn every_designations_seed_keeps_the_parsers_promises() {
    for (name, bytes) in seeds("designations_csv") {
        println!("{name}");
        checks::designations(&bytes);
        for cut in (0..bytes.len()).step_by(5) {
            checks::designations(&bytes[..cut]);
        }
        if let Ok(text) = std::str::from_utf8(&bytes) {
            checks::text(text);
        }
    }
}

#[test]
fn the_normalisers_and_dates_keep_their_promises_on_awkward_text() {
    for s in [
        "ｶﾞｯｺｳ　ﾀﾛｳ",
        "ﾞﾞｳﾞﾟ",
        "カ\u{3099}\u{309A}は\u{309A}",
        " \u{3000}\t\u{3099}",
        "０００１２３",
        "平成31年4月30日,令和元年5月1日,昭和64年1月7日,平成元年1月8日,R7.4.1,２０２５/４/１ 0:00",
        "大正元年7月30日,1912年7月29日,1900-01-01,2200-12-31",
    ] {
        checks::text(s);
    }
}
