//! In-person sessions (集合研修): scheduling, nominating, sign-up within capacity, attendance on
//! the checklist and by QR code, and what attendance does to the person's course. Attendance
//! only while the session happens is in `in_person/window.rs`, officers' corrections of it in
//! `in_person/corrections.rs`, the QR code's link in `in_person/qr_link.rs`.

mod in_person {
    mod corrections;
    mod qr_link;
    mod window;
}

use kenshu_core::person::Role;
use kenshu_tests::{Browser, PASSWORD, Scenario, TestApp, user};
use reqwest::StatusCode;
use uuid::Uuid;

/// The final test's answers from the seed.
const FINAL_KEY: [&str; 10] = ["x", "o", "o", "x", "x", "o", "x", "x", "x", "o"];

/// The card of one course on "My training".
fn row_of(html: &str, code: &str) -> String {
    let at = html
        .find(&format!("id=\"course-{code}\""))
        .expect("course card");
    let end = html[at..].find("</li>").map_or(html.len(), |e| at + e);
    html[at..end].to_string()
}

fn today() -> String {
    kenshu_core::japan_today().to_string()
}

/// Schedules a session of `course` for today, all day, and returns its id.
async fn schedule(b: &mut Browser, course: &str, division: &str, place: &str, cap: &str) -> Uuid {
    let (date, place) = (today(), place.to_string());
    schedule_at(b, course, division, &date, ("00:00", "23:59"), &place, cap).await
}

/// Schedules a session of `course` on `date` from `times.0` to `times.1` (Japan).
async fn schedule_at(
    b: &mut Browser,
    course: &str,
    division: &str,
    date: &str,
    times: (&str, &str),
    place: &str,
    cap: &str,
) -> Uuid {
    b.get("/officer/sessions").await;
    let page = b
        .post(
            "/officer/sessions",
            &[
                ("course", course),
                ("division", division),
                ("date", date),
                ("starts", times.0),
                ("ends", times.1),
                ("place", place),
                ("capacity", cap),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let location = page.location.expect("redirect to the session");
    let id = location
        .strip_prefix("/officer/sessions/")
        .expect("session page");
    Uuid::parse_str(id).expect("session id")
}

async fn attended(app: &TestApp, session: Uuid) -> i64 {
    sqlx::query_scalar(
        "select count(*) from in_person_participants where session_id = $1 and attended_at is not null",
    )
    .bind(session)
    .fetch_one(app.pool())
    .await
    .unwrap()
}

/// The check-in path shown under the room's QR code.
async fn checkin_path(officer: &mut Browser, session: Uuid) -> String {
    let page = officer
        .get(&format!("/officer/sessions/{session}/qr"))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("<svg role=\"img\" class=\"qr\""),
        "an inline QR code"
    );
    let start = page.body.find("<code id=\"checkin-url\">").expect("url") + 22;
    let end = page.body[start..].find("</code>").expect("end") + start;
    let url = page.body[start..end]
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let path = &url[url.find("/checkin/").expect("path")..];
    path.to_string()
}

#[tokio::test]
async fn an_officer_schedules_and_nominates_and_staff_sign_up_within_capacity() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .person("s1", Role::Staff)
        .person("s2", Role::Staff)
        .person("s3", Role::Staff)
        .build()
        .await;
    let mut o = app.signed_in("officer-a").await;
    let bad = o
        .post(
            "/officer/sessions",
            &[
                ("course", "clerk"),
                ("division", "a"),
                ("date", &today()),
                ("starts", "10:00"),
                ("ends", "11:00"),
                ("place", "第1会議室"),
                ("capacity", "0"),
            ],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("定員: 1〜10000"), "{}", bad.body);
    let late = o
        .post(
            "/officer/sessions",
            &[
                ("course", "clerk"),
                ("division", "a"),
                ("date", &today()),
                ("starts", "11:00"),
                ("ends", "10:00"),
                ("place", "第1会議室"),
                ("capacity", "5"),
            ],
        )
        .await;
    assert!(late.body.contains("終了を開始より後に"), "{}", late.body);

    let id = schedule(&mut o, "clerk", "a", "第1会議室", "2").await;
    let list = o.get("/officer/sessions").await;
    assert!(list.body.contains("第1会議室") && list.body.contains("0 / 2"));
    let nominated = o
        .post(
            &format!("/officer/sessions/{id}/nominate"),
            &[("pick", "s1")],
        )
        .await;
    assert_eq!(nominated.status, 303, "{}", nominated.body);
    let show = o.get(&format!("/officer/sessions/{id}")).await;
    assert!(show.body.contains("試験 s1") && show.body.contains("指名"));

    let mut s2 = app.signed_in("s2").await;
    let offers = s2.get("/sessions").await;
    assert!(offers.body.contains("第1会議室"), "{}", offers.body);
    assert!(offers.body.contains("1 / 2"), "one seat left");
    let ok = s2.post(&format!("/sessions/{id}/signup"), &[]).await;
    assert_eq!(ok.status, 303);
    let mine = s2.get("/sessions").await;
    assert!(mine.body.contains("id=\"my-sessions\"") && mine.body.contains("申込済み"));

    let mut s3 = app.signed_in("s3").await;
    s3.get("/sessions").await;
    let full = s3.post(&format!("/sessions/{id}/signup"), &[]).await;
    assert_eq!(full.status, 409);
    assert!(
        full.body.contains("定員に達しているため申し込めません"),
        "{}",
        full.body
    );
    let full_nomination = o
        .post(
            &format!("/officer/sessions/{id}/nominate"),
            &[("logins", "s3")],
        )
        .await;
    assert_eq!(full_nomination.status, 409);
    assert!(
        full_nomination
            .body
            .contains("定員に達したため、次の人は指名できませんでした: s3")
    );

    let withdrawn = s2.post(&format!("/sessions/{id}/cancel"), &[]).await;
    assert_eq!(withdrawn.status, 303);
    assert_eq!(
        s3.post(&format!("/sessions/{id}/signup"), &[]).await.status,
        303
    );
    let show = o.get(&format!("/officer/sessions/{id}")).await;
    assert!(show.body.contains("id=\"p-s3\"") && !show.body.contains("id=\"p-s2\""));
    assert!(show.body.contains("本人申込"));
}

