//! Taking the final test (まとめテスト) through the portal, as a person would.

use kenshu_core::person::Role;
use kenshu_core::plan::DesignationKind;
use kenshu_core::{FiscalYear, japan_today};

use crate::{Scenario, TestApp};

/// The final test's answer key: ○ for questions 2, 3, 6 and 10, × for the rest.
pub const FINAL_MARU: [u32; 4] = [2, 3, 6, 10];

/// `login` submits the final test, answering question `n` with `mark(n)` (`"o"` or `"x"`);
/// [`right`] answers every question rightly.
pub async fn take_final(app: &TestApp, login: &str, mark: impl Fn(u32) -> &'static str) {
    let mut s = app.signed_in(login).await;
    s.get("/courses/final-test/test").await;
    let id = uuid::Uuid::new_v4().to_string();
    let names: Vec<(String, &str)> = (1..=10).map(|n| (format!("q{n}"), mark(n))).collect();
    let mut fields = vec![("attempt", id.as_str())];
    fields.extend(names.iter().map(|(n, m)| (n.as_str(), *m)));
    let sent = s.post("/courses/final-test/test/submit", &fields).await;
    assert_eq!(sent.status, 303, "{login}: {}", sent.body);
}

/// The right answer to the final test's question `n`.
pub fn right(n: u32) -> &'static str {
    if FINAL_MARU.contains(&n) { "o" } else { "x" }
}

/// The chief officer, officer-a (division a), and the final test taken by: in division a,
/// a1–a4 (a1–a3 clerks) answer ○ to everything; division b: b1–b3 answer ×.
pub async fn answers_in_two_divisions(app: &TestApp) {
    let start = FiscalYear::of(japan_today()).start();
    let mut s = Scenario::new(app.pool())
        .person("chief", Role::ChiefOfficer)
        .person("officer-a", Role::ProtectionOfficer);
    for login in ["a1", "a2", "a3"] {
        s = s
            .person(login, Role::Staff)
            .designated(DesignationKind::Clerk, start);
    }
    s = s.person("a4", Role::Staff);
    for login in ["b1", "b2", "b3"] {
        s = s.person(login, Role::Staff).in_division("b");
    }
    s.build().await;
    for login in ["a1", "a2", "a3", "a4"] {
        take_final(app, login, |_| "o").await;
    }
    for login in ["b1", "b2", "b3"] {
        take_final(app, login, |_| "x").await;
    }
    // A second attempt does not change the figures: only the first of the year counts.
    take_final(app, "a1", right).await;
}
