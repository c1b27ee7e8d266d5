//! The next step for each role, as a person sees it at 1280 and 375 px: a staff member goes
//! from 受講を始める straight into the material and from a passed test to the next course, finds
//! every course in 研修一覧, answers the final test on choices that show no stray circle, and
//! has a certificate with its own number that anyone can check; an officer's refused note
//! comes back as typed; the chief reads the overview's figures with what they count, under a
//! navigation in named groups. axe-core runs on each page (serious or critical findings fail).

use kenshu_core::person::Role;
use kenshu_tests::{Scenario, TestApp};

use super::checks::{axe_source, snap};
use super::driver::Session;
use crate::sign_in;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_sees_the_next_step_and_what_the_figures_count() {
    let Some(b) = Session::launch("each_role_sees_the_next_step_and_what_the_figures_count").await
    else {
        return;
    };
    let axe = axe_source();
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .person("chief", Role::ChiefOfficer)
        .person("officer-a", Role::ProtectionOfficer)
        .person("staff1", Role::Staff)
        .person("gone", Role::Staff)
        .left(kenshu_core::japan_today() - time::Duration::days(1))
        .completed("staff1", "cybersecurity")
        .build()
        .await;
    let mut problems = Vec::new();

    // Staff: 受講を始める opens the first section itself.
    sign_in(&b, &app, "staff1").await;
    b.click("#course-clerk a.button").await;
    b.wait_for("article.prose").await;
    let url = b.current_url().await;
    assert!(
        url.ends_with("/courses/clerk/sections/system-overview"),
        "受講を始める should open the first section, opened {url}"
    );
    snap(&b, &axe, "flow-first-section", &mut problems).await;
    // The rest of the material read (as the reader's button would record it).
    let mut conn = app.pool().acquire().await.expect("connection");
    let (inst, id): (uuid::Uuid, uuid::Uuid) =
        sqlx::query_as("select institution_id, id from users where login_id = 'staff1'")
            .fetch_one(&mut *conn)
            .await
            .expect("staff1");
    let version = kenshu_db::content::current_version(&mut conn, "clerk")
        .await
        .expect("version")
        .expect("clerk");
    let who = kenshu_db::learning::Learner {
        institution_id: inst,
        user_id: id,
        fiscal_year: kenshu_core::FiscalYear::of(kenshu_core::japan_today()),
    };
    for s in crate::package("clerk").sections {
        kenshu_db::learning::mark_read(&mut conn, who, "clerk", &s.slug, version)
            .await
            .expect("read");
    }
    drop(conn);

    // 研修一覧: every course, the officers' one as self-study.
    b.goto(&app.url("/courses")).await;
    b.wait_for("#catalogue").await;
    assert_eq!(b.count("#catalogue li.card").await, 4);
    assert!(b.text("#course-protection-officer").await.contains("自習"));
    snap(&b, &axe, "flow-catalogue", &mut problems).await;

    // The final test: the radio's own circle is not drawn next to ○ and ×, the box shows the
    // choice (a check mark), and the keyboard still reaches the radios.
    b.goto(&app.url("/courses/final-test/test")).await;
    b.wait_for("form.final").await;
    let drawn = b
        .execute(
            "const r = document.querySelector('#q1 input[type=radio]');
             const s = getComputedStyle(r);
             return [s.opacity, r.getBoundingClientRect().width, r.tabIndex];",
        )
        .await;
    assert_eq!(drawn[0], "0", "the radio's circle is not shown: {drawn}");
    assert!(drawn[1].as_f64().unwrap_or(99.0) <= 1.0, "{drawn}");
    assert_eq!(drawn[2], 0, "still in the tab order");
    b.click("#q1 label.choice").await;
    let mark = b
        .execute(
            "return getComputedStyle(document.querySelector('#q1 label.choice'), '::before').content;",
        )
        .await;
    assert_eq!(mark, "\"✓\"", "the chosen answer shows a check mark");
    snap(&b, &axe, "flow-final-test-choices", &mut problems).await;

    // Pass the clerk chapter test: the next course is the main button.
    b.goto(&app.url("/courses/clerk/test")).await;
    b.click("form[action='/courses/clerk/test/start'] button")
        .await;
    for (n, a) in ["x", "x", "x", "o"].iter().enumerate() {
        let q = n + 1;
        let css = format!("#q{q} button[name=answer][value={a}]");
        b.wait_for(&css).await;
        b.click(&css).await;
        b.wait_for(&format!("#q{q} .verdict")).await;
    }
    let next = b.wait_for("#next-step a.button.primary").await;
    assert_eq!(
        next.text().await.unwrap_or_default(),
        "次の研修へ進む",
        "after passing, the main button leads on"
    );
    snap(&b, &axe, "flow-chapter-test-passed", &mut problems).await;
    b.click("#next-step a.button.primary").await;
    b.wait_for("main").await;
    let url = b.current_url().await;
    assert!(
        url.contains("/courses/final-test"),
        "the next course not yet done is the final test, went to {url}"
    );

    // The certificate has its own number; anyone checks it without signing in.
    b.goto(&app.url("/certificates/clerk")).await;
    let number = b.text(".cert-number").await;
    let number = number
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .to_string();
    assert!(b.text(".cert-issuer").await.contains("テスト市 総括責任者"));
    snap(&b, &axe, "flow-certificate", &mut problems).await;
    b.click("form[action='/logout'] button").await;
    b.wait_for("#login").await;
    b.goto(&app.url("/certificates/verify")).await;
    b.type_into("#no", &number.to_lowercase()).await;
    b.click("form[action='/certificates/verify'] button").await;
    let verdict = b
        .wait_for("#verdict")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        verdict.contains("発行されています") && verdict.contains("試験 staff1"),
        "{verdict}"
    );
    snap(&b, &axe, "flow-verify", &mut problems).await;

    // The officer's note with a My Number: the page again, the note kept with the number
    // masked, the reason next to it.
    sign_in(&b, &app, "officer-a").await;
    b.goto(&app.url("/people/staff1")).await;
    b.type_into("#fu-note", "本人番号 1234-5678-9018 を確認")
        .await;
    b.click("form[action='/people/staff1/follow-ups'] button")
        .await;
    let error = b
        .wait_for("#fu-note-error")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(error.contains("マイナンバー"), "{error}");
    assert_eq!(
        b.value("#fu-note").await,
        "本人番号 ＊＊＊＊-＊＊＊＊-＊＊＊＊ を確認"
    );
    snap(&b, &axe, "flow-person-refused", &mut problems).await;
    b.click("form[action='/logout'] button").await;
    b.wait_for("#login").await;

    // The chief: the figures with what they count (the leaver included), the navigation in
    // named groups, short enough on a phone.
    sign_in(&b, &app, "chief").await;
    b.goto(&app.url("/overview")).await;
    b.wait_for("#divisions").await;
    assert!(b.text("#figures-explained").await.contains("退職"));
    let heads = b.texts("#divisions thead th").await;
    assert!(heads.contains(&"対象者（名）".to_string()), "{heads:?}");
    let groups = b.texts("header nav.main .group-label").await;
    assert_eq!(
        groups,
        ["受講", "受講管理", "計画・記録", "アカウント"],
        "the chief's navigation in named groups"
    );
    snap(&b, &axe, "flow-overview", &mut problems).await;
    b.phone(375, 812).await;
    let nav_height = b
        .execute("return document.querySelector('header nav.main').getBoundingClientRect().height;")
        .await
        .as_f64()
        .unwrap_or(999.0);
    b.desktop().await;
    assert!(
        nav_height < 200.0,
        "one line per group on a phone, {nav_height} px in all"
    );
    b.close().await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
