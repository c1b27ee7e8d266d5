//! A staff member's way through the training with as few clicks as the task allows:
//! 受講を始める goes straight to the first section not yet read, a passed test offers the next
//! course as the main button, the reminder banner forgets what was completed since, and the
//! course catalogue (研修一覧) is open for self-study even before a plan is approved.

use kenshu_core::person::Role;
use kenshu_tests::{Scenario, TestApp};
use reqwest::StatusCode;

/// The section links of a course page, in order.
fn section_links(html: &str, course: &str) -> Vec<String> {
    let marker = format!("href=\"/courses/{course}/sections/");
    html.match_indices(&marker)
        .map(|(i, _)| {
            let start = i + "href=\"".len();
            let end = start + html[start..].find('"').unwrap_or(0);
            html[start..end].to_string()
        })
        .collect()
}

#[tokio::test]
async fn start_goes_to_the_first_unread_section_then_the_test_then_the_next_course() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .person("staff1", Role::Staff)
        .build()
        .await;
    let mut b = app.signed_in("staff1").await;
    let my = b.get("/my").await;
    assert!(
        my.body
            .contains("<a class=\"button\" href=\"/courses/clerk/continue\">受講を始める</a>"),
        "{}",
        my.body
    );
    let sections = section_links(&b.get("/courses/clerk").await.body, "clerk");
    assert!(sections.len() >= 3, "{sections:?}");

    let go = b.get("/courses/clerk/continue").await;
    assert_eq!(go.status, StatusCode::SEE_OTHER);
    assert_eq!(go.location.as_deref(), Some(sections[0].as_str()));
    // Read the first two: 続きから受講する leads to the third.
    for s in &sections[..2] {
        b.get(s).await;
        assert_eq!(
            b.post(&format!("{s}/read"), &[]).await.status,
            StatusCode::SEE_OTHER
        );
    }
    assert!(b.get("/my").await.body.contains("続きから受講する"));
    let go = b.get("/courses/clerk/continue").await;
    assert_eq!(go.location.as_deref(), Some(sections[2].as_str()));
    for s in &sections[2..] {
        b.get(s).await;
        b.post(&format!("{s}/read"), &[]).await;
    }
    let go = b.get("/courses/clerk/continue").await;
    assert_eq!(
        go.location.as_deref(),
        Some("/courses/clerk/test"),
        "then the test"
    );

    // Pass the chapter test (×, ×, ×, ○): the next step is the main button, the retake is not.
    b.get("/courses/clerk/test").await;
    let attempt = uuid::Uuid::new_v4().to_string();
    b.post("/courses/clerk/test/start", &[("attempt", &attempt)])
        .await;
    for (n, a) in ["x", "x", "x", "o"].iter().enumerate() {
        let q = (n + 1).to_string();
        let res = b
            .post(
                "/courses/clerk/test/answer",
                &[("attempt", &attempt), ("question", &q), ("answer", a)],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
    }
    let done = b.get("/courses/clerk/test").await.body;
    assert!(
        done.contains(
            "<a class=\"button primary\" href=\"/my/next?after=clerk\">次の研修へ進む</a>"
        ),
        "{done}"
    );
    assert!(done.contains("href=\"/certificates/clerk\""));
    assert!(
        done.contains("<button type=\"submit\" data-once>もう一度受ける</button>"),
        "the retake is still there, but not the main button: {done}"
    );
    let next = b.get("/my/next?after=clerk").await;
    assert_eq!(
        next.location.as_deref(),
        Some("/courses/cybersecurity/continue"),
        "the next course not yet done, where it was left off"
    );
    // Everything else done: the next step is My training.
    Scenario::new(app.pool())
        .existing("staff1")
        .completed("staff1", "cybersecurity")
        .completed("staff1", "final-test")
        .build()
        .await;
    let next = b.get("/my/next?after=final-test").await;
    assert_eq!(next.location.as_deref(), Some("/my"));
    assert_eq!(
        b.get("/courses/clerk/continue").await.location.as_deref(),
        Some("/courses/clerk"),
        "a completed course opens on its page"
    );
}

