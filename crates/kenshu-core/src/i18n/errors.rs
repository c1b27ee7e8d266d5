//! What a person did wrong, in words: the errors of `kenshu-core` that a person reads (a date
//! in a roster or designation file, a file that cannot be read, a password refused, a sign-in
//! held back). Their `Display` is the Japanese wording; pages say them in the request's
//! language through these.

use super::{Catalogue, Lang};
use crate::person::WeakPassword;
use crate::roster::{DateError, FileError};

impl Catalogue {
    /// Why a cell is not a date, and how to write it.
    pub fn date_error(&self, e: &DateError) -> String {
        use DateError as D;
        match (self.lang, e) {
            (Lang::Ja, D::Empty) => {
                "日付が空です。2025-04-01 や 令和7年4月1日 のように書いてください".into()
            }
            (Lang::En, D::Empty) => {
                "The date is empty. Write it like 2025-04-01 or 令和7年4月1日.".into()
            }
            (Lang::Ja, D::Unreadable(v)) => format!(
                "『{v}』は日付として読めません。2025-04-01、2025/4/1、2025年4月1日、令和7年4月1日、R7.4.1 のいずれかの形で書いてください"
            ),
            (Lang::En, D::Unreadable(v)) => format!(
                "\"{v}\" cannot be read as a date. Write it in one of these forms: 2025-04-01, 2025/4/1, 2025年4月1日, 令和7年4月1日, R7.4.1."
            ),
            (Lang::Ja, D::Time(v)) => format!(
                "『{v}』の時刻の部分が読めません。時刻を消して 2025/4/1 のように日付だけを書いてください"
            ),
            (Lang::En, D::Time(v)) => format!(
                "The time in \"{v}\" cannot be read. Remove the time and write only the date, like 2025/4/1."
            ),
            (Lang::Ja, D::ShortYear(v)) => format!(
                "『{v}』の年が2桁で、いつの年か決められません。2025/4/1 のように西暦4桁で書くか、R7.4.1 のように元号を付けてください"
            ),
            (Lang::En, D::ShortYear(v)) => format!(
                "The year in \"{v}\" has two digits, so which year is meant is unclear. Write the year with four digits, like 2025/4/1, or with the era, like R7.4.1."
            ),
            (Lang::Ja, D::YearRange(v)) => {
                format!("『{v}』の年が範囲外です。1900年から2200年までの日付を書いてください")
            }
            (Lang::En, D::YearRange(v)) => {
                format!("The year in \"{v}\" is out of range. Write a date from 1900 to 2200.")
            }
            (Lang::Ja, D::Month { value, month }) => {
                format!("『{value}』: {month}月はありません。月は1から12で書いてください")
            }
            (Lang::En, D::Month { value, month }) => {
                format!("\"{value}\": there is no month {month}. Write the month as 1 to 12.")
            }
            (
                Lang::Ja,
                D::Day {
                    value,
                    month,
                    day,
                    last,
                },
            ) => format!(
                "『{value}』: {month}月{day}日はありません（この年の{month}月は{last}日まで）。日付を確かめてください"
            ),
            (
                Lang::En,
                D::Day {
                    value,
                    month,
                    day,
                    last,
                },
            ) => format!(
                "\"{value}\": month {month} has no day {day} (it has {last} days this year). Check the date."
            ),
            (Lang::Ja, D::EraYearZero { value, era }) => {
                format!("『{value}』: {era}0年はありません。{era}の最初の年は元年（1年）です")
            }
            (Lang::En, D::EraYearZero { value, era }) => {
                format!("\"{value}\": {era} has no year 0. Its first year is 元年 (year 1).")
            }
            (
                Lang::Ja,
                D::AfterEra {
                    value,
                    era,
                    last,
                    correct,
                },
            ) => format!("『{value}』はありません。{era}は{last}まで。{correct}と書いてください"),
            (
                Lang::En,
                D::AfterEra {
                    value,
                    era,
                    last,
                    correct,
                },
            ) => format!("\"{value}\" does not exist: {era} ended on {last}. Write {correct}."),
            (
                Lang::Ja,
                D::BeforeEra {
                    value,
                    era,
                    first,
                    correct,
                },
            ) => format!("『{value}』はありません。{era}は{first}から。{correct}と書いてください"),
            (
                Lang::En,
                D::BeforeEra {
                    value,
                    era,
                    first,
                    correct,
                },
            ) => format!("\"{value}\" does not exist: {era} began on {first}. Write {correct}."),
        }
    }

