//! In-person sessions (集合研修) in the browser: the officer's list, session page and QR page,
//! the staff sign-up page and the check-in page, checked with axe-core (when installed), at
//! desktop width and on a phone without sideways scrolling, with screenshots.

use kenshu_core::person::Role;
use kenshu_tests::{TestApp, user};

use super::checks::{axe_source, phone_overflow, snap};
use super::driver::Session;
use crate::sign_in;

/// Schedules a session of the cybersecurity course for today in A課 with s1 nominated, over
/// HTTP, and returns its id.
async fn session(app: &TestApp) -> String {
    let mut o = app.signed_in("officer-a").await;
    o.get("/officer/sessions").await;
    let page = o
        .post(
            "/officer/sessions",
            &[
                ("course", "cybersecurity"),
                ("division", "a"),
                ("date", &kenshu_core::japan_today().to_string()),
                ("starts", "00:00"),
                ("ends", "23:59"),
                ("place", "本庁舎 5階 第1会議室（情報政策課の隣）"),
                ("capacity", "30"),
            ],
        )
        .await;
    let id = page
        .location
        .as_deref()
        .and_then(|l| l.strip_prefix("/officer/sessions/"))
        .expect("session scheduled")
        .to_string();
    o.post(
        &format!("/officer/sessions/{id}/nominate"),
        &[("logins", "s1")],
    )
    .await;
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_person_pages_are_accessible_and_fit_a_phone() {
    let Some(b) = Session::launch("in_person_pages_are_accessible_and_fit_a_phone").await else {
        return;
    };
    let axe = axe_source();
    let app = TestApp::spawn().await;
    user(app.pool(), "officer-a", Role::ProtectionOfficer).await;
    user(app.pool(), "s1", Role::Staff).await;
    let id = session(&app).await;

    let mut problems = Vec::new();
    let mut shots = async |path: &str, ready: &str, shot: &str| {
        for phone in [false, true] {
            if phone {
                b.phone(390, 844).await;
            }
            b.goto(&app.url(path)).await;
            b.wait_for(ready).await;
            if phone {
                if let Some(o) = phone_overflow(&b).await {
                    problems.push(format!("{path} at 390 px: {o}"));
                }
                b.save_full_page_screenshot(&format!("in-person-{shot}-phone"))
                    .await;
                b.desktop().await;
            } else {
                if let Some(axe) = &axe {
                    for v in b.axe(axe).await {
                        println!("axe {path}: {v}");
                        if v.starts_with("[critical]") || v.starts_with("[serious]") {
                            problems.push(format!("{path}: {v}"));
                        }
                    }
                }
                b.save_full_page_screenshot(&format!("in-person-{shot}"))
                    .await;
            }
        }
    };
    sign_in(&b, &app, "officer-a").await;
    shots("/officer/sessions", "#sessions", "list").await;
    shots(
        &format!("/officer/sessions/{id}"),
        "#participants",
        "session",
    )
    .await;
    shots(&format!("/officer/sessions/{id}/qr"), "svg.qr", "qr").await;
    let url = b.text("#checkin-url").await;
    let checkin = url[url.find("/checkin/").expect("check-in path")..].to_string();
    b.goto(&app.url("/my")).await;
    b.click("header.site form[action='/logout'] button").await;
    b.wait_for("#login").await;

    sign_in(&b, &app, "s1").await;
    shots("/sessions", "#my-sessions", "signup").await;
    shots(&checkin, "form[action^='/checkin/'] button", "checkin").await;
    b.click("form[action^='/checkin/'] button").await;
    b.wait_for(".notice.ok").await;
    let done = b.text("#checkin-message").await;
    b.close().await;
    assert_eq!(done, "出席を記録しました。");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attendance_is_taken_only_while_the_session_happens_and_officers_correct_it() {
    let Some(b) = Session::launch(
        "attendance_is_taken_only_while_the_session_happens_and_officers_correct_it",
    )
    .await
    else {
        return;
    };
    let axe = axe_source();
    let app = TestApp::spawn().await;
    user(app.pool(), "officer-a", Role::ProtectionOfficer).await;
    user(app.pool(), "s1", Role::Staff).await;
    let today = session(&app).await;
    let day = kenshu_core::japan_today() + time::Duration::days(10);
    let mut o = app.signed_in("officer-a").await;
    o.get("/officer/sessions").await;
    let ahead = o
        .post(
            "/officer/sessions",
            &[
                ("course", "clerk"),
                ("division", "a"),
                ("date", &day.to_string()),
                ("starts", "10:00"),
                ("ends", "12:00"),
                ("place", "本庁舎 3階 研修室"),
                ("capacity", "30"),
            ],
        )
        .await
        .location
        .and_then(|l| l.strip_prefix("/officer/sessions/").map(str::to_string))
        .expect("session scheduled");
    o.post(
        &format!("/officer/sessions/{ahead}/nominate"),
        &[("logins", "s1")],
    )
    .await;

    let mut problems = Vec::new();
    sign_in(&b, &app, "officer-a").await;
    // Ten days ahead: no QR code yet, and the checklist waits for the start.
    b.goto(&app.url(&format!("/officer/sessions/{ahead}/qr")))
        .await;
    let waiting = b.text("#qr-waiting").await;
    snap(&b, &axe, "attendance-qr-not-yet", &mut problems).await;
    b.goto(&app.url(&format!("/officer/sessions/{ahead}")))
        .await;
    let not_yet = b.text("#checklist-not-yet").await;
    snap(&b, &axe, "attendance-checklist-not-yet", &mut problems).await;

    // Today: the checklist records s1, then the officer withdraws it with a reason.
    b.goto(&app.url(&format!("/officer/sessions/{today}")))
        .await;
    b.click("#present-s1").await;
    b.click("form[action$='/attendance'] button[type=submit]")
        .await;
    b.wait_for("#p-s1 .badge.completed").await;
    snap(&b, &axe, "attendance-recorded", &mut problems).await;
    b.type_into("#correct-reason", "本人確認 1234 5678 9018")
        .await;
    b.click("#correct button[type=submit]").await;
    let refused = b.wait_for("#notice").await.text().await.expect("notice");
    snap(&b, &axe, "attendance-reason-refused", &mut problems).await;
    b.type_into(
        "#correct-reason",
        "開催前にQRコードを読み取っていたため（本人は欠席）",
    )
    .await;
    b.click("#correct button[type=submit]").await;
    let history = b
        .wait_for("#corrections")
        .await
        .text()
        .await
        .expect("history");
    snap(&b, &axe, "attendance-withdrawn", &mut problems).await;
    b.goto(&app.url("/my")).await;
    b.click("header.site form[action='/logout'] button").await;
    b.wait_for("#login").await;

    // s1 opens a correctly signed link for the session ten days ahead, then after it.
    let key = {
        let mut conn = app.pool().acquire().await.expect("conn");
        kenshu_db::in_person::secret(&mut conn, "checkin_hmac", &[7u8; 32])
            .await
            .expect("key")
    };
    let id = uuid::Uuid::parse_str(&ahead).expect("id");
    let exp = time::OffsetDateTime::now_utc().unix_timestamp() + 600;
    let link = format!(
        "/checkin/{ahead}?exp={exp}&sig={}",
        kenshu_web::sign_checkin(&key, id, exp)
    );
    sign_in(&b, &app, "s1").await;
    b.goto(&app.url(&link)).await;
    let early = b.text("#checkin-message").await;
    snap(&b, &axe, "attendance-checkin-not-yet", &mut problems).await;
    kenshu_tests::simulate::in_person_session_runs(app.pool(), id, -180, -61).await;
    b.goto(&app.url(&link)).await;
    let late = b.text("#checkin-message").await;
    snap(&b, &axe, "attendance-checkin-closed", &mut problems).await;
    b.close().await;

    assert!(waiting.contains("QRコードは受付開始"), "{waiting}");
    assert!(not_yet.contains("開始時刻より前のため"), "{not_yet}");
    assert!(refused.contains("マイナンバー"), "{refused}");
    assert!(
        history.contains("出席取消") && history.contains("本人は欠席"),
        "{history}"
    );
    assert!(early.contains("まだ受け付けていません"), "{early}");
    assert!(late.contains("受付は終了しました"), "{late}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
