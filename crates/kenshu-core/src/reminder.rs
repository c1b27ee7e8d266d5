//! Reminders (督促): when the plan's schedule asks for one, and what the mail says.

use time::{Date, Duration};

use crate::i18n::Catalogue;

/// When reminders go out for a course: some days before its deadline, then every so many days
/// while it is overdue (0: not after the deadline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Days before the deadline, largest first.
    pub before: Vec<i64>,
    pub overdue_every: i64,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            before: vec![14, 3],
            overdue_every: 7,
        }
    }
}

pub const MAX_STEPS_BEFORE: usize = 5;
pub const MAX_DAYS_BEFORE: i64 = 120;
pub const MAX_OVERDUE_EVERY: i64 = 90;

impl Schedule {
    /// Parses "14,3" (also with Japanese commas or spaces; empty: none before the deadline).
    pub fn parse_before(text: &str) -> Option<Vec<i64>> {
        let mut days = Vec::new();
        for part in text
            .split([',', '、', '，', ' ', '　'])
            .filter(|p| !p.trim().is_empty())
        {
            let d: i64 = part.trim().parse().ok()?;
            if !(1..=MAX_DAYS_BEFORE).contains(&d) {
                return None;
            }
            days.push(d);
        }
        days.sort_unstable_by(|a, b| b.cmp(a));
        days.dedup();
        (days.len() <= MAX_STEPS_BEFORE).then_some(days)
    }

    /// Parses the days between reminders while overdue (0: none after the deadline).
    pub fn parse_overdue_every(text: &str) -> Option<i64> {
        text.trim()
            .parse()
            .ok()
            .filter(|d| (0..=MAX_OVERDUE_EVERY).contains(d))
    }

    pub fn before_text(&self) -> String {
        self.before
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The reminder step due on `today` for a course due on `deadline`, as a key that names
    /// the deadline, so a step is taken once per deadline and a new (re-attendance) deadline
    /// starts afresh. Before the deadline it is the nearest step already reached, so a missed
    /// day is caught up once rather than every step at once.
    pub fn step(&self, deadline: Date, today: Date) -> Option<String> {
        if today <= deadline {
            let d = self
                .before
                .iter()
                .copied()
                .filter(|d| deadline - Duration::days(*d) <= today)
                .min()?;
            Some(format!("{deadline}:before:{d}"))
        } else if self.overdue_every > 0 {
            let n = ((today - deadline).whole_days() - 1) / self.overdue_every;
            Some(format!("{deadline}:overdue:{n}"))
        } else {
            None
        }
    }
}

/// One course a reminder names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub title: String,
    pub deadline: Date,
}

/// A rule (規程) the person is still to acknowledge, named in their reminder after the
/// courses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueRule {
    pub title: String,
    pub version: i32,
    pub deadline: Date,
}

/// The subject and body of a reminder mail, in `t`'s language (the recipient's).
pub fn compose(
    t: &Catalogue,
    name: &str,
    institution: &str,
    courses: &[Due],
    today: Date,
    message: &str,
    portal_url: &str,
) -> (String, String) {
    compose_with_rules(
        t,
        name,
        institution,
        courses,
        &[],
        today,
        message,
        portal_url,
    )
}

