//! The portal never stores a My Number (個人番号). Free text is checked for anything that looks
//! like one: twelve digits, possibly grouped by spaces or hyphens, whose last digit is a valid
//! check digit.

/// Whether `digits` (exactly 12 ASCII digits) carries a valid My Number check digit
/// (番号法施行令第8条).
pub fn has_valid_check_digit(digits: &[u8; 12]) -> bool {
    let sum: u32 = (1..=11u32)
        .map(|n| {
            let p = u32::from(digits[11 - n as usize]);
            let q = if n <= 6 { n + 1 } else { n - 5 };
            p * q
        })
        .sum();
    let remainder = sum % 11;
    let check = if remainder <= 1 { 0 } else { 11 - remainder };
    u32::from(digits[11]) == check
}

fn ascii_digit(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '０'..='９' => Some((c as u32 - '０' as u32) as u8),
        _ => None,
    }
}

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '\u{3000}' | '－' | '‐' | '−' | 'ー')
}

/// The runs of exactly twelve digits (separators between them allowed, full-width digits
/// included) that are valid My Numbers, as ranges of `chars`.
fn my_numbers(chars: &[char]) -> Vec<std::ops::Range<usize>> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if ascii_digit(chars[i]).is_none() {
            i += 1;
            continue;
        }
        let mut digits = Vec::new();
        let mut j = i;
        while j < chars.len() {
            if let Some(d) = ascii_digit(chars[j]) {
                digits.push(d);
                j += 1;
            } else if is_separator(chars[j])
                && j + 1 < chars.len()
                && ascii_digit(chars[j + 1]).is_some()
            {
                j += 1;
            } else {
                break;
            }
        }
        if let Ok(twelve) = <[u8; 12]>::try_from(digits.as_slice())
            && has_valid_check_digit(&twelve)
        {
            found.push(i..j);
        }
        i = j.max(i + 1);
    }
    found
}

/// True when the text contains a run of exactly twelve digits (separators between them
/// allowed, full-width digits included) that is a valid My Number.
pub fn contains_my_number(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    !my_numbers(&chars).is_empty()
}

/// The text with each digit of every My Number in it replaced by ＊: what a refused form shows
/// back to the person, so that the number itself never travels back to the browser.
pub fn mask_my_numbers(text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for range in my_numbers(&chars) {
        for c in &mut chars[range] {
            if ascii_digit(*c).is_some() {
                *c = '＊';
            }
        }
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // 123456789018 has a valid check digit: sum = 1*6+2*5+... computed by hand below.
    const VALID: &str = "123456789018";

    #[test]
    fn a_valid_my_number_is_found_in_any_common_spelling() {
        assert!(contains_my_number(VALID));
        assert!(contains_my_number("番号は1234 5678 9018です"));
        assert!(contains_my_number("1234-5678-9018"));
        assert!(contains_my_number("１２３４５６７８９０１８"));
    }

    #[test]
    fn a_refused_text_comes_back_with_the_number_masked_and_the_rest_kept() {
        assert_eq!(
            mask_my_numbers("番号 1234-5678-9018 の件、電話 03-1234-5678"),
            "番号 ＊＊＊＊-＊＊＊＊-＊＊＊＊ の件、電話 03-1234-5678"
        );
        assert_eq!(mask_my_numbers("１２３４５６７８９０１８"), "＊".repeat(12));
        assert_eq!(
            mask_my_numbers("123456789012"),
            "123456789012",
            "not a valid one"
        );
        assert!(!contains_my_number(&mask_my_numbers(VALID)));
    }

    #[test]
    fn numbers_that_are_not_my_numbers_pass() {
        assert!(!contains_my_number("123456789012"), "wrong check digit");
        assert!(!contains_my_number("1234567890180"), "thirteen digits");
        assert!(!contains_my_number("03-1234-5678"));
        assert!(!contains_my_number("電話で督促した (2025年10月1日)"));
        assert!(!contains_my_number(""));
    }

    #[test]
    fn check_digit_follows_the_cabinet_order() {
        let mut d = [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 8];
        assert!(has_valid_check_digit(&d));
        d[11] = 9;
        assert!(!has_valid_check_digit(&d));
        // remainder <= 1 gives check digit 0
        let zero = [0u8; 12];
        assert!(has_valid_check_digit(&zero));
    }
}
