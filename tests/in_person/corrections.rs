//! Officers' corrections of attendance (出欠の訂正): a wrong attendance is withdrawn with a
//! reason; the completion it made goes with it, a completion made otherwise stays; the
//! correction is kept, audited, shown on the session page and in the attendance list; only
//! officers who manage the session's division may make it.

use kenshu_core::person::Role;
use kenshu_tests::{Browser, Scenario, TestApp};
use uuid::Uuid;

use super::window::count;
use crate::{FINAL_KEY, attended, row_of, schedule};

const REASON: &str = "開催前にQRコードを読み取っていたため";

/// A session of `course` today in A課 with `people` attending, recorded on the checklist.
async fn attended_session(o: &mut Browser, course: &str, people: &[(&str, Uuid)]) -> Uuid {
    let id = schedule(o, course, "a", "研修室", "10").await;
    let logins: Vec<&str> = people.iter().map(|p| p.0).collect();
    o.post(
        &format!("/officer/sessions/{id}/nominate"),
        &[("logins", &logins.join(" "))],
    )
    .await;
    let ids: Vec<String> = people.iter().map(|p| p.1.to_string()).collect();
    let present: Vec<(&str, &str)> = ids.iter().map(|i| ("present", i.as_str())).collect();
    let saved = o
        .post(&format!("/officer/sessions/{id}/attendance"), &present)
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    id
}

async fn withdraw(
    b: &mut Browser,
    session: Uuid,
    person: Uuid,
    reason: &str,
) -> kenshu_tests::http::Page {
    b.get(&format!("/officer/sessions/{session}")).await;
    b.post(
        &format!("/officer/sessions/{session}/corrections"),
        &[("person", &person.to_string()), ("reason", reason)],
    )
    .await
}

/// (method of the person's completion of the course, if any).
async fn completion(app: &TestApp, person: Uuid, course: &str) -> Option<String> {
    sqlx::query_scalar("select method from completions where user_id = $1 and course_code = $2")
        .bind(person)
        .bind(course)
        .fetch_optional(app.pool())
        .await
        .unwrap()
}

/// The line of the attendance list (CSV) for a person.
fn line_of<'a>(csv: &'a str, login: &str) -> &'a str {
    csv.lines()
        .find(|l| l.contains(&format!(",{login},")))
        .unwrap_or_else(|| panic!("{login} in {csv}"))
}