#[tokio::test]
async fn the_reminder_banner_leaves_out_what_was_completed_since() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .person("late-a", Role::Staff)
        .build()
        .await;
    let mut o = app.signed_in("officer-a").await;
    o.get("/people/late-a").await;
    let sent = o
        .post(
            "/people/late-a/reminders",
            &[("message", "今週中にお願いします")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);

    let mut me = app.signed_in("late-a").await;
    let banner = |html: &str| -> String {
        let start = html.find("id=\"reminder-notice\"").map(|i| &html[i..]);
        start
            .map(|s| s[..s.find("</section>").unwrap_or(s.len())].to_string())
            .unwrap_or_default()
    };
    let before = banner(&me.get("/my").await.body);
    assert!(
        before.contains("事務取扱担当者研修") && before.contains("サイバーセキュリティ研修"),
        "{before}"
    );
    Scenario::new(app.pool())
        .existing("late-a")
        .completed("late-a", "clerk")
        .build()
        .await;
    let after = banner(&me.get("/my").await.body);
    assert!(after.contains("サイバーセキュリティ研修"), "{after}");
    assert!(
        !after.contains("事務取扱担当者研修"),
        "a completed course is no longer asked for: {after}"
    );
    Scenario::new(app.pool())
        .existing("late-a")
        .completed("late-a", "cybersecurity")
        .completed("late-a", "final-test")
        .build()
        .await;
    let page = me.get("/my").await.body;
    assert!(
        !page.contains("id=\"reminder-notice\""),
        "nothing left to remind of: {page}"
    );
    // The officer still sees the reminder on the person's page, as sent.
    let person = o.get("/people/late-a").await.body;
    assert!(person.contains("今週中にお願いします"));
}

#[tokio::test]
async fn the_catalogue_is_open_for_self_study_before_any_plan_is_approved() {
    let app = TestApp::spawn().await;
    let fy = kenshu_core::FiscalYear::of(kenshu_core::japan_today());
    Scenario::new(app.pool())
        .plan(fy)
        .person("staff1", Role::Staff)
        .build()
        .await;
    let mut b = app.signed_in("staff1").await;
    let my = b.get("/my").await.body;
    assert!(
        my.contains("id=\"no-plan\"") && my.contains("href=\"/courses\""),
        "{my}"
    );
    let page = b.get("/courses").await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    assert!(body.contains("<h1>研修一覧"), "{body}");
    assert!(body.contains("承認を待たずに"), "{body}");
    for code in ["clerk", "cybersecurity", "protection-officer", "final-test"] {
        assert!(
            body.contains(&format!("id=\"course-{code}\"")),
            "{code}: {body}"
        );
        assert!(body.contains(&format!("href=\"/courses/{code}/continue\"")));
    }
    assert!(
        body.matches(">自習</span>").count() >= 4,
        "nothing is assigned yet"
    );
    assert!(body.contains("href=\"/courses\""), "in the navigation");
}

#[tokio::test]
async fn with_a_plan_the_catalogue_shows_what_is_assigned_and_what_is_self_study() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .person("staff1", Role::Staff)
        .completed("staff1", "clerk")
        .build()
        .await;
    let mut b = app.signed_in("staff1").await;
    let body = b.get("/courses").await.body;
    let card = |code: &str| -> String {
        let i = body.find(&format!("id=\"course-{code}\"")).expect(code);
        body[i..i + body[i..].find("</li>").unwrap_or(0)].to_string()
    };
    assert!(card("clerk").contains("修了") && card("clerk").contains("復習する"));
    assert!(card("cybersecurity").contains("受講期限"));
    assert!(
        card("protection-officer").contains(">自習</span>"),
        "the officers' course is not assigned to staff, but open to them"
    );
}