    /// What is wrong with a roster or designation file as a whole.
    pub fn file_error(&self, e: &FileError) -> String {
        use FileError as F;
        match (self.lang, e) {
            (Lang::Ja, F::Encoding) => "ファイルの文字コードがUTF-8でもShift_JIS（CP932）でもありません。Excelで「CSV UTF-8（コンマ区切り）」か「CSV（コンマ区切り）」を選んで保存し直してください".into(),
            (Lang::En, F::Encoding) => "The file is neither UTF-8 nor Shift_JIS (CP932). In Excel, save it again as \"CSV UTF-8 (Comma delimited)\" or \"CSV (Comma delimited)\".".into(),
            (Lang::Ja, F::Empty) => "ファイルが空です。1行目に列名（見出し）、2行目から1人1行で書いてください".into(),
            (Lang::En, F::Empty) => "The file is empty. Put the column names on line 1 and one person per line from line 2.".into(),
            (Lang::Ja, F::MissingColumn { column, accepted, meant }) => {
                let hint = meant
                    .as_ref()
                    .map(|m| format!("『{m}』のことなら列名を直してください。"))
                    .unwrap_or_default();
                format!(
                    "『{}』の列がありません。{hint}1行目（見出し）に次のいずれかの名前の列を加えてください: {}",
                    self.column_label(column),
                    accepted.join("、")
                )
            }
            (Lang::En, F::MissingColumn { column, accepted, meant }) => {
                let hint = meant
                    .as_ref()
                    .map(|m| format!("If \"{m}\" is meant to be that column, correct its name. "))
                    .unwrap_or_default();
                format!(
                    "The file has no {} column. {hint}Add a column with one of these names to line 1 (the header): {}",
                    self.column_label(column),
                    accepted.join(", ")
                )
            }
            (Lang::Ja, F::DuplicateColumn { column, first, second }) => format!(
                "1行目（見出し）の『{first}』と『{second}』はどちらも『{}』の列として読まれます。どちらか一方を残してください",
                self.column_label(column)
            ),
            (Lang::En, F::DuplicateColumn { column, first, second }) => format!(
                "\"{first}\" and \"{second}\" on line 1 (the header) are both read as the {} column. Keep only one of them.",
                self.column_label(column)
            ),
            (Lang::Ja, F::Csv { line, message }) => format!("{line}行目をCSVとして読めません（{message}）。表計算ソフトで開き、CSV形式で保存し直してください"),
            (Lang::En, F::Csv { line, message }) => format!("Line {line} cannot be read as CSV ({message}). Open the file in a spreadsheet and save it as CSV again."),
        }
    }

    /// A sign-in (or password check) held back by the throttle: how long to wait, in words.
    /// A rule's version as people say it: 第3版, version 3.
    pub fn rules_version_of(&self, version: i32) -> String {
        match self.lang {
            Lang::Ja => format!("第{version}版"),
            Lang::En => format!("version {version}"),
        }
    }

    /// How the page after a drill's button greets the person.
    pub fn drill_greeting(&self, name: &str) -> String {
        match self.lang {
            Lang::Ja => format!("{name} 様"),
            Lang::En => format!("Dear {name},"),
        }
    }

    /// Minutes, as the drill results show a time to report.
    pub fn drill_minutes(&self, m: i64) -> String {
        match self.lang {
            Lang::Ja if m >= 60 => format!("{}時間{}分", m / 60, m % 60),
            Lang::Ja => format!("{m}分"),
            Lang::En if m >= 60 => format!("{} h {} min", m / 60, m % 60),
            Lang::En => format!("{m} min"),
        }
    }

    /// A drill's follow-up course and its days.
    pub fn drill_follow_up_of(&self, title: &str, days: i32) -> String {
        match self.lang {
            Lang::Ja => format!("{title}（リンクを開いた日から{days}日以内）"),
            Lang::En => format!("{title} (within {days} days of opening the link)"),
        }
    }

    /// A drill mail not sent yet.
    pub fn drill_due_at(&self, at: &str) -> String {
        match self.lang {
            Lang::Ja => format!("{at} 送信予定"),
            Lang::En => format!("due {at}"),
        }
    }

    /// A follow-up course to be completed by a day.
    pub fn drill_follow_up_by(&self, day: &str) -> String {
        match self.lang {
            Lang::Ja => format!("{day}までに受講"),
            Lang::En => format!("due by {day}"),
        }
    }

    /// A launch refused: the mails do not fit the window at the rate.
    pub fn drill_too_many(&self, mails: usize, minutes: i64) -> String {
        match self.lang {
            Lang::Ja => format!(
                "{mails}通を送るには、この送信数で{minutes}分かかり、送信期間内に送り切れません。1分あたりの送信数を増やすか、送信期間を延ばして準備し直してください。"
            ),
            Lang::En => format!(
                "{mails} mails take {minutes} minutes at this rate, more than is left of the window. Prepare the drill again with more mails per minute or a longer window."
            ),
        }
    }

    /// A rule acknowledged before its minimum reading time has passed.
    pub fn rules_too_soon(&self, secs: i64) -> String {
        match self.lang {
            Lang::Ja => format!(
                "この規程には最低閲覧時間があります。あと{secs}秒ほどお読みになってから、もう一度「内容を確認しました」を押してください。"
            ),
            Lang::En => format!(
                "This rule has a minimum reading time. Please read it for about {secs} more seconds, then press \"I have read this\" again."
            ),
        }
    }

