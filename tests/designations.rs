//! Designations managed by protection officers (their division) and the chief officer (all).

use kenshu_core::person::Role;
use kenshu_tests::{Scenario, TestApp, user};

async fn count(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from designations")
        .fetch_one(app.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_protection_officer_designates_people_of_their_division_only() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .person("clerk-a", Role::Staff)
        .person("clerk-b", Role::Staff)
        .in_division("b")
        .build()
        .await;
    let mut o = app.signed_in("officer-a").await;
    let page = o.get("/designations").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("試験 clerk-a") && !page.body.contains("試験 clerk-b"),
        "{}",
        page.body
    );

    let helper = o
        .post(
            "/designations",
            &[
                ("login", "clerk-a"),
                ("kind", "clerk"),
                ("from", "2026-01-05"),
                ("to", "2026-01-31"),
                ("note", "繁忙期の応援"),
            ],
        )
        .await;
    assert_eq!(helper.status, 303, "{}", helper.body);
    let page = o.get("/designations?division=a").await;
    assert!(
        page.body
            .contains("事務取扱担当者（令和8年1月5日 〜 令和8年1月31日）"),
        "{}",
        page.body
    );

    // Another division's people are out of reach, and nothing leaks.
    let other = o
        .post(
            "/designations",
            &[
                ("login", "clerk-b"),
                ("kind", "clerk"),
                ("from", "2026-01-05"),
            ],
        )
        .await;
    assert_eq!(other.status, 403);
    assert!(!other.body.contains("clerk-b"));
    assert_eq!(o.get("/designations?division=b").await.status, 403);
    assert_eq!(count(&app).await, 1);

    let mut chief = {
        user(app.pool(), "chief", Role::ChiefOfficer).await;
        app.signed_in("chief").await
    };
    let page = chief.get("/designations?division=b").await;
    assert!(page.body.contains("試験 clerk-b"));
    assert_eq!(
        chief
            .post(
                "/designations",
                &[
                    ("login", "clerk-b"),
                    ("kind", "file_handler"),
                    ("from", "2025-04-01")
                ]
            )
            .await
            .status,
        303
    );
    assert_eq!(count(&app).await, 2);

    user(app.pool(), "staff", Role::Staff).await;
    let mut s = app.signed_in("staff").await;
    assert_eq!(s.get("/designations").await.status, 403);
    assert_eq!(
        s.post(
            "/designations",
            &[
                ("login", "clerk-a"),
                ("kind", "clerk"),
                ("from", "2025-04-01")
            ]
        )
        .await
        .status,
        403
    );
}

#[tokio::test]
async fn bad_designations_are_refused_with_the_field_and_the_fix() {
    let app = TestApp::spawn().await;
    user(app.pool(), "officer-a", Role::ProtectionOfficer).await;
    user(app.pool(), "clerk-a", Role::Staff).await;
    let mut o = app.signed_in("officer-a").await;
    o.get("/designations").await;
    let cases = [
        (vec![("kind", "clerk"), ("from", "2025-13-01")], "開始日"),
        (
            vec![
                ("kind", "clerk"),
                ("from", "2025-05-01"),
                ("to", "2025-04-01"),
            ],
            "終了日は開始日以降",
        ),
        (vec![("kind", "課長"), ("from", "2025-05-01")], "指定の種類"),
        (
            vec![
                ("kind", "clerk"),
                ("from", "2025-05-01"),
                ("note", "番号 1234 5678 9018"),
            ],
            "マイナンバー",
        ),
    ];
    for (fields, needle) in cases {
        let mut all = vec![("login", "clerk-a")];
        all.extend(fields);
        let res = o.post("/designations", &all).await;
        assert_eq!(res.status, 422, "{needle}");
        assert!(res.body.contains(needle), "«{needle}» in {}", res.body);
        // The same form again, as typed: the start date is kept.
        let from = all
            .iter()
            .find(|(k, _)| *k == "from")
            .map_or("", |(_, v)| *v);
        assert!(
            res.body
                .contains(&format!("name=\"from\" type=\"date\" value=\"{from}\"")),
            "the input is kept: {}",
            res.body
        );
    }
    assert_eq!(count(&app).await, 0);
}

