//! Attendance only while the session happens: the QR check-in from 30 minutes before the
//! start to 60 minutes after the end, the officer's checklist from the start on. Outside
//! that, a Japanese page says when check-in opens or that it has closed, and nothing is
//! recorded (Kenshu issue 10, defect 7: a check-in on 30 November completed the course for a
//! session on 10 December).

use kenshu_core::person::Role;
use kenshu_tests::simulate::in_person_session_runs;
use kenshu_tests::{Scenario, TestApp};
use uuid::Uuid;

use crate::{attended, checkin_path, row_of, schedule, schedule_at};

/// A check-in link signed with the installation's key and valid for ten minutes, as a photo
/// of the room's code would carry: (exp, sig).
async fn fresh_link(app: &TestApp, session: Uuid) -> (String, String) {
    let mut conn = app.pool().acquire().await.unwrap();
    let key = kenshu_db::in_person::secret(&mut conn, "checkin_hmac", &[7u8; 32])
        .await
        .unwrap();
    let exp = time::OffsetDateTime::now_utc().unix_timestamp() + 600;
    (
        exp.to_string(),
        kenshu_web::sign_checkin(&key, session, exp),
    )
}

/// A count read straight from the database.
pub async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(app.pool()).await.unwrap()
}

#[tokio::test]
async fn a_qr_check_in_ten_days_before_the_session_is_refused_and_records_nothing() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .person("s1", Role::Staff)
        .person("walkin", Role::Staff)
        .build()
        .await;
    let mut o = app.signed_in("officer-a").await;
    let day = kenshu_core::japan_today() + time::Duration::days(10);
    let id = schedule_at(
        &mut o,
        "cybersecurity",
        "a",
        &day.to_string(),
        ("10:00", "12:00"),
        "第2会議室",
        "10",
    )
    .await;
    o.post(
        &format!("/officer/sessions/{id}/nominate"),
        &[("logins", "s1")],
    )
    .await;
    let opens = format!(
        "受付開始: {} 09:30",
        kenshu_core::fiscal_year::japanese_date(day)
    );

    // The officer's QR page shows when the code will be shown instead of a code.
    let qr = o.get(&format!("/officer/sessions/{id}/qr")).await;
    assert_eq!(qr.status, 200, "{}", qr.body);
    assert!(!qr.body.contains("<svg") && !qr.body.contains("checkin-url"));
    assert!(
        qr.body
            .contains("QRコードは受付開始（開始の30分前）から表示します")
            && qr.body.contains(&opens),
        "{}",
        qr.body
    );
    assert_eq!(
        qr.headers.get("refresh").and_then(|v| v.to_str().ok()),
        Some("300"),
        "the page looks again in five minutes"
    );

    // A correctly signed, unexpired link is refused all the same, for a participant and for
    // a walk-in, on opening and on confirming.
    let (exp, sig) = fresh_link(&app, id).await;
    for login in ["s1", "walkin"] {
        let mut b = app.signed_in(login).await;
        let page = b.get(&format!("/checkin/{id}?exp={exp}&sig={sig}")).await;
        assert_eq!(page.status, 409, "{login}: {}", page.body);
        assert!(
            page.body
                .contains("この集合研修の出席登録はまだ受け付けていません")
                && page.body.contains(&opens)
                && page.body.contains("第2会議室"),
            "{}",
            page.body
        );
        assert!(!page.body.contains("出席を登録する</button>"));
        let posted = b
            .post(&format!("/checkin/{id}"), &[("exp", &exp), ("sig", &sig)])
            .await;
        assert_eq!(posted.status, 409, "{login}: {}", posted.body);
        assert!(posted.body.contains("まだ受け付けていません"));
    }
    assert_eq!(attended(&app, id).await, 0, "no attendance recorded");
    let people = count(&app, "select count(*) from in_person_participants").await;
    assert_eq!(people, 1, "the walk-in was not taken in");
    let done = count(&app, "select count(*) from completions").await;
    assert_eq!(done, 0, "no course completed");
    let mut s1 = app.signed_in("s1").await;
    let my = s1.get("/my").await;
    assert!(
        !row_of(&my.body, "cybersecurity").contains("修了"),
        "{}",
        my.body
    );
}

