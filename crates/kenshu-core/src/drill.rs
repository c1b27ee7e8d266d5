//! Targeted-attack mail drills (標的型攻撃メール訓練): the template library shipped with the
//! portal, the checks of a campaign's draft, and the sending schedule that keeps to the relay's
//! rate.
//!
//! A drill mail's body names the person (`{name}`) and carries their own link (`{link}`); the
//! link's page records nothing on a plain GET (mail scanners and link previewers fetch links),
//! only when the person presses its button, and then teaches from the campaign's clues (what
//! gave the mail away).

use time::{Duration, OffsetDateTime};

/// Where the person's name goes in a drill mail.
pub const NAME: &str = "{name}";
/// Where the person's own link goes in a drill mail (required).
pub const LINK: &str = "{link}";

pub const MAX_TITLE: usize = 200;
pub const MAX_SENDER: usize = 100;
pub const MAX_SUBJECT: usize = 200;
pub const MAX_BODY: usize = 20_000;
pub const MAX_CLUES: usize = 5_000;
/// The most mails a minute a campaign may ask of the relay.
pub const MAX_PER_MINUTE: i32 = 10_000;
/// The longest a follow-up course may be given, in days.
pub const MAX_FOLLOW_UP_DAYS: i32 = 180;

/// A mail of the library: a lure as targeted attacks on public bodies write them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Template {
    pub code: &'static str,
    /// What the chief officer sees in the list, in Japanese and in English.
    pub label: &'static str,
    pub label_en: &'static str,
    pub sender_name: &'static str,
    pub subject: &'static str,
    pub body: &'static str,
    /// What gave the mail away, one per line: taught on the page after a click.
    pub clues: &'static str,
}

/// The template library: an invoice, a parcel notice, a personnel-system notice and a fake
/// internal survey.
pub const TEMPLATES: [Template; 4] = [
    Template {
        code: "invoice",
        label: "請求書の送付（取引先を装う）",
        label_en: "An invoice (posing as a supplier)",
        sender_name: "株式会社ミドリ商事 経理部",
        subject: "【再送】請求書送付のご案内（11月分）",
        body: "{name} 様\n\nいつもお世話になっております。\n株式会社ミドリ商事 経理部でございます。\n\n11月分のご請求書を発行いたしました。先日お送りしたメールが届いていないとのことでしたので、再送いたします。\n下記よりご確認のうえ、今月末までにお手続きをお願いいたします。\n\n請求書の確認: {link}\n\n※本メールは送信専用です。\n",
        clues: "取引のない会社からの「再送」で、急がせている\n宛名は個人名なのに、取引の内容が書かれていない\n請求書が添付ではなくリンクで、リンク先の住所が会社のものではない\n送信専用で、問い合わせ先がない",
    },
    Template {
        code: "parcel",
        label: "不在通知（宅配業者を装う）",
        label_en: "A missed-delivery notice (posing as a courier)",
        sender_name: "宅配便 お届け通知センター",
        subject: "お荷物お届けにあがりましたが不在のため持ち帰りました",
        body: "{name} 様\n\nお荷物のお届けにあがりましたが、ご不在でしたので持ち帰りました。\n保管期限は本日から3日間です。再配達のお申し込みは下記からお願いいたします。\n\n再配達の申し込み: {link}\n\n保管期限を過ぎたお荷物は差出人へ返送いたします。\n",
        clues: "職場のアドレスに私用の荷物の通知が届いている\n伝票番号も差出人も書かれていない\n「3日間」と期限で急がせている\n実在する宅配業者の正式な住所ではないリンク",
    },
    Template {
        code: "personnel",
        label: "人事システムの通知（内部を装う）",
        label_en: "A personnel-system notice (posing as a colleague)",
        sender_name: "人事課 人事給与システム担当",
        subject: "【重要】人事給与システム パスワード有効期限のお知らせ",
        body: "{name} 様\n\n人事給与システムのパスワードの有効期限が近づいています。\n期限を過ぎるとログインできなくなり、年末調整の手続きができなくなります。\n本日中に下記からパスワードを更新してください。\n\nパスワードの更新: {link}\n\n人事課 人事給与システム担当\n",
        clues: "差出人は庁内の課を名乗るが、アドレスが庁内のものではない\n「本日中」「ログインできなくなる」と不安をあおって急がせている\nパスワードをメールのリンクから入力させようとしている（正規のシステムはメールでパスワードを求めない）\n迷ったら、メールのリンクではなく人事課に電話で確かめる",
    },
    Template {
        code: "survey",
        label: "職員アンケート（内部を装う）",
        label_en: "A staff survey (posing as a colleague)",
        sender_name: "総務課 職員アンケート事務局",
        subject: "職員満足度アンケートへのご協力のお願い（回答期限：今週金曜日）",
        body: "{name} 様\n\nお疲れさまです。総務課です。\n働き方改革の一環として、全職員を対象にアンケートを実施しています。\n所要時間は3分ほどです。回答には職員番号とパスワードが必要です。\n\nアンケートに回答する: {link}\n\nご協力をお願いいたします。\n",
        clues: "アンケートなのに職員番号とパスワードを求めている\n庁内の掲示板や通知で案内されていないアンケート\n差出人の名前は庁内でも、返信先やリンク先が庁外\n回答期限で急がせている",
    },
];