/// Asks to schedule a clerk session for division a today from `times.0` to `times.1` at
/// `place`, and returns the answer.
async fn try_schedule(
    b: &mut Browser,
    place: &str,
    times: (&str, &str),
) -> kenshu_tests::http::Page {
    b.post(
        "/officer/sessions",
        &[
            ("course", "clerk"),
            ("division", "a"),
            ("date", &today()),
            ("starts", times.0),
            ("ends", times.1),
            ("place", place),
            ("capacity", "10"),
        ],
    )
    .await
}

#[tokio::test]
async fn two_sessions_cannot_hold_one_place_at_one_time() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .build()
        .await;
    let mut o = app.signed_in("officer-a").await;
    o.get("/officer/sessions").await;
    let first = try_schedule(&mut o, "研修室", ("10:00", "11:00")).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    let first = first.location.expect("the session's page");

    let clash = try_schedule(&mut o, "研修室", ("10:30", "11:30")).await;
    assert_eq!(
        clash.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        clash.body
    );
    assert!(
        clash
            .body
            .contains("会場: この会場ではこの時間に別の集合研修が予定されています"),
        "the field and the fix: {}",
        clash.body
    );
    let sessions = || async {
        sqlx::query_scalar::<_, i64>("select count(*) from in_person_sessions")
            .fetch_one(app.pool())
            .await
            .unwrap()
    };
    assert_eq!(sessions().await, 1);
    // Back to back in the same room, or the same time in another room: both fine.
    let next = try_schedule(&mut o, "研修室", ("11:00", "12:00")).await;
    assert_eq!(next.status, StatusCode::SEE_OTHER, "{}", next.body);
    let elsewhere = try_schedule(&mut o, "第2会議室", ("10:30", "11:30")).await;
    assert_eq!(
        elsewhere.status,
        StatusCode::SEE_OTHER,
        "{}",
        elsewhere.body
    );
    // A cancelled session frees its room.
    let cancelled = o.post(&format!("{first}/cancel"), &[]).await;
    assert_eq!(
        cancelled.status,
        StatusCode::SEE_OTHER,
        "{}",
        cancelled.body
    );
    let again = try_schedule(&mut o, "研修室", ("10:00", "11:00")).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    assert_eq!(sessions().await, 4);
}