#[tokio::test]
async fn a_qr_check_in_is_accepted_from_shortly_before_the_start_to_shortly_after_the_end() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .person("s1", Role::Staff)
        .person("s2", Role::Staff)
        .build()
        .await;
    let mut o = app.signed_in("officer-a").await;

    // Starts in 20 minutes: inside the 30 minutes before the start.
    let early = schedule(&mut o, "cybersecurity", "a", "第1会議室", "10").await;
    in_person_session_runs(app.pool(), early, 20, 80).await;
    let path = checkin_path(&mut o, early).await;
    let (exp, sig) = crate::query_of(&path);
    let mut s1 = app.signed_in("s1").await;
    let form = s1.get(&path).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let done = s1
        .post(
            &format!("/checkin/{early}"),
            &[("exp", &exp), ("sig", &sig)],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("出席を記録しました"));
    assert_eq!(attended(&app, early).await, 1);

    // Ended 50 minutes ago: inside the 60 minutes after the end.
    let late = schedule(&mut o, "clerk", "a", "第3会議室", "10").await;
    in_person_session_runs(app.pool(), late, -170, -50).await;
    let path = checkin_path(&mut o, late).await;
    let (exp, sig) = crate::query_of(&path);
    let mut s2 = app.signed_in("s2").await;
    s2.get(&path).await;
    let done = s2
        .post(&format!("/checkin/{late}"), &[("exp", &exp), ("sig", &sig)])
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("出席を記録しました"));
    assert_eq!(attended(&app, late).await, 1);
}

#[tokio::test]
async fn a_qr_check_in_after_the_window_is_refused_and_records_nothing() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .person("s1", Role::Staff)
        .build()
        .await;
    let mut o = app.signed_in("officer-a").await;
    let id = schedule(&mut o, "cybersecurity", "a", "研修室", "10").await;
    o.post(
        &format!("/officer/sessions/{id}/nominate"),
        &[("logins", "s1")],
    )
    .await;
    // Ended 61 minutes ago.
    in_person_session_runs(app.pool(), id, -181, -61).await;

    let qr = o.get(&format!("/officer/sessions/{id}/qr")).await;
    assert_eq!(qr.status, 200, "{}", qr.body);
    assert!(!qr.body.contains("<svg") && !qr.body.contains("checkin-url"));
    assert!(
        qr.body.contains("出席登録の受付は終了したため") && qr.body.contains("受付終了: "),
        "{}",
        qr.body
    );
    assert!(qr.headers.get("refresh").is_none(), "nothing to wait for");

    let (exp, sig) = fresh_link(&app, id).await;
    let mut s1 = app.signed_in("s1").await;
    let page = s1.get(&format!("/checkin/{id}?exp={exp}&sig={sig}")).await;
    assert_eq!(page.status, 410, "{}", page.body);
    assert!(
        page.body.contains("出席登録の受付は終了しました") && page.body.contains("受付終了: "),
        "{}",
        page.body
    );
    assert!(!page.body.contains("出席を登録する</button>"));
    let posted = s1
        .post(&format!("/checkin/{id}"), &[("exp", &exp), ("sig", &sig)])
        .await;
    assert_eq!(posted.status, 410, "{}", posted.body);
    assert_eq!(attended(&app, id).await, 0);
    assert_eq!(count(&app, "select count(*) from completions").await, 0);
}

#[tokio::test]
async fn the_checklist_is_refused_before_the_start_and_allowed_after_the_end() {
    let app = TestApp::spawn().await;
    let s = Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .person("s1", Role::Staff)
        .build()
        .await;
    let s1 = s.id("s1");
    let mut o = app.signed_in("officer-a").await;
    let day = kenshu_core::japan_today() + time::Duration::days(10);
    let id = schedule_at(
        &mut o,
        "cybersecurity",
        "a",
        &day.to_string(),
        ("10:00", "12:00"),
        "第2会議室",
        "10",
    )
    .await;
    o.post(
        &format!("/officer/sessions/{id}/nominate"),
        &[("logins", "s1")],
    )
    .await;
    let show = o.get(&format!("/officer/sessions/{id}")).await;
    assert!(
        show.body.contains("id=\"checklist-not-yet\"")
            && show.body.contains(&format!(
                "開始時刻: {} 10:00",
                kenshu_core::fiscal_year::japanese_date(day)
            )),
        "{}",
        show.body
    );
    assert!(show.body.contains("id=\"present-s1\" disabled"));

    let refused = o
        .post(
            &format!("/officer/sessions/{id}/attendance"),
            &[("present", &s1.to_string())],
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("開始時刻より前のため、出席は記録できません"),
        "{}",
        refused.body
    );
    assert_eq!(attended(&app, id).await, 0);
    assert_eq!(count(&app, "select count(*) from completions").await, 0);

    // The day after: officers record after the fact.
    in_person_session_runs(app.pool(), id, -26 * 60, -24 * 60).await;
    o.get(&format!("/officer/sessions/{id}")).await;
    let saved = o
        .post(
            &format!("/officer/sessions/{id}/attendance"),
            &[("present", &s1.to_string())],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(attended(&app, id).await, 1);
    assert_eq!(count(&app, "select count(*) from completions").await, 1);
}
