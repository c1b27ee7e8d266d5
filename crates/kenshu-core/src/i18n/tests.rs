//! The catalogues side by side: every field listed, every value filled in, English free of
//! Japanese except where a Japanese term is kept on purpose, the same placeholders in both.

use std::collections::BTreeSet;

use super::{Catalogue, EN, JA, Lang};
use crate::roster::MassChange;

/// English values that keep a Japanese term in parentheses on purpose, and why.
const KEEPS_JAPANESE: &[(&str, &str)] = &[
    // A heading that names the role as a title: the officer is 保護責任者 in the institution's
    // rules, and 兼務 is how those rules call holding it for a second division.
    (
        "visiting_title",
        "names the role 兼務の保護責任者 as a title",
    ),
    // A column that names the role as a title (the guideline's 保護責任者).
    ("overview_officers", "names the role 保護責任者 as a title"),
    // Says who must be designated 事務取扱担当者: the legal title is what the reader must match.
    (
        "designations_lead",
        "names the designation 事務取扱担当者 the law requires",
    ),
    // Names the three designation kinds; the list the reader picks from still shows their
    // Japanese titles (`Catalogue::designation_kind` in the list of the page they are on), so the English alone could not be matched.
    (
        "designation_kind_fix",
        "names the designation kinds as the list shows them",
    ),
];

/// English values that are empty on purpose, and why.
const EMPTY_IN_EN: &[(&str, &str)] = &[
    // 殿 follows the name on the certificate; English puts nothing after a name.
    ("honorific", "English has no honorific after a name"),
    // 件 after a count of assignments; the English table's caption says what is counted.
    ("count_unit", "English counts need no counter word"),
];

/// Kana, kanji, Japanese punctuation and full-width forms.
fn is_japanese(c: char) -> bool {
    matches!(c,
        '\u{3000}'..='\u{303F}' // Japanese punctuation: 、。「」〜
        | '\u{3040}'..='\u{30FF}' // hiragana, katakana, ・ー
        | '\u{3400}'..='\u{4DBF}' // rare kanji
        | '\u{4E00}'..='\u{9FFF}' // kanji
        | '\u{F900}'..='\u{FAFF}' // compatibility kanji
        | '\u{FF00}'..='\u{FFEF}' // full-width forms: （）：
    )
}

fn has_japanese(s: &str) -> bool {
    s.chars().any(is_japanese)
}

/// The text outside parentheses.
fn outside_parentheses(s: &str) -> String {
    let mut depth = 0usize;
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The field names of `Catalogue`, read from its source: the `pub ` lines of the struct.
fn struct_fields() -> Vec<String> {
    let source = include_str!("mod.rs");
    let start = source
        .find("pub struct Catalogue {")
        .expect("mod.rs declares `pub struct Catalogue {`");
    source[start..]
        .lines()
        .skip(1)
        .take_while(|line| *line != "}")
        .map(str::trim)
        .filter(|line| line.starts_with("pub "))
        .map(|line| {
            let name = line["pub ".len()..].split(':').next().unwrap_or_default();
            name.trim().to_string()
        })
        .collect()
}

/// The `{…}` placeholders in a value.
fn placeholders(s: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = s;
    while let Some(open) = rest.find('{') {
        let after = &rest[open..];
        match after.find('}') {
            Some(close) => {
                found.insert(after[..=close].to_string());
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    found
}

fn names(cat: &Catalogue) -> Vec<&'static str> {
    cat.entries().into_iter().map(|(name, _)| name).collect()
}

#[test]
fn entries_list_every_field_of_the_struct_in_order() {
    let fields = struct_fields();
    assert!(
        fields.len() > 400,
        "read {} fields from mod.rs",
        fields.len()
    );
    for cat in [&JA, &EN] {
        assert_eq!(cat.entries().len(), fields.len(), "{:?}", cat.lang);
        assert_eq!(names(cat), fields, "{:?}", cat.lang);
    }
}

#[test]
fn every_japanese_value_is_filled_in() {
    let empty: Vec<_> = JA
        .entries()
        .into_iter()
        .filter(|(_, v)| v.trim().is_empty())
        .map(|(name, _)| name)
        .collect();
    assert!(empty.is_empty(), "empty in JA: {empty:?}");
}

#[test]
fn every_english_value_is_filled_in_and_has_no_japanese_outside_the_allow_list() {
    let mut wrong = Vec::new();
    for (name, value) in EN.entries() {
        let may_be_empty = EMPTY_IN_EN.iter().any(|(n, _)| *n == name);
        let keeps_japanese = KEEPS_JAPANESE.iter().any(|(n, _)| *n == name);
        if may_be_empty {
            if !value.is_empty() {
                wrong.push(format!("{name}: expected empty, got {value:?}"));
            }
        } else if value.trim().is_empty() {
            wrong.push(format!("{name}: empty"));
        }
        if keeps_japanese {
            if !has_japanese(value) {
                wrong.push(format!("{name}: on the allow-list but has no Japanese"));
            }
            if has_japanese(&outside_parentheses(value)) {
                wrong.push(format!("{name}: Japanese outside parentheses: {value:?}"));
            }
        } else if has_japanese(value) {
            wrong.push(format!("{name}: Japanese in {value:?}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn the_allow_lists_name_real_fields() {
    let fields = struct_fields();
    for (name, _) in KEEPS_JAPANESE.iter().chain(EMPTY_IN_EN) {
        assert!(fields.iter().any(|f| f == name), "no field {name}");
    }
}

#[test]
fn both_languages_have_the_same_placeholders() {
    let mut wrong = Vec::new();
    for ((name, ja), (en_name, en)) in JA.entries().into_iter().zip(EN.entries()) {
        assert_eq!(name, en_name);
        if placeholders(ja) != placeholders(en) {
            wrong.push(format!(
                "{name}: {:?} vs {:?}",
                placeholders(ja),
                placeholders(en)
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn placeholders_are_found_by_the_check() {
    let found: Vec<_> = placeholders("{label}: {fix} {").into_iter().collect();
    assert_eq!(found, ["{fix}", "{label}"]);
}

#[test]
fn each_catalogue_knows_its_language() {
    assert_eq!(JA.lang, Lang::Ja);
    assert_eq!(EN.lang, Lang::En);
    assert_eq!(JA.lang.code(), "ja");
    assert_eq!(EN.lang.code(), "en");
}

#[test]
fn the_sign_in_wait_is_said_in_the_catalogue_language() {
    assert!(JA.sign_in_wait(30).contains("30秒ほど"));
    assert!(JA.sign_in_wait(90).contains("2分ほど"));
    for (secs, wait) in [
        (1, "about 1 second "),
        (30, "about 30 seconds "),
        (60, "about 1 minute "),
        (61, "about 2 minutes "),
    ] {
        let en = EN.sign_in_wait(secs);
        assert!(en.contains(wait), "{secs}: {en}");
        assert!(!has_japanese(&en), "{en}");
    }
}

#[test]
fn the_mass_change_warning_is_said_in_the_catalogue_language() {
    let m = MassChange {
        new: 600,
        leavers: 550,
        active: 1000,
    };
    assert!(
        JA.roster_mass_change(&m)
            .starts_with("在職者1000人に対して、新規600人・退職550人")
    );
    let en = EN.roster_mass_change(&m);
    assert!(en.starts_with("1000 staff are currently employed; this file would add 600 new staff and mark 550 as leaving."), "{en}");
    assert!(!has_japanese(&en), "{en}");
}