#[tokio::test]
async fn the_checklist_records_attendance_and_completes_the_course() {
    let app = TestApp::spawn().await;
    let s = Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .person("s1", Role::Staff)
        .person("s2", Role::Staff)
        .build()
        .await;
    let (s1, s2) = (s.id("s1"), s.id("s2"));
    let mut o = app.signed_in("officer-a").await;
    let id = schedule(&mut o, "cybersecurity", "a", "研修室", "10").await;
    o.post(
        &format!("/officer/sessions/{id}/nominate"),
        &[("logins", "s1 s2")],
    )
    .await;
    let show = o.get(&format!("/officer/sessions/{id}")).await;
    assert!(show.body.contains("出席の記録で修了になります"));
    let saved = o
        .post(
            &format!("/officer/sessions/{id}/attendance"),
            &[("present", &s1.to_string())],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    // Saving the same checklist again records nothing twice.
    o.get(&format!("/officer/sessions/{id}")).await;
    o.post(
        &format!("/officer/sessions/{id}/attendance"),
        &[("present", &s1.to_string())],
    )
    .await;
    assert_eq!(attended(&app, id).await, 1);

    let mut b = app.signed_in("s1").await;
    let my = b.get("/my").await;
    assert!(
        row_of(&my.body, "cybersecurity").contains("修了（集合研修）"),
        "{}",
        my.body
    );
    let method: String = sqlx::query_scalar(
        "select method from completions where user_id = $1 and course_code = 'cybersecurity'",
    )
    .bind(s1)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(method, "in_person");
    let none: i64 = sqlx::query_scalar("select count(*) from completions where user_id = $1")
        .bind(s2)
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(none, 0, "only the ticked person attended");

    let dash = o.get("/officer?show=completed_in_person").await;
    assert!(dash.body.contains("試験 s1") && !dash.body.contains("試験 s2"));
    let show = o.get(&format!("/officer/sessions/{id}")).await;
    assert!(show.body.contains("出席済み") && show.body.contains("チェックリスト"));
}

#[tokio::test]
async fn a_valid_qr_code_marks_attendance_even_through_sign_in() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .person("s1", Role::Staff)
        .person("walkin", Role::Staff)
        .build()
        .await;
    let mut o = app.signed_in("officer-a").await;
    let id = schedule(&mut o, "cybersecurity", "a", "大会議室", "10").await;
    o.post(
        &format!("/officer/sessions/{id}/nominate"),
        &[("logins", "s1")],
    )
    .await;
    let path = checkin_path(&mut o, id).await;

    // On the phone, not yet signed in: sign-in brings the person back to the link.
    let mut phone = app.browser();
    let first = phone.get(&path).await;
    assert_eq!(first.status, 303);
    let login = first.location.expect("to sign-in");
    assert!(login.starts_with("/login?next=/checkin/"), "{login}");
    phone.get(&login).await;
    let signed = phone
        .post(
            "/login",
            &[("login", "s1"), ("password", PASSWORD), ("next", &path)],
        )
        .await;
    assert_eq!(signed.location.as_deref(), Some(path.as_str()));
    let form = phone.get(&path).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains("大会議室") && form.body.contains("出席を登録する"));
    assert_eq!(
        attended(&app, id).await,
        0,
        "opening the link alone records nothing"
    );
    let (exp, sig) = query_of(&path);
    let done = phone
        .post(&format!("/checkin/{id}"), &[("exp", &exp), ("sig", &sig)])
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("出席を記録しました"));
    assert_eq!(attended(&app, id).await, 1);
    let via: String = sqlx::query_scalar(
        "select attendance_via from in_person_participants where attended_at is not null",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(via, "qr");

    // Someone who did not sign up is taken in while there is a seat.
    let mut w = app.signed_in("walkin").await;
    w.get(&path).await;
    let walk = w
        .post(&format!("/checkin/{id}"), &[("exp", &exp), ("sig", &sig)])
        .await;
    assert!(walk.body.contains("出席を記録しました"), "{}", walk.body);
    assert_eq!(attended(&app, id).await, 2);
    let show = o.get(&format!("/officer/sessions/{id}")).await;
    assert!(show.body.contains("QRコード") && show.body.contains("試験 walkin"));
}

