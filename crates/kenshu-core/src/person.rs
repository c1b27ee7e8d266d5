//! People: roles, login identifiers and the password policy.

use std::fmt;
use std::str::FromStr;

/// A person's role in the portal. Designations (clerk, file handler, system administrator) are
/// facts with a period and live elsewhere; the role decides what the person may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Staff,
    ProtectionOfficer,
    ChiefOfficer,
    AuditOfficer,
    PortalAdmin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Staff,
        Role::ProtectionOfficer,
        Role::ChiefOfficer,
        Role::AuditOfficer,
        Role::PortalAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::ProtectionOfficer => "protection_officer",
            Role::ChiefOfficer => "chief_officer",
            Role::AuditOfficer => "audit_officer",
            Role::PortalAdmin => "portal_admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "unknown role '{0}': use one of staff, protection_officer, chief_officer, audit_officer, portal_admin"
)]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

/// A sign-in identifier (職員番号 or a name such as `chief`): 1–64 characters of ASCII letters,
/// digits, `.`, `_` and `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginId(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvalidLoginId {
    #[error("login ID is empty")]
    Empty,
    #[error("login ID '{0}' is longer than 64 characters")]
    TooLong(String),
    #[error("login ID '{0}' may contain only ASCII letters, digits, '.', '_' and '-'")]
    BadCharacter(String),
}

impl LoginId {
    pub fn parse(s: &str) -> Result<Self, InvalidLoginId> {
        let s = s.trim();
        if s.is_empty() {
            return Err(InvalidLoginId::Empty);
        }
        if s.len() > 64 {
            return Err(InvalidLoginId::TooLong(s.to_string()));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(InvalidLoginId::BadCharacter(s.to_string()));
        }
        Ok(LoginId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for LoginId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Read from a path, a form or JSON with the same rules as [`LoginId::parse`].
impl<'de> serde::Deserialize<'de> for LoginId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        LoginId::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A staff member's employee number (職員番号) as the roster and the designation list give it,
/// after the roster's normalising (full-width digits, spaces): the same characters as a
/// [`LoginId`], because the number is the person's login ID. Kept as written: `0012` and `12`
/// are different numbers (a spreadsheet that dropped the zeros is caught by the roster checks).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmployeeNumber(String);

impl EmployeeNumber {
    pub fn parse(s: &str) -> Result<Self, InvalidLoginId> {
        LoginId::parse(s).map(|id| EmployeeNumber(id.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An employee number read back from the database (written there from an
    /// `EmployeeNumber` or, for accounts made by hand, from a `LoginId`).
    pub fn stored(s: String) -> Self {
        EmployeeNumber(s)
    }

    /// The login ID the person signs in with.
    pub fn login_id(&self) -> LoginId {
        LoginId(self.0.clone())
    }
}

impl std::fmt::Display for EmployeeNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::ops::Deref for EmployeeNumber {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for EmployeeNumber {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for EmployeeNumber {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl std::borrow::Borrow<str> for EmployeeNumber {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// Why a new password is refused; the message is shown to the person choosing it.
#[derive(Debug, PartialEq, Eq)]
pub enum WeakPassword {
    TooShort,
    TooLong,
    SameAsLogin,
    Unchanged,
    Guessable(&'static str),
}

/// The Japanese wording (`Catalogue::weak_password`: in either language).
impl std::fmt::Display for WeakPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::i18n::JA.weak_password(self))
    }
}

impl std::error::Error for WeakPassword {}

/// Words that make a password guessable here, besides the person's login ID: the portal's own
/// names and the demo's published password.
const PORTAL_WORDS: &[&str] = &[
    "kenshu",
    "demo",
    "kenshu-demo",
    "portal",
    "研修",
    "ポータル",
];

/// The password policy: long enough to resist guessing (the material's パスワード推測攻撃),
/// not the login ID, and not guessable: a strength estimator (zxcvbn: common-password lists,
/// dictionary words, repeats, sequences, keyboard patterns, the login ID and the portal's own
/// words) must put it at 10^8 guesses or more. Length and unpredictability over composition
/// rules, as current guidance (NIST SP 800-63B) recommends.
pub fn check_new_password(login: &str, new: &str) -> Result<(), WeakPassword> {
    let len = new.chars().count();
    if len < 10 {
        return Err(WeakPassword::TooShort);
    }
    if len > 128 {
        return Err(WeakPassword::TooLong);
    }
    if new.eq_ignore_ascii_case(login) {
        return Err(WeakPassword::SameAsLogin);
    }
    let mut inputs = vec![login];
    inputs.extend_from_slice(PORTAL_WORDS);
    let estimate = zxcvbn::zxcvbn(new, &inputs);
    if u8::from(estimate.score()) < 3 {
        let why = match estimate.feedback().and_then(|f| f.warning()) {
            Some(w) => warning_en(w),
            None => "few guesses would find it",
        };
        return Err(WeakPassword::Guessable(why));
    }
    Ok(())
}

fn warning_en(w: zxcvbn::feedback::Warning) -> &'static str {
    use zxcvbn::feedback::Warning as W;
    match w {
        W::ThisIsATop10Password | W::ThisIsATop100Password | W::ThisIsACommonPassword => {
            "a common password"
        }
        W::ThisIsSimilarToACommonlyUsedPassword => "similar to a common password",
        W::RepeatsLikeAaaAreEasyToGuess | W::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess => {
            "repeated characters"
        }
        W::SequencesLikeAbcAreEasyToGuess => "a sequence",
        W::StraightRowsOfKeysAreEasyToGuess | W::ShortKeyboardPatternsAreEasyToGuess => {
            "a keyboard pattern"
        }
        _ => "easy to guess",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_identifiers() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("admin".parse::<Role>().is_err());
    }

    #[test]
    fn login_ids_are_plain_ascii() {
        assert_eq!(
            LoginId::parse(" staff01 ").map(|l| l.0),
            Ok("staff01".into())
        );
        assert_eq!(LoginId::parse(""), Err(InvalidLoginId::Empty));
        assert!(matches!(
            LoginId::parse("山田"),
            Err(InvalidLoginId::BadCharacter(_))
        ));
        assert!(matches!(
            LoginId::parse(&"a".repeat(65)),
            Err(InvalidLoginId::TooLong(_))
        ));
    }

    #[test]
    fn passwords_must_be_long_and_not_the_login() {
        assert_eq!(
            check_new_password("staff01", "short"),
            Err(WeakPassword::TooShort)
        );
        assert_eq!(
            check_new_password("staff01xyz", "STAFF01XYZ"),
            Err(WeakPassword::SameAsLogin)
        );
        assert_eq!(
            check_new_password("staff01", "correct horse battery"),
            Ok(())
        );
        for guessable in [
            "aaaaaaaaaa",
            "password12",
            "kenshu-demo",
            "1234567890",
            "qwertyuiop",
            "staff01staff01",
        ] {
            assert!(
                matches!(
                    check_new_password("staff01", guessable),
                    Err(WeakPassword::Guessable(_))
                ),
                "{guessable} must be refused as guessable"
            );
        }
    }
}