/// [`compose`], naming also the rules the person is still to acknowledge.
#[allow(clippy::too_many_arguments)]
pub fn compose_with_rules(
    t: &Catalogue,
    name: &str,
    institution: &str,
    courses: &[Due],
    rules: &[DueRule],
    today: Date,
    message: &str,
    portal_url: &str,
) -> (String, String) {
    let overdue =
        courses.iter().any(|c| c.deadline < today) || rules.iter().any(|r| r.deadline < today);
    // A reminder of rules alone speaks of rules; with a course, of training.
    let rules_alone = courses.is_empty() && !rules.is_empty();
    let subject = match (rules_alone, overdue) {
        (false, true) => t.mail_subject_overdue,
        (false, false) => t.mail_subject_soon,
        (true, true) => t.mail_subject_rule_overdue,
        (true, false) => t.mail_subject_rule_soon,
    }
    .to_string();
    let greeting = if rules_alone {
        t.mail_greeting_rules
    } else {
        t.mail_greeting
    };
    let mut body = greeting
        .replace("{institution}", institution)
        .replace("{name}", name);
    for c in courses {
        let late = if c.deadline < today {
            t.mail_course_late
        } else {
            ""
        };
        body.push_str(
            &t.mail_course_line
                .replace("{date}", &t.date(c.deadline))
                .replace("{late}", late)
                .replace("{title}", &c.title),
        );
    }
    for r in rules {
        let late = if r.deadline < today {
            t.mail_course_late
        } else {
            ""
        };
        body.push_str(
            &t.mail_rule_line
                .replace("{date}", &t.date(r.deadline))
                .replace("{late}", late)
                .replace("{version}", &t.rule_version(r.version))
                .replace("{title}", &r.title),
        );
    }
    if !message.trim().is_empty() {
        body.push_str(&t.mail_officer_message.replace("{message}", message.trim()));
    }
    body.push_str(
        &t.mail_footer
            .replace("{url}", portal_url.trim_end_matches('/')),
    );
    (subject, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_default_schedule_reminds_14_and_3_days_before_then_weekly() {
        let s = Schedule::default();
        let deadline = date!(2026 - 12 - 18);
        let step = |d: Date| s.step(deadline, d);
        assert_eq!(step(date!(2026 - 12 - 03)), None);
        assert_eq!(
            step(date!(2026 - 12 - 04)).as_deref(),
            Some("2026-12-18:before:14")
        );
        assert_eq!(
            step(date!(2026 - 12 - 14)).as_deref(),
            Some("2026-12-18:before:14")
        );
        assert_eq!(
            step(date!(2026 - 12 - 15)).as_deref(),
            Some("2026-12-18:before:3")
        );
        assert_eq!(
            step(deadline).as_deref(),
            Some("2026-12-18:before:3"),
            "the deadline day is still before"
        );
        assert_eq!(
            step(date!(2026 - 12 - 19)).as_deref(),
            Some("2026-12-18:overdue:0")
        );
        assert_eq!(
            step(date!(2026 - 12 - 25)).as_deref(),
            Some("2026-12-18:overdue:0")
        );
        assert_eq!(
            step(date!(2026 - 12 - 26)).as_deref(),
            Some("2026-12-18:overdue:1")
        );
        let none_after = Schedule {
            before: vec![7],
            overdue_every: 0,
        };
        assert_eq!(none_after.step(deadline, date!(2026 - 12 - 30)), None);
    }

    #[test]
    fn the_schedule_text_is_checked() {
        assert_eq!(Schedule::parse_before("3, 14"), Some(vec![14, 3]));
        assert_eq!(Schedule::parse_before("14、3、3"), Some(vec![14, 3]));
        assert_eq!(Schedule::parse_before(""), Some(vec![]));
        assert_eq!(Schedule::parse_before("0"), None);
        assert_eq!(Schedule::parse_before("x"), None);
        assert_eq!(Schedule::parse_before("1,2,3,4,5,6"), None);
        assert_eq!(Schedule::parse_overdue_every(" 7 "), Some(7));
        assert_eq!(Schedule::parse_overdue_every("0"), Some(0));
        assert_eq!(Schedule::parse_overdue_every("91"), None);
        assert_eq!(Schedule::parse_overdue_every("-1"), None);
    }

    #[test]
    fn the_mail_names_each_course_and_says_when_it_is_late() {
        let (subject, body) = compose(
            &crate::i18n::JA,
            "山田 太郎",
            "デモ市",
            &[
                Due {
                    title: "事務取扱担当者研修".into(),
                    deadline: date!(2026 - 11 - 20),
                },
                Due {
                    title: "サイバーセキュリティ研修".into(),
                    deadline: date!(2026 - 12 - 18),
                },
            ],
            date!(2026 - 11 - 26),
            "今週中にお願いします。",
            "https://kenshu.example.jp/",
        );
        assert!(subject.contains("督促"));
        assert!(body.starts_with("山田 太郎 様"));
        assert!(
            body.contains("・事務取扱担当者研修　受講期限: 令和8年11月20日（期限を過ぎています）")
        );
        assert!(body.contains("・サイバーセキュリティ研修　受講期限: 令和8年12月18日\n"));
        assert!(body.contains("保護責任者からの連絡:\n今週中にお願いします。"));
        assert!(body.contains("https://kenshu.example.jp/my"));
    }

    #[test]
    fn the_mail_is_written_in_the_recipient_s_language() {
        let (subject, body) = compose(
            &crate::i18n::EN,
            "Taro Yamada",
            "Demo City",
            &[Due {
                title: "事務取扱担当者研修".into(),
                deadline: date!(2026 - 11 - 20),
            }],
            date!(2026 - 11 - 26),
            "",
            "https://kenshu.example.jp",
        );
        assert_eq!(subject, "[Reminder] A training course is past its deadline");
        assert!(body.starts_with("Dear Taro Yamada,"), "{body}");
        assert!(
            body.contains("- 事務取扱担当者研修, deadline: 20 Nov 2026 (past the deadline)\n"),
            "{body}"
        );
        assert!(!body.contains("protection officer:"), "{body}");
        assert!(body.contains("https://kenshu.example.jp/my"));
    }

    #[test]
    fn a_reminder_of_rules_alone_speaks_of_rules_and_with_a_course_of_training() {
        let rule = DueRule {
            title: "特定個人情報取扱規程".into(),
            version: 2,
            deadline: date!(2026 - 12 - 18),
        };
        let course = Due {
            title: "事務取扱担当者研修".into(),
            deadline: date!(2026 - 12 - 18),
        };
        let mail = |courses: &[Due], today| {
            compose_with_rules(
                &crate::i18n::JA,
                "山田 太郎",
                "デモ市",
                courses,
                std::slice::from_ref(&rule),
                today,
                "",
                "https://kenshu.example.jp",
            )
        };
        let (subject, body) = mail(&[], date!(2026 - 12 - 04));
        assert_eq!(subject, "【お知らせ】確認期限が近い規程があります");
        assert!(body.contains("まだ確認していない規程について"), "{body}");
        assert!(
            body.contains("・特定個人情報取扱規程（第2版）の確認　確認期限: 令和8年12月18日\n"),
            "{body}"
        );
        let (subject, _) = mail(&[], date!(2026 - 12 - 19));
        assert_eq!(subject, "【督促】確認期限を過ぎた規程があります");
        let (subject, body) = mail(std::slice::from_ref(&course), date!(2026 - 12 - 04));
        assert_eq!(subject, "【お知らせ】受講期限が近い研修があります");
        assert!(
            body.contains("まだ修了していない研修について")
                && body.contains("特定個人情報取扱規程（第2版）"),
            "{body}"
        );
    }
}