#[tokio::test]
async fn an_officer_withdraws_a_wrong_attendance_with_a_reason_and_the_list_shows_it() {
    let app = TestApp::spawn().await;
    let s = Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .person("chief", Role::ChiefOfficer)
        .person("s1", Role::Staff)
        .person("s2", Role::Staff)
        .build()
        .await;
    let (officer, s1, s2) = (s.id("officer-a"), s.id("s1"), s.id("s2"));
    let mut o = app.signed_in("officer-a").await;
    let id = attended_session(&mut o, "cybersecurity", &[("s1", s1), ("s2", s2)]).await;
    assert_eq!(attended(&app, id).await, 2);

    // A reason is required, bounded, and never a My Number; a refusal changes nothing.
    let long = "あ".repeat(501);
    for (reason, says) in [
        ("  ", "理由: 取り消す理由を1〜500文字で入力してください"),
        (
            long.as_str(),
            "理由: 取り消す理由を1〜500文字で入力してください",
        ),
        ("本人確認 1234 5678 9018", "マイナンバー"),
    ] {
        let page = withdraw(&mut o, id, s1, reason).await;
        assert_eq!(page.status, 422, "{reason}: {}", page.body);
        assert!(page.body.contains(says), "{reason}: {}", page.body);
    }
    assert_eq!(attended(&app, id).await, 2);
    assert_eq!(
        completion(&app, s1, "cybersecurity").await.as_deref(),
        Some("in_person")
    );
    assert_eq!(
        count(&app, "select count(*) from in_person_corrections").await,
        0
    );

    let done = withdraw(&mut o, id, s1, REASON).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(attended(&app, id).await, 1);
    assert_eq!(
        completion(&app, s1, "cybersecurity").await,
        None,
        "withdrawn"
    );
    assert_eq!(
        completion(&app, s2, "cybersecurity").await.as_deref(),
        Some("in_person"),
        "the other attendee keeps theirs"
    );

    // Kept, with what was there before.
    let (via, method, reason, by): (String, Option<String>, String, Uuid) = sqlx::query_as(
        "select previous_via, withdrawn_completion_method, reason, corrected_by
         from in_person_corrections where user_id = $1 and not attended_after",
    )
    .bind(s1)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(
        (via.as_str(), method.as_deref(), reason.as_str(), by),
        ("checklist", Some("in_person"), REASON, officer)
    );
    // Audited.
    let (actor, subject, detail): (String, String, String) = sqlx::query_as(
        "select actor, subject, detail from audit_log where action = 'attendance_corrected'",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!((actor.as_str(), subject.as_str()), ("officer-a", "s1"));
    assert!(
        detail.contains(REASON) && detail.contains("修了（集合研修）も取消"),
        "{detail}"
    );

    // The session page lists it; the person's course is no longer complete.
    let show = o.get(&format!("/officer/sessions/{id}")).await;
    let history = &show.body[show.body.find("id=\"corrections\"").expect("history")..];
    assert!(
        history.contains("試験 s1")
            && history.contains("出席取消・修了（集合研修）も取消")
            && history.contains(REASON)
            && history.contains("officer-a"),
        "{history}"
    );
    let row = &show.body[show.body.find("id=\"p-s1\"").expect("row")..];
    assert!(row[..row.find("</tr>").unwrap()].contains("出席取消"));
    let mut b = app.signed_in("s1").await;
    let my = b.get("/my").await;
    assert!(
        !row_of(&my.body, "cybersecurity").contains("修了"),
        "{}",
        my.body
    );

    // Withdrawing again changes nothing.
    let again = withdraw(&mut o, id, s1, REASON).await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body.contains("取り消せません"));
    assert_eq!(
        count(&app, "select count(*) from in_person_corrections").await,
        1
    );

    // The attendance list (出欠リスト) shows the withdrawal in the remarks.
    let fy = kenshu_core::FiscalYear::of(kenshu_core::japan_today()).year();
    let today = kenshu_core::japan_today();
    let mut chief = app.signed_in("chief").await;
    let csv = chief
        .get(&format!(
            "/reports/attendance?fy={fy}&course=cybersecurity&format=csv"
        ))
        .await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    let line = line_of(&csv.body, "s1");
    assert!(
        line.contains("未受講") && line.contains(&format!("出席取消 {today} 理由: {REASON}")),
        "{line}"
    );
    let other = line_of(&csv.body, "s2");
    assert!(
        other.contains("修了") && !other.contains("出席取消"),
        "{other}"
    );
    let html = chief
        .get(&format!(
            "/reports/attendance?fy={fy}&course=cybersecurity&format=html"
        ))
        .await;
    assert!(
        html.body.contains(&format!("理由: {REASON}")),
        "{}",
        html.body
    );
}

/// Passes the final test online.
async fn pass_final_test(b: &mut Browser) {
    b.get("/courses/final-test/test").await;
    let attempt = Uuid::new_v4().to_string();
    let names: Vec<String> = (1..=10).map(|n| format!("q{n}")).collect();
    let mut fields: Vec<(&str, &str)> = vec![("attempt", attempt.as_str())];
    for (i, name) in names.iter().enumerate() {
        fields.push((name.as_str(), FINAL_KEY[i]));
    }
    let passed = b.post("/courses/final-test/test/submit", &fields).await;
    assert_eq!(passed.status, 303, "{}", passed.body);
}

