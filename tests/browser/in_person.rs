//! In-person sessions (集合研修) in the browser: the officer's list, session page and QR page,
//! the staff sign-up page and the check-in page, checked with axe-core (when installed), at
//! desktop width and on a phone without sideways scrolling, with screenshots.

use kenshu_core::people::Role;
use kenshu_tests::{TestApp, user};

use super::driver::{Session, axe_source, phone_overflow};
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
                b.cdp(
                    "Emulation.clearDeviceMetricsOverride",
                    serde_json::json!({}),
                )
                .await;
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