/// The library's template of this code.
pub fn template(code: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.code == code)
}

/// A campaign as prepared, before it is stored.
#[derive(Debug, Clone)]
pub struct Draft<'a> {
    pub title: &'a str,
    pub sender_name: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub clues: &'a str,
    pub window_start: Option<OffsetDateTime>,
    pub window_end: Option<OffsetDateTime>,
    pub per_minute: i32,
    pub follow_up_days: i32,
}

/// What is wrong with a draft, field by field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Title,
    SenderName,
    Subject,
    /// Empty, too long, or without `{link}`.
    Body,
    Clues,
    /// A My Number in any text of the mail.
    MyNumber,
    WindowStart,
    /// Missing, or not after the start.
    WindowEnd,
    PerMinute,
    FollowUpDays,
    /// No audience chosen.
    Audience,
}

fn bad_line(s: &str, max: usize) -> bool {
    let s = s.trim();
    s.is_empty() || s.chars().count() > max || s.chars().any(char::is_control)
}

/// Every problem of a draft (empty when it may be stored).
pub fn check(d: &Draft<'_>) -> Vec<Problem> {
    let mut problems = Vec::new();
    if bad_line(d.title, MAX_TITLE) {
        problems.push(Problem::Title);
    }
    // Quotes and angle brackets would let the display name forge the address part.
    if bad_line(d.sender_name, MAX_SENDER) || d.sender_name.contains(['"', '<', '>', '@']) {
        problems.push(Problem::SenderName);
    }
    if bad_line(d.subject, MAX_SUBJECT) {
        problems.push(Problem::Subject);
    }
    if d.body.trim().is_empty() || d.body.chars().count() > MAX_BODY || !d.body.contains(LINK) {
        problems.push(Problem::Body);
    }
    if d.clues.chars().count() > MAX_CLUES {
        problems.push(Problem::Clues);
    }
    if [d.title, d.sender_name, d.subject, d.body, d.clues]
        .iter()
        .any(|t| crate::my_number::contains_my_number(t))
    {
        problems.push(Problem::MyNumber);
    }
    match (d.window_start, d.window_end) {
        (None, _) => problems.push(Problem::WindowStart),
        (Some(_), None) => problems.push(Problem::WindowEnd),
        (Some(s), Some(e)) if e <= s => problems.push(Problem::WindowEnd),
        _ => {}
    }
    if !(1..=MAX_PER_MINUTE).contains(&d.per_minute) {
        problems.push(Problem::PerMinute);
    }
    if !(1..=MAX_FOLLOW_UP_DAYS).contains(&d.follow_up_days) {
        problems.push(Problem::FollowUpDays);
    }
    problems
}

/// When the `i`-th mail (from 0) of a campaign goes to the relay: `per_minute` mails in each
/// minute from the start.
pub fn send_at(start: OffsetDateTime, per_minute: i32, i: usize) -> OffsetDateTime {
    let per_minute = per_minute.max(1) as i64;
    start + Duration::minutes(i as i64 / per_minute)
}