#[tokio::test]
async fn withdrawing_attendance_leaves_a_completion_made_otherwise_alone() {
    let app = TestApp::spawn().await;
    let s = Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .person("s1", Role::Staff)
        .person("s2", Role::Staff)
        .build()
        .await;
    let (s1, s2) = (s.id("s1"), s.id("s2"));
    // s1 passed the test online before the session.
    let mut b1 = app.signed_in("s1").await;
    pass_final_test(&mut b1).await;
    assert_eq!(
        completion(&app, s1, "final-test").await.as_deref(),
        Some("e_learning")
    );
    let mut o = app.signed_in("officer-a").await;
    let id = attended_session(&mut o, "final-test", &[("s1", s1), ("s2", s2)]).await;
    // s2 completed by attending, and passed the test online afterwards.
    assert_eq!(
        completion(&app, s2, "final-test").await.as_deref(),
        Some("in_person")
    );
    let mut b2 = app.signed_in("s2").await;
    pass_final_test(&mut b2).await;

    let when = || async {
        sqlx::query_scalar::<_, time::OffsetDateTime>(
            "select completed_at from completions where user_id = $1",
        )
        .bind(s1)
        .fetch_one(app.pool())
        .await
        .unwrap()
    };
    let before = when().await;
    let done = withdraw(&mut o, id, s1, REASON).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(
        completion(&app, s1, "final-test").await.as_deref(),
        Some("e_learning"),
        "the online completion stays"
    );
    assert_eq!(when().await, before, "untouched, not made again");
    let show = o.get(&format!("/officer/sessions/{id}")).await;
    let history = &show.body[show.body.find("id=\"corrections\"").expect("history")..];
    assert!(history.contains("出席取消") && !history.contains("修了（集合研修）も取消"));

    // s2's in-person completion goes; the test they passed completes the course online.
    let done = withdraw(&mut o, id, s2, REASON).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(
        completion(&app, s2, "final-test").await.as_deref(),
        Some("e_learning")
    );
    let withdrawn = count(
        &app,
        "select count(*) from in_person_corrections where withdrawn_completion_method = 'in_person'",
    )
    .await;
    assert_eq!(withdrawn, 1, "only s2's in-person completion was withdrawn");
}

#[tokio::test]
async fn only_officers_who_manage_the_sessions_division_may_withdraw_attendance() {
    let app = TestApp::spawn().await;
    let s1 = Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .person("chief", Role::ChiefOfficer)
        .person("auditor", Role::AuditOfficer)
        .person("officer-b", Role::ProtectionOfficer)
        .in_division("b")
        .person("s1", Role::Staff)
        .person("s2", Role::Staff)
        .build()
        .await
        .id("s1");
    let mut o = app.signed_in("officer-a").await;
    let id = attended_session(&mut o, "cybersecurity", &[("s1", s1)]).await;
    let unchanged = async || {
        assert_eq!(attended(&app, id).await, 1);
        assert_eq!(
            completion(&app, s1, "cybersecurity").await.as_deref(),
            Some("in_person")
        );
        assert_eq!(
            count(&app, "select count(*) from in_person_corrections").await,
            0
        );
        let audited = count(
            &app,
            "select count(*) from audit_log where action = 'attendance_corrected'",
        )
        .await;
        assert_eq!(audited, 0);
    };

    for login in ["officer-b", "auditor", "s2"] {
        let mut b = app.signed_in(login).await;
        b.get("/my").await;
        let page = b
            .post(
                &format!("/officer/sessions/{id}/corrections"),
                &[("person", &s1.to_string()), ("reason", REASON)],
            )
            .await;
        assert_eq!(page.status, 403, "{login}: {}", page.body);
        assert!(page.body.contains("権限がありません"));
        assert!(!page.body.contains("試験 s1"), "403 leaks nothing");
        unchanged().await;
    }
    // Without the form's CSRF token, not even the session's own officer.
    o.get(&format!("/officer/sessions/{id}")).await;
    let forged = o
        .post_raw(
            &format!("/officer/sessions/{id}/corrections"),
            &[("person", &s1.to_string()), ("reason", REASON)],
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    unchanged().await;

    // The chief officer reaches every division.
    let mut c = app.signed_in("chief").await;
    let done = withdraw(&mut c, id, s1, REASON).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(attended(&app, id).await, 0);
}
