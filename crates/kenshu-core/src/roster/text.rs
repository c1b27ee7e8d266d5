//! Characters as spreadsheets and HR systems write them, made comparable: half-width kana,
//! full-width digits and spaces of every width are normalised (so that next year's file shows
//! no spurious changes), and what cannot be normalised safely (a `?` left by a failed Shift_JIS
//! conversion, 外字, control characters) is found so that the row can be refused.
//!
//! The normalisers are public: the import compares stored values through them too.

use std::borrow::Cow;

/// A person's name as stored: half-width katakana become full-width (`ｻﾄｳ` → `サトウ`, with
/// `ｶﾞ` → `ガ`), decomposed voiced kana are composed, and every run of spaces (half-width,
/// full-width U+3000, tabs) between family and given name becomes one half-width space.
pub fn normalise_name(s: &str) -> String {
    name(s).into_owned()
}

/// A reading (フリガナ) as stored: the same rules as [`normalise_name`]; half-width katakana
/// become full-width katakana (hiragana stays hiragana).
pub fn normalise_kana(s: &str) -> String {
    name(s).into_owned()
}

/// An employee number or division code as stored: full-width ASCII letters, digits and hyphens
/// (`００１００７`, `Ａ－１`) become ASCII, and surrounding spaces of either width go.
pub fn normalise_code(s: &str) -> String {
    code(s).into_owned()
}

/// A number or code with its leading zeros removed, to find the ones a spreadsheet damaged:
/// `001007` → `1007`; a code of zeros only keeps one (`000` → `0`).
pub fn without_leading_zeros(s: &str) -> &str {
    let stripped = s.trim_start_matches('0');
    if stripped.is_empty() && !s.is_empty() {
        &s[s.len() - 1..]
    } else {
        stripped
    }
}

/// [`normalise_name`] without a copy when the value is already normal.
pub(crate) fn name(s: &str) -> Cow<'_, str> {
    let s = s.trim();
    let mut previous_space = false;
    let normal = s.chars().all(|c| {
        let ok = if c.is_whitespace() {
            c == ' ' && !previous_space
        } else {
            !is_half_kana(c) && !matches!(c, '\u{3099}' | '\u{309A}')
        };
        previous_space = c.is_whitespace();
        ok
    });
    if normal {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut previous_space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            if !previous_space {
                out.push(' ');
            }
            previous_space = true;
            continue;
        }
        previous_space = false;
        let mark = match c {
            '\u{FF9E}' | '\u{3099}' => Some(false),
            '\u{FF9F}' | '\u{309A}' => Some(true),
            _ => None,
        };
        if let Some(semi) = mark {
            let composed = out.chars().last().and_then(|p| voiced(p, semi));
            match composed {
                Some(v) => {
                    out.pop();
                    out.push(v);
                }
                None if c == '\u{FF9E}' => out.push('゛'),
                None if c == '\u{FF9F}' => out.push('゜'),
                None => out.push(c),
            }
            continue;
        }
        out.push(full_width_kana(c).unwrap_or(c));
    }
    Cow::Owned(out)
}

/// [`normalise_code`] without a copy when the value is already normal.
pub(crate) fn code(s: &str) -> Cow<'_, str> {
    let s = s.trim();
    if s.is_ascii() {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().map(|c| narrow(c).unwrap_or(c)).collect())
}

/// A header cell as compared with the known names: full-width letters, digits, parentheses and
/// spaces narrowed, lower case, without surrounding spaces or a byte-order mark.
pub(crate) fn header(s: &str) -> String {
    s.trim_start_matches('\u{feff}')
        .trim()
        .chars()
        .map(|c| narrow(c).unwrap_or(c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// A full-width ASCII character (or a hyphen or space of another width) as ASCII.
fn narrow(c: char) -> Option<char> {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0),
        '\u{3000}' => Some(' '),
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2212}' => Some('-'),
        _ => None,
    }
}

/// Full-width digits, letters and separators in a date cell as ASCII (`２０２５／４／１`).
pub(crate) fn narrow_all(s: &str) -> Cow<'_, str> {
    if s.is_ascii() {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().map(|c| narrow(c).unwrap_or(c)).collect())
    }
}

fn is_half_kana(c: char) -> bool {
    ('\u{FF61}'..='\u{FF9F}').contains(&c)
}

/// Half-width katakana and punctuation U+FF61..=U+FF9D as full-width.
const HALF_KANA: [char; 61] = [
    '。', '「', '」', '、', '・', 'ヲ', 'ァ', 'ィ', 'ゥ', 'ェ', 'ォ', 'ャ', 'ュ', 'ョ', 'ッ', 'ー',
    'ア', 'イ', 'ウ', 'エ', 'オ', 'カ', 'キ', 'ク', 'ケ', 'コ', 'サ', 'シ', 'ス', 'セ', 'ソ', 'タ',
    'チ', 'ツ', 'テ', 'ト', 'ナ', 'ニ', 'ヌ', 'ネ', 'ノ', 'ハ', 'ヒ', 'フ', 'ヘ', 'ホ', 'マ', 'ミ',
    'ム', 'メ', 'モ', 'ヤ', 'ユ', 'ヨ', 'ラ', 'リ', 'ル', 'レ', 'ロ', 'ワ', 'ン',
];

fn full_width_kana(c: char) -> Option<char> {
    let i = (c as u32).checked_sub(0xFF61)?;
    HALF_KANA.get(i as usize).copied()
}