fn query_of(path: &str) -> (String, String) {
    let q = &path[path.find('?').expect("query") + 1..];
    let mut exp = String::new();
    let mut sig = String::new();
    for pair in q.split('&') {
        match pair.split_once('=') {
            Some(("exp", v)) => exp = v.to_string(),
            Some(("sig", v)) => sig = v.to_string(),
            _ => {}
        }
    }
    (exp, sig)
}

#[tokio::test]
async fn an_expired_or_tampered_qr_code_is_refused_and_records_nothing() {
    let app = TestApp::spawn().await;
    user(app.pool(), "officer-a", Role::ProtectionOfficer).await;
    user(app.pool(), "s1", Role::Staff).await;
    let mut o = app.signed_in("officer-a").await;
    let id = schedule(&mut o, "cybersecurity", "a", "研修室", "10").await;
    o.post(
        &format!("/officer/sessions/{id}/nominate"),
        &[("logins", "s1")],
    )
    .await;
    let path = checkin_path(&mut o, id).await;
    let (exp, sig) = query_of(&path);

    // Correctly signed with the installation's key, but ten minutes past its expiry.
    let key = {
        let mut conn = app.pool().acquire().await.unwrap();
        // The key the portal made on first use (the fresh one offered here is not taken).
        kenshu_db::in_person::secret(&mut conn, "checkin_hmac", &[7u8; 32])
            .await
            .unwrap()
    };
    let past = time::OffsetDateTime::now_utc().unix_timestamp() - 600;
    let old_sig = kenshu_web::sign_checkin(&key, id, past);
    let mut b = app.signed_in("s1").await;
    let expired = b
        .get(&format!("/checkin/{id}?exp={past}&sig={old_sig}"))
        .await;
    assert_eq!(expired.status, 410);
    assert!(
        expired.body.contains("有効期限が切れています"),
        "{}",
        expired.body
    );
    assert!(!expired.body.contains("出席を登録する</button>"));
    let posted = b
        .post(
            &format!("/checkin/{id}"),
            &[("exp", &past.to_string()), ("sig", &old_sig)],
        )
        .await;
    assert_eq!(posted.status, 410);

    // A changed signature, or a later expiry under the old signature.
    let mut forged = sig.clone();
    let last = if forged.ends_with('0') { "1" } else { "0" };
    forged.replace_range(forged.len() - 1.., last);
    let later = (exp.parse::<i64>().unwrap() + 3600).to_string();
    for (e, s) in [
        (exp.as_str(), forged.as_str()),
        (later.as_str(), sig.as_str()),
        (exp.as_str(), ""),
    ] {
        let page = b.get(&format!("/checkin/{id}?exp={e}&sig={s}")).await;
        assert_eq!(page.status, 403, "exp={e} sig={s}");
        assert!(
            page.body.contains("このQRコードは正しくありません"),
            "{}",
            page.body
        );
        let page = b
            .post(&format!("/checkin/{id}"), &[("exp", e), ("sig", s)])
            .await;
        assert_eq!(page.status, 403);
    }
    assert_eq!(attended(&app, id).await, 0, "nothing recorded");
    let completions: i64 = sqlx::query_scalar("select count(*) from completions")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(completions, 0);
}