#[tokio::test]
async fn the_same_designation_twice_over_a_day_is_refused_on_its_field_even_from_two_tabs() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .person("clerk-a", Role::Staff)
        .build()
        .await;
    let mut o = app.signed_in("officer-a").await;
    o.get("/designations").await;
    let clerk_from =
        |from: &'static str| vec![("login", "clerk-a"), ("kind", "clerk"), ("from", from)];
    let first = o.post("/designations", &clerk_from("2025-04-01")).await;
    assert_eq!(first.status, 303, "{}", first.body);
    // The page it returns to says what was done, once, to screen readers too.
    let back = first.location.clone().expect("back to the division");
    let shown = o.get(&back).await;
    assert!(
        shown.body.contains(
            "<p class=\"notice ok\" role=\"status\" id=\"flash\">指定を登録しました。</p>"
        ),
        "{}",
        shown.body
    );
    assert!(
        !o.get(&back).await.body.contains("id=\"flash\""),
        "said once"
    );
    // The same kind in the same division, starting while the first still runs.
    let again = o.post("/designations", &clerk_from("2025-06-01")).await;
    assert_eq!(again.status, 422, "{}", again.body);
    assert!(
        again.body.contains(
            "開始日: この人はこの期間の一部に、同じ所属で同じ種類の指定をすでに受けています"
        ),
        "the field and the fix: {}",
        again.body
    );
    // The page keeps its navigation: the person is still signed in.
    assert!(again.body.contains("/logout"), "{}", again.body);
    assert_eq!(count(&app).await, 1);
    // Another kind over the same period is a different fact.
    let other = o
        .post(
            "/designations",
            &[
                ("login", "clerk-a"),
                ("kind", "file_handler"),
                ("from", "2025-06-01"),
            ],
        )
        .await;
    assert_eq!(other.status, 303, "{}", other.body);

    // Two tabs (or two officers) at once: the database lets exactly one through.
    let mut tab = app.signed_in("officer-a").await;
    tab.get("/designations").await;
    let (a, b) = tokio::join!(
        o.post(
            "/designations",
            &[
                ("login", "clerk-a"),
                ("kind", "system_admin"),
                ("from", "2025-07-01")
            ]
        ),
        tab.post(
            "/designations",
            &[
                ("login", "clerk-a"),
                ("kind", "system_admin"),
                ("from", "2025-08-01")
            ]
        ),
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 422], "{} / {}", a.body, b.body);
    assert_eq!(count(&app).await, 3);
}

#[tokio::test]
async fn ending_a_designation_keeps_its_history() {
    let app = TestApp::spawn().await;
    let s = Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .person("clerk-a", Role::Staff)
        .build()
        .await;
    let mut o = app.signed_in("officer-a").await;
    o.get("/designations").await;
    o.post(
        "/designations",
        &[
            ("login", "clerk-a"),
            ("kind", "clerk"),
            ("from", "2025-04-01"),
        ],
    )
    .await;
    let id = {
        let mut conn = app.pool().acquire().await.unwrap();
        let held = kenshu_db::designation::for_person(&mut conn, s.institution(), s.id("clerk-a"))
            .await
            .unwrap();
        held[0].id
    };
    let res = o
        .post(&format!("/designations/{id}/end"), &[("on", "2025-09-30")])
        .await;
    assert_eq!(res.status, 303);
    let (to, by): (String, Option<uuid::Uuid>) =
        sqlx::query_as("select valid_to::text, ended_by from designations")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(to, "2025-09-30");
    assert!(by.is_some(), "who ended it is recorded");
    let page = o.get("/designations").await;
    assert!(
        page.body.contains("令和7年4月1日 〜 令和7年9月30日"),
        "the ended period stays visible"
    );
}

#[tokio::test]
async fn an_officer_exempts_a_person_of_their_division_with_a_reason_and_the_person_sees_it() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .person("clerk-a", Role::Staff)
        .person("clerk-b", Role::Staff)
        .in_division("b")
        .build()
        .await;
    let mut o = app.signed_in("officer-a").await;
    let page = o.get("/people/clerk-a").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("row-clerk") && page.body.contains("未受講"),
        "{}",
        page.body
    );

    let empty = o
        .post(
            "/people/clerk-a/exemptions",
            &[("course", "cybersecurity"), ("reason", " ")],
        )
        .await;
    assert_eq!(
        empty.status, 422,
        "the page again, with the reason by its field"
    );
    assert!(empty.body.contains("id=\"reason-error\""), "{}", empty.body);
    let mynumber = o
        .post(
            "/people/clerk-a/exemptions",
            &[
                ("course", "cybersecurity"),
                ("reason", "番号123456789018の件"),
            ],
        )
        .await;
    assert_eq!(mynumber.status, 422);
    assert!(mynumber.body.contains("マイナンバー"));
    assert!(
        mynumber
            .body
            .contains("value=\"番号＊＊＊＊＊＊＊＊＊＊＊＊の件\"")
            && !mynumber.body.contains("123456789018"),
        "the rest of what was typed is kept, the number is not sent back: {}",
        mynumber.body
    );
    assert!(
        mynumber
            .body
            .contains("<option value=\"cybersecurity\" selected>"),
        "the course chosen is kept"
    );
    let ok = o
        .post(
            "/people/clerk-a/exemptions",
            &[("course", "cybersecurity"), ("reason", "長期療養のため")],
        )
        .await;
    assert_eq!(ok.status, 303);
    let page = o.get("/people/clerk-a").await;
    assert!(
        page.body.contains("長期療養のため") && page.body.contains("試験 officer-a"),
        "who decided is shown"
    );
    assert!(page.body.contains("badge exempt"));

    let mut p = app.signed_in("clerk-a").await;
    let my = p.get("/my").await;
    assert!(my.body.contains("免除"), "{}", my.body);

    assert_eq!(
        o.get("/people/clerk-b").await.status,
        403,
        "another division"
    );
    assert_eq!(
        o.get("/people/nobody").await.status,
        403,
        "unknown looks the same as elsewhere"
    );
    let other = o
        .post(
            "/people/clerk-b/exemptions",
            &[("course", "clerk"), ("reason", "x")],
        )
        .await;
    assert_eq!(other.status, 403);
    let n: i64 = sqlx::query_scalar("select count(*) from exemptions")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(n, 1);
}