/// The voiced (`semi`: semi-voiced) form of a kana: `カ` → `ガ`, `ハ` → `パ`.
fn voiced(c: char, semi: bool) -> Option<char> {
    let (katakana, hiragana) = match c {
        'ぁ'..='ゖ' => (char::from_u32(c as u32 + 0x60)?, true),
        'ァ'..='ヺ' => (c, false),
        _ => return None,
    };
    let v = match (katakana, semi) {
        ('ハ' | 'ヒ' | 'フ' | 'ヘ' | 'ホ', _) => katakana as u32 + if semi { 2 } else { 1 },
        (_, true) => return None,
        ('カ' | 'キ' | 'ク' | 'ケ' | 'コ' | 'サ' | 'シ' | 'ス' | 'セ' | 'ソ', _)
        | ('タ' | 'チ' | 'ツ' | 'テ' | 'ト', _) => katakana as u32 + 1,
        ('ウ', _) => 'ヴ' as u32,
        ('ワ', _) if !hiragana => 'ヷ' as u32,
        ('ヲ', _) if !hiragana => 'ヺ' as u32,
        _ => return None,
    };
    char::from_u32(if hiragana { v - 0x60 } else { v })
}

/// A character no other computer shows as the writer saw it: 外字 arrive as private-use
/// characters (U+E000–U+F8FF, planes 15 and 16).
pub(crate) fn private_use(s: &str) -> Option<char> {
    s.chars()
        .find(|c| matches!(*c, '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{10FFFF}'))
}

/// A control character: a newline, a tab, or anything else a cell should not hold.
pub(crate) fn control(s: &str) -> Option<char> {
    s.chars().find(|c| c.is_control())
}

/// A `?` or U+FFFD: what is left of a character a conversion to Shift_JIS could not hold.
pub(crate) fn replaced(s: &str) -> bool {
    s.contains(['?', '\u{FFFD}'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_width_kana_become_full_width_with_their_voicing_marks() {
        assert_eq!(normalise_kana("ｻﾄｳ ﾊﾅｺ"), "サトウ ハナコ");
        assert_eq!(
            normalise_kana("ｶﾞｯｺｳ ﾊﾟﾝ ｳﾞｧｲｵﾘﾝ"),
            "ガッコウ パン ヴァイオリン"
        );
        assert_eq!(normalise_kana("ﾀｶﾊｼ･ｲﾁﾛｰ"), "タカハシ・イチロー");
        assert_eq!(
            normalise_kana("ﾞｱ"),
            "゛ア",
            "a mark with nothing to voice stays"
        );
        assert_eq!(normalise_kana("ｱﾟ"), "ア゜");
    }

    #[test]
    fn decomposed_kana_from_a_mac_are_composed() {
        assert_eq!(normalise_name("カ\u{3099}ス\u{3099}"), "ガズ");
        assert_eq!(normalise_name("は\u{309A}"), "ぱ");
    }

    #[test]
    fn every_run_of_spaces_becomes_one_half_width_space() {
        assert_eq!(normalise_name("鈴木　花子"), "鈴木 花子");
        assert_eq!(normalise_name("　鈴木 \u{3000} 花子 "), "鈴木 花子");
        assert_eq!(normalise_name("鈴木\t花子"), "鈴木 花子");
        assert_eq!(normalise_name("鈴木 花子"), "鈴木 花子");
    }

    #[test]
    fn a_normal_name_is_not_copied() {
        assert!(matches!(name("鈴木 花子"), Cow::Borrowed("鈴木 花子")));
        assert!(matches!(name(" 鈴木 花子 "), Cow::Borrowed("鈴木 花子")));
        assert!(matches!(code("001007"), Cow::Borrowed("001007")));
    }

    #[test]
    fn full_width_codes_become_ascii() {
        assert_eq!(normalise_code("００１００７"), "001007");
        assert_eq!(normalise_code("　Ａ－１ "), "A-1");
        assert_eq!(normalise_code("soumu"), "soumu");
    }

    #[test]
    fn normalising_twice_changes_nothing() {
        for s in ["ｶﾞｯｺｳ　ﾀﾛｳ", " 鈴木　 花子", "ﾞﾞ", "ｳﾞ", "カ\u{3099}\u{3099}"]
        {
            let once = normalise_name(s);
            assert_eq!(normalise_name(&once), once, "{s:?}");
        }
        let once = normalise_code("　１２－Ａ");
        assert_eq!(normalise_code(&once), once);
    }

    #[test]
    fn leading_zeros_are_ignored_but_zero_stays_zero() {
        assert_eq!(without_leading_zeros("001007"), "1007");
        assert_eq!(without_leading_zeros("1007"), "1007");
        assert_eq!(without_leading_zeros("000"), "0");
        assert_eq!(without_leading_zeros("0"), "0");
        assert_eq!(without_leading_zeros(""), "");
        assert_eq!(without_leading_zeros("0a"), "a");
    }

    #[test]
    fn headers_compare_without_width_case_or_surrounding_spaces() {
        assert_eq!(header("\u{feff} 氏名（カナ）　"), "氏名(カナ)");
        assert_eq!(header("Ｅ－ｍａｉｌ"), "e-mail");
        assert_eq!(header("E-Mail"), "e-mail");
    }

    #[test]
    fn characters_that_cannot_be_kept_are_found() {
        assert_eq!(private_use("高\u{E000}"), Some('\u{E000}'));
        assert_eq!(private_use("\u{10FFFD}"), Some('\u{10FFFD}'));
        assert_eq!(private_use("𠮷野 家"), None);
        assert!(replaced("?野 太郎") && replaced("\u{FFFD}"));
        assert!(!replaced("吉野 太郎"));
        assert_eq!(control("山本\n大輔"), Some('\n'));
        assert_eq!(control("山本 大輔"), None);
    }
}