    pub fn sign_in_wait(&self, secs: i64) -> String {
        match self.lang {
            Lang::Ja => {
                let wait = if secs < 60 {
                    format!("{secs}秒")
                } else {
                    format!("{}分", (secs + 59) / 60)
                };
                format!(
                    "ログインの失敗が続いたため、このアカウントへの試行を一時的に制限しています。{wait}ほど待ってから、もう一度お試しください。いつも使っているブラウザーからはこの制限を受けずにログインできます。パスワードを忘れた場合は、保護責任者またはポータル管理者にログイン用リンクの発行を依頼してください。 (too many failed attempts: wait {secs} s)"
                )
            }
            Lang::En => {
                let wait = if secs < 60 {
                    count(secs, "second", "seconds")
                } else {
                    count((secs + 59) / 60, "minute", "minutes")
                };
                format!(
                    "After repeated failed sign-ins, attempts on this account are limited for a while. Wait about {wait} and try again. From the browser you usually use, you can sign in without this limit. If you have forgotten your password, ask your protection officer or the portal administrator for a sign-in link."
                )
            }
        }
    }

    /// Why a new password is refused.
    pub fn weak_password(&self, e: &WeakPassword) -> String {
        use WeakPassword as W;
        match (self.lang, e) {
            (Lang::Ja, W::TooShort) => "パスワードは10文字以上にしてください。 (at least 10 characters)".into(),
            (Lang::En, W::TooShort) => "Use a password of at least 10 characters.".into(),
            (Lang::Ja, W::TooLong) => "パスワードは128文字以内にしてください。 (at most 128 characters)".into(),
            (Lang::En, W::TooLong) => "Use a password of at most 128 characters.".into(),
            (Lang::Ja, W::SameAsLogin) => "ログインIDと同じパスワードは使えません。 (must differ from the login ID)".into(),
            (Lang::En, W::SameAsLogin) => "The password must differ from your login ID.".into(),
            (Lang::Ja, W::Unchanged) => "現在のパスワードと同じパスワードは使えません。 (must differ from the current password)".into(),
            (Lang::En, W::Unchanged) => "The new password must differ from the current one.".into(),
            (Lang::Ja, W::Guessable(why)) => format!("推測されやすいパスワードです。よく使われるパスワード、単語や文字の繰り返し、キーボードの並び、ログインIDやポータルの名前を含むものは、攻撃者が最初に試します。関係のない単語を4つほどつなげるなど、長く推測されにくいものにしてください。 (too easy to guess: {why})"),
            (Lang::En, W::Guessable(why)) => format!("This password is easy to guess. Common passwords, repeated words or characters, keyboard patterns, and passwords containing your login ID or the portal's name are what attackers try first. Choose something long and hard to guess, such as four unrelated words strung together. (too easy to guess: {why})"),
        }
    }
}

/// A number with its noun, singular or plural: "1 minute", "3 minutes".
fn count(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::super::{EN, JA};
    use super::*;

    fn japanese(s: &str) -> bool {
        s.chars()
            .any(|c| matches!(c as u32, 0x3000..=0x30FF | 0x4E00..=0x9FFF | 0xFF00..=0xFFEF))
    }

    #[test]
    fn the_japanese_wording_is_the_errors_own_and_the_english_has_no_japanese_but_values() {
        let dates = [
            DateError::Empty,
            DateError::Unreadable("x".into()),
            DateError::Time("x".into()),
            DateError::ShortYear("x".into()),
            DateError::YearRange("x".into()),
            DateError::Month {
                value: "x".into(),
                month: 13,
            },
            DateError::Day {
                value: "x".into(),
                month: 2,
                day: 30,
                last: 28,
            },
        ];
        for e in &dates {
            assert_eq!(e.to_string(), JA.date_error(e));
            let en = EN.date_error(e);
            // The only Japanese in English: the forms a date may take, quoted as examples.
            let en = en.replace("令和7年4月1日", "").replace("2025年4月1日", "");
            assert!(!japanese(&en), "{en}");
        }
        let files = [
            FileError::Encoding,
            FileError::Empty,
            FileError::Csv {
                line: 3,
                message: "x".into(),
            },
        ];
        for e in &files {
            assert_eq!(e.to_string(), JA.file_error(e));
            assert!(!japanese(&EN.file_error(e)), "{}", EN.file_error(e));
        }
        for e in [
            WeakPassword::TooShort,
            WeakPassword::TooLong,
            WeakPassword::SameAsLogin,
            WeakPassword::Unchanged,
            WeakPassword::Guessable("a common password"),
        ] {
            assert_eq!(e.to_string(), JA.weak_password(&e));
            assert!(!japanese(&EN.weak_password(&e)), "{}", EN.weak_password(&e));
        }
    }
}
