//! Certificate numbers (証明番号): `DEMO-2026-1A2B-3C4D-5E6F`, the institution's code, the
//! fiscal year and the completion's own twelve random hexadecimal digits, printed on the
//! certificate and read back by the verification page.

/// The printed number.
pub fn number(institution_code: &str, fiscal_year: i32, own: &str) -> String {
    let own = own.to_ascii_uppercase();
    let groups: Vec<&str> = (0..own.len())
        .step_by(4)
        .filter_map(|i| own.get(i..(i + 4).min(own.len())))
        .collect();
    format!(
        "{}-{fiscal_year}-{}",
        institution_code.to_ascii_uppercase(),
        groups.join("-")
    )
}

/// A number as a person types it back (any case, spaces, full-width digits and hyphens, with
/// or without the groups' hyphens): (institution code, fiscal year, own digits), or None.
pub fn parse(typed: &str) -> Option<(String, i32, String)> {
    let cleaned: String = typed
        .chars()
        .filter_map(|c| match c {
            // Full-width forms (ＡＢＣ０１２－) as ASCII.
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0),
            'ー' | '−' | '‐' | '—' => Some('-'),
            // A space stands for a hyphen: `demo 2026 1a2b 3c4d 5e6f`.
            c if c.is_whitespace() => Some('-'),
            c => Some(c),
        })
        .collect();
    let cleaned = cleaned
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    // From the right: the institution's code may itself hold hyphens.
    let mut own = String::new();
    let mut cut = cleaned.len();
    for (i, c) in cleaned.char_indices().rev() {
        if own.len() == 12 {
            break;
        }
        match c {
            '-' => {}
            c if c.is_ascii_hexdigit() => own.insert(0, c.to_ascii_uppercase()),
            _ => return None,
        }
        cut = i;
    }
    let rest = cleaned.get(..cut)?.strip_suffix('-')?;
    let (institution, year) = rest.rsplit_once('-')?;
    let institution = institution.to_ascii_lowercase();
    let year: i32 = year.parse().ok()?;
    let valid_code = institution.len() <= 32
        && institution.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && institution
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    let valid_own = own.len() == 12;
    (valid_code && valid_own && (2000..=2200).contains(&year)).then_some((institution, year, own))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_reads_back_however_it_is_typed() {
        let n = number("demo", 2026, "1a2b3c4d5e6f");
        assert_eq!(n, "DEMO-2026-1A2B-3C4D-5E6F");
        let want = Some(("demo".to_string(), 2026, "1A2B3C4D5E6F".to_string()));
        assert_eq!(parse(&n), want);
        assert_eq!(parse(" demo-2026-1a2b3c4d5e6f "), want);
        assert_eq!(parse("demo 2026 1a2b 3c4d 5e6f"), want);
        assert_eq!(
            parse("ＤＥＭＯ－２０２６－１Ａ２Ｂ－３Ｃ４Ｄ－５Ｅ６Ｆ"),
            want
        );
        assert_eq!(parse("DEMO-2026-1A2B-3C4D"), None, "too short");
        assert_eq!(parse("DEMO-2026-1A2B-3C4D-5E6G"), None, "not hexadecimal");
        assert_eq!(parse("DEMO-20x6-1A2B-3C4D-5E6F"), None);
        assert_eq!(parse("'; drop table--2026-1A2B-3C4D-5E6F"), None);
        assert_eq!(parse(""), None);
        assert_eq!(
            parse(&number("kita-ku", 2025, "00ff00ff00ff")),
            Some(("kita-ku".to_string(), 2025, "00FF00FF00FF".to_string())),
            "a code with a hyphen"
        );
    }
}