/// The minutes `n` mails take at `per_minute` (the last minute's mails included).
pub fn minutes_needed(n: usize, per_minute: i32) -> i64 {
    (n as u64).div_ceil(per_minute.max(1) as u64) as i64
}

/// Whether `n` mails fit in the window at the rate: the last one goes before the window ends.
pub fn fits(n: usize, per_minute: i32, start: OffsetDateTime, end: OffsetDateTime) -> bool {
    n == 0 || send_at(start, per_minute, n - 1) < end
}

/// The mail one person gets: `{name}` and `{link}` filled in.
pub fn fill(body: &str, name: &str, link: &str) -> String {
    body.replace(NAME, name).replace(LINK, link)
}

/// A drill's follow-up course a person has to take: done when they have passed its test again
/// after opening the drill's link (a completion earlier in the year does not count, and the
/// course is not completed twice in a year: a new passing attempt is what shows it was taken).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpDue {
    pub code: String,
    pub title: String,
    pub deadline: time::Date,
    pub done: bool,
}

/// The clues as a list, blank lines left out.
pub fn clue_lines(clues: &str) -> Vec<&str> {
    clues
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn draft() -> Draft<'static> {
        let t = &TEMPLATES[0];
        Draft {
            title: "12月 訓練",
            sender_name: t.sender_name,
            subject: t.subject,
            body: t.body,
            clues: t.clues,
            window_start: Some(datetime!(2026-12-07 09:00 +9)),
            window_end: Some(datetime!(2026-12-07 12:00 +9)),
            per_minute: 10,
            follow_up_days: 14,
        }
    }

    #[test]
    fn every_template_is_a_valid_draft_with_a_link_and_clues() {
        for t in TEMPLATES {
            let d = Draft {
                sender_name: t.sender_name,
                subject: t.subject,
                body: t.body,
                clues: t.clues,
                ..draft()
            };
            assert!(check(&d).is_empty(), "{}: {:?}", t.code, check(&d));
            assert!(t.body.contains(NAME), "{}", t.code);
            assert!(clue_lines(t.clues).len() >= 3, "{}", t.code);
            assert_eq!(template(t.code), Some(&t));
        }
    }

    #[test]
    fn a_draft_is_refused_field_by_field() {
        let d = Draft {
            title: " ",
            sender_name: "Evil <ceo@example.com>",
            subject: "a\r\nBcc: x@example.com",
            body: "no link here",
            window_end: Some(datetime!(2026-12-07 08:00 +9)),
            per_minute: 0,
            follow_up_days: 999,
            ..draft()
        };
        assert_eq!(
            check(&d),
            vec![
                Problem::Title,
                Problem::SenderName,
                Problem::Subject,
                Problem::Body,
                Problem::WindowEnd,
                Problem::PerMinute,
                Problem::FollowUpDays
            ]
        );
        let d = Draft {
            body: "{name} 様 123456789018 {link}",
            ..draft()
        };
        assert_eq!(check(&d), vec![Problem::MyNumber]);
    }

    #[test]
    fn mails_go_at_the_rate_and_must_fit_the_window() {
        let start = datetime!(2026-12-07 09:00 +9);
        let times: Vec<_> = (0..5).map(|i| send_at(start, 2, i)).collect();
        assert_eq!(
            times,
            vec![
                start,
                start,
                start + Duration::minutes(1),
                start + Duration::minutes(1),
                start + Duration::minutes(2)
            ]
        );
        assert_eq!(minutes_needed(5, 2), 3);
        assert!(fits(5, 2, start, start + Duration::minutes(3)));
        assert!(!fits(5, 2, start, start + Duration::minutes(2)));
        assert!(fits(0, 1, start, start + Duration::minutes(1)));
    }

    #[test]
    fn the_mail_names_the_person_and_carries_their_link() {
        let body = fill(TEMPLATES[2].body, "山田 太郎", "https://k.example/d/abc");
        assert!(body.starts_with("山田 太郎 様"));
        assert!(body.contains("https://k.example/d/abc"));
        assert!(!body.contains('{'));
    }
}