#[tokio::test]
async fn an_officer_of_one_division_cannot_see_or_act_on_another_divisions_sessions() {
    let app = TestApp::spawn().await;
    let other = Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .person("s1", Role::Staff)
        .person("officer-b", Role::ProtectionOfficer)
        .in_division("b")
        .person("other-b", Role::Staff)
        .in_division("b")
        .build()
        .await
        .id("other-b");
    let mut ob = app.signed_in("officer-b").await;
    let b_session = schedule(&mut ob, "clerk", "b", "B課分室", "5").await;
    ob.post(
        &format!("/officer/sessions/{b_session}/nominate"),
        &[("logins", "other-b")],
    )
    .await;
    // Officer B cannot schedule for A, nor for the whole institution.
    for division in ["a", ""] {
        let refused = ob
            .post(
                "/officer/sessions",
                &[
                    ("course", "clerk"),
                    ("division", division),
                    ("date", &today()),
                    ("starts", "10:00"),
                    ("ends", "11:00"),
                    ("place", "x"),
                    ("capacity", "5"),
                ],
            )
            .await;
        assert_eq!(refused.status, 403, "division {division:?}");
    }

    let mut oa = app.signed_in("officer-a").await;
    let a_session = schedule(&mut oa, "clerk", "a", "A課会議室", "5").await;
    let list = oa.get("/officer/sessions").await;
    assert!(list.body.contains("A課会議室"));
    assert!(!list.body.contains("B課分室") && !list.body.contains(&b_session.to_string()));
    for path in [
        format!("/officer/sessions/{b_session}"),
        format!("/officer/sessions/{b_session}/qr"),
    ] {
        let page = oa.get(&path).await;
        assert_eq!(page.status, 403, "{path}");
        assert!(page.body.contains("権限がありません"));
        assert!(
            !page.body.contains("B課分室") && !page.body.contains("試験 other-b"),
            "403 leaks nothing"
        );
    }
    let other_id = other.to_string();
    for (path, fields) in [
        (
            format!("/officer/sessions/{b_session}/nominate"),
            vec![("logins", "s1")],
        ),
        (
            format!("/officer/sessions/{b_session}/attendance"),
            vec![("present", other_id.as_str())],
        ),
        (format!("/officer/sessions/{b_session}/cancel"), vec![]),
    ] {
        let page = oa.post(&path, &fields).await;
        assert_eq!(page.status, 403, "{path}");
        assert!(!page.body.contains("試験 other-b"));
    }
    assert_eq!(attended(&app, b_session).await, 0);
    let cancelled: bool =
        sqlx::query_scalar("select cancelled from in_person_sessions where id = $1")
            .bind(b_session)
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert!(!cancelled);

    // Nor can officer A pull B's people into A's session; the refusal names only what was typed.
    let pulled = oa
        .post(
            &format!("/officer/sessions/{a_session}/nominate"),
            &[("logins", "other-b")],
        )
        .await;
    assert_eq!(pulled.status, 422);
    assert!(
        pulled
            .body
            .contains("この集合研修の対象の所属ではありません: other-b")
    );
    assert!(!pulled.body.contains("試験 other-b"));

    // Staff of A neither see B's session nor can join it.
    let mut s1 = app.signed_in("s1").await;
    let offers = s1.get("/sessions").await;
    assert!(offers.body.contains("A課会議室") && !offers.body.contains("B課分室"));
    assert_eq!(
        s1.post(&format!("/sessions/{b_session}/signup"), &[])
            .await
            .status,
        404
    );
    // Staff do not reach the officers' pages.
    assert_eq!(s1.get("/officer/sessions").await.status, 403);
    assert_eq!(
        s1.get(&format!("/officer/sessions/{a_session}"))
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn where_the_plan_requires_the_test_attendance_alone_does_not_complete_the_course() {
    let app = TestApp::spawn().await;
    let s1 = Scenario::new(app.pool())
        .plan(kenshu_core::FiscalYear::of(kenshu_core::japan_today()))
        .course("final-test")
        .test_required()
        .approved()
        .person("chief", Role::ChiefOfficer)
        .person("s1", Role::Staff)
        .build()
        .await
        .id("s1");
    let mut c = app.signed_in("chief").await;
    // The chief officer may schedule for the whole institution.
    let id = schedule(&mut c, "final-test", "", "講堂", "100").await;
    c.post(
        &format!("/officer/sessions/{id}/nominate"),
        &[("logins", "s1")],
    )
    .await;
    let show = c.get(&format!("/officer/sessions/{id}")).await;
    assert!(
        show.body.contains("出席に加えてテストの合格で修了"),
        "{}",
        show.body
    );
    c.post(
        &format!("/officer/sessions/{id}/attendance"),
        &[("present", &s1.to_string())],
    )
    .await;
    assert_eq!(attended(&app, id).await, 1);
    let completions = || async {
        sqlx::query_scalar::<_, String>(
            "select method from completions where course_code = 'final-test'",
        )
        .fetch_optional(app.pool())
        .await
        .unwrap()
    };
    assert_eq!(
        completions().await,
        None,
        "attendance alone does not complete it"
    );
    let mut b = app.signed_in("s1").await;
    let mine = b.get("/sessions").await;
    assert!(
        mine.body.contains("出席済み（テストの合格で修了）"),
        "{}",
        mine.body
    );

    // Passing the test then completes it, as in-person training.
    b.get("/courses/final-test/test").await;
    let attempt = Uuid::new_v4().to_string();
    let names: Vec<String> = (1..=10).map(|n| format!("q{n}")).collect();
    let mut fields: Vec<(&str, &str)> = vec![("attempt", attempt.as_str())];
    for (i, name) in names.iter().enumerate() {
        fields.push((name.as_str(), FINAL_KEY[i]));
    }
    let passed = b.post("/courses/final-test/test/submit", &fields).await;
    assert_eq!(passed.status, 303, "{}", passed.body);
    assert_eq!(completions().await.as_deref(), Some("in_person"));
    let my = b.get("/my").await;
    assert!(
        row_of(&my.body, "final-test").contains("修了（集合研修）"),
        "{}",
        my.body
    );
}

#[tokio::test]
async fn the_plan_says_which_courses_need_the_test_on_top_of_attendance() {
    let app = TestApp::spawn().await;
    user(app.pool(), "chief", Role::ChiefOfficer).await;
    let next = kenshu_core::FiscalYear::of(kenshu_core::japan_today()).year() + 1;
    let fy = next.to_string();
    let mut c = app.signed_in("chief").await;
    c.get(&format!("/plans?fy={fy}")).await;
    c.post("/plans", &[("fy", &fy), ("from", "standard")]).await;
    let draft = c.get(&format!("/plans?fy={fy}")).await;
    assert!(draft.body.contains("集合研修ではテストの合格も求める"));
    assert!(
        !draft.body.contains("id=\"in-person-test\""),
        "none ticked yet"
    );
    let ok = c
        .post(
            &format!("/plans/{fy}/courses/clerk"),
            &[
                ("audience", "all"),
                ("starts_on", &format!("{next}-04-01")),
                ("deadline", &format!("{next}-09-30")),
                ("in_person_test", "on"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let page = c.get(&format!("/plans?fy={fy}")).await;
    let line = &page.body[page.body.find("id=\"in-person-test\"").expect("listed")..];
    assert!(
        line.contains("事務取扱担当者研修")
            && !line[..line.find("</p>").unwrap()].contains("サイバー")
    );
    let flags: Vec<(String, bool)> = sqlx::query_as(
        "select c.course_code, c.in_person_test_required from plan_courses c
         join training_plans p on p.id = c.plan_id where p.fiscal_year = $1 order by 1",
    )
    .bind(next)
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert!(flags.contains(&("clerk".to_string(), true)));
    assert!(flags.contains(&("cybersecurity".to_string(), false)));
}
