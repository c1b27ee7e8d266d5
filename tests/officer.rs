//! The protection officer's dashboard: who is untrained in their division, and nobody else's.

use kenshu_core::people::Role;
use kenshu_tests::{TestApp, user, user_in};

#[tokio::test]
async fn an_officer_sees_the_untrained_of_their_division_and_nothing_of_another() {
    let app = TestApp::spawn().await;
    user(app.pool(), "officer-a", Role::ProtectionOfficer).await;
    user(app.pool(), "late-a", Role::Staff).await;
    user(app.pool(), "done-a", Role::Staff).await;
    user_in(app.pool(), "other-b", Role::Staff, true, false).await;
    // done-a finished everything; the clerk course was due yesterday.
    sqlx::query(
        "insert into completions (institution_id, user_id, course_code, fiscal_year, content_version_id, method)
         select u.institution_id, u.id, c.code, $1, c.current_version_id, 'e_learning'
         from users u cross join courses c where u.login_id = 'done-a' and c.code in ('clerk', 'cybersecurity', 'final-test')",
    )
    .bind(kenshu_core::FiscalYear::of(kenshu_core::japan_today()).0)
    .execute(app.pool())
    .await
    .unwrap();
    sqlx::query("update plan_courses set deadline = $1 where course_code = 'clerk'")
        .bind(kenshu_core::japan_today() - time::Duration::days(1))
        .execute(app.pool())
        .await
        .unwrap();

    let mut o = app.signed_in("officer-a").await;
    let page = o.get("/officer").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("試験 late-a"), "{}", page.body);
    assert!(
        !page.body.contains("試験 done-a"),
        "the untrained list leaves out who has finished"
    );
    assert!(
        !page.body.contains("other-b"),
        "another division stays hidden"
    );
    assert!(page.body.contains("期限超過"));
    assert!(
        page.body.contains(
            "class=\"count-completed\"><a href=\"/officer?division=a&amp;show=completed\">3</a>"
        ),
        "{}",
        page.body
    );

    let overdue = o.get("/officer?show=overdue").await;
    assert!(overdue.body.contains("試験 late-a") && overdue.body.contains("事務取扱担当者研修"));
    assert!(
        !overdue.body.contains("サイバーセキュリティ研修</td>"),
        "only overdue lines"
    );
    let all = o.get("/officer?show=all&sort=name").await;
    assert!(all.body.contains("試験 done-a"));

    assert_eq!(o.get("/officer?division=b").await.status, 403);
    assert_eq!(o.get("/people/other-b").await.status, 403);

    user(app.pool(), "auditor", Role::AuditOfficer).await;
    let mut a = app.signed_in("auditor").await;
    let b = a.get("/officer?division=b").await;
    assert_eq!(b.status, 200, "the audit officer sees every division");
    assert!(b.body.contains("試験 other-b"));
    let person = a.get("/people/other-b").await;
    assert_eq!(person.status, 200);
    assert!(!person.body.contains("免除を記録する"), "read-only");
    assert_eq!(
        a.post(
            "/people/other-b/exemptions",
            &[("course", "clerk"), ("reason", "x")]
        )
        .await
        .status,
        403
    );
}
