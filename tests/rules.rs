//! Rules read and acknowledged (issue 17, item 2): the chief officer publishes a rule with a
//! minimum reading time; staff read it and acknowledge it, not before the time has passed on the
//! server's clock; a new version asks again and a form for the old one is refused; the chief
//! sees who has acknowledged the current version; bad drafts are refused field by field and
//! publish nothing; only the chief publishes, the audit officer reads, others get 403.

use kenshu_core::person::Role;
use kenshu_tests::{Scenario, TestApp};

const BODY: &str = "# 特定個人情報取扱規程\n\n第1条 この規程は、特定個人情報の適正な取扱いを定める。\n\n<script>alert(1)</script>\n";

async fn audit(app: &TestApp, action: &str) -> Vec<(String, String, String)> {
    sqlx::query_as("select actor, subject, detail from audit_log where action = $1 order by seq")
        .bind(action)
        .fetch_all(app.pool())
        .await
        .unwrap()
}

/// As if the person had opened the rule `secs` seconds ago.
async fn opened_ago(app: &TestApp, secs: i64) {
    sqlx::query("update rule_readings set opened_at = now() - make_interval(secs => $1)")
        .bind(secs as f64)
        .execute(app.pool())
        .await
        .unwrap();
}

#[tokio::test]
async fn staff_acknowledge_a_rule_after_reading_it_and_again_for_a_new_version() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .person("chief", Role::ChiefOfficer)
        .person("staff1", Role::Staff)
        .build()
        .await;
    let mut chief = app.signed_in("chief").await;
    assert_eq!(chief.get("/manage/rules").await.status, 200);
    let published = chief
        .post(
            "/manage/rules",
            &[
                ("code", "tokutei-kitei"),
                ("title", "特定個人情報取扱規程"),
                ("min_read_secs", "30"),
                ("body", BODY),
            ],
        )
        .await;
    assert_eq!(published.status, 303, "{}", published.body);
    assert_eq!(
        published.location.as_deref(),
        Some("/manage/rules/tokutei-kitei")
    );
    let logged = audit(&app, "rule_published").await;
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].1, "tokutei-kitei");
    assert!(logged[0].2.starts_with("version 1: 特定個人情報取扱規程"));

    // Staff see it to acknowledge.
    let mut staff = app.signed_in("staff1").await;
    let list = staff.get("/rules").await;
    assert!(list.body.contains("href=\"/rules/tokutei-kitei\""));
    assert!(list.body.contains("未確認"));
    let page = staff.get("/rules/tokutei-kitei").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<h1>特定個人情報取扱規程</h1>"));
    assert!(page.body.contains("第1条"));
    assert!(
        page.body.contains("&lt;script&gt;") && !page.body.contains("<script>alert"),
        "raw HTML in a rule is shown as text"
    );
    assert!(page.body.contains("data-wait=\"30\"") || page.body.contains("data-wait=\"29\""));

    // Too soon: refused with how long to go, nothing recorded.
    let early = staff
        .post("/rules/tokutei-kitei/acknowledge", &[("version", "1")])
        .await;
    assert_eq!(early.status, 422);
    assert!(
        early.body.contains("最低閲覧時間があります"),
        "{}",
        early.body
    );
    assert!(audit(&app, "rule_acknowledged").await.is_empty());

    // Read long enough: recorded once.
    opened_ago(&app, 31).await;
    let done = staff
        .post("/rules/tokutei-kitei/acknowledge", &[("version", "1")])
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let again = staff
        .post("/rules/tokutei-kitei/acknowledge", &[("version", "1")])
        .await;
    assert_eq!(again.status, 303);
    let acks = audit(&app, "rule_acknowledged").await;
    assert_eq!(acks.len(), 1, "{acks:?}");
    assert_eq!(acks[0].0, "staff1");
    assert!(acks[0].2.starts_with("version 1, read for 3"), "{acks:?}");
    let shown = staff.get("/rules/tokutei-kitei").await;
    assert!(shown.body.contains("この版は確認済みです"));
    assert!(!shown.body.contains("id=\"acknowledge\""));
    assert!(staff.get("/rules").await.body.contains("確認済み"));

    // The chief sees 1 of 2 acknowledged, by name.
    let detail = chief.get("/manage/rules/tokutei-kitei").await;
    assert!(detail.body.contains("1 / 2"), "{}", detail.body);
    let list = chief.get("/manage/rules").await;
    assert!(list.body.contains("<td>1 / 2</td>"), "{}", list.body);

    // A new version asks again; the form of the old one is refused.
    let v2 = chief
        .post(
            "/manage/rules",
            &[
                ("code", "tokutei-kitei"),
                ("title", "特定個人情報取扱規程"),
                ("min_read_secs", "0"),
                ("body", "第1条 改正後の規程。"),
            ],
        )
        .await;
    assert_eq!(v2.status, 303, "{}", v2.body);
    assert!(staff.get("/rules").await.body.contains("未確認"));
    let stale = staff
        .post("/rules/tokutei-kitei/acknowledge", &[("version", "1")])
        .await;
    assert_eq!(stale.status, 409);
    assert!(stale.body.contains("新しい版が公開されました"));
    let page = staff.get("/rules/tokutei-kitei").await;
    assert!(page.body.contains("改正後の規程"));
    let ok = staff
        .post("/rules/tokutei-kitei/acknowledge", &[("version", "2")])
        .await;
    assert_eq!(ok.status, 303, "no reading time for version 2");
    let kept: Vec<i32> =
        sqlx::query_scalar("select version from rule_acknowledgements order by version")
            .fetch_all(app.pool())
            .await
            .unwrap();
    assert_eq!(kept, [1, 2], "both acknowledgements stay on record");
}

#[tokio::test]
async fn a_bad_draft_is_refused_field_by_field_and_only_the_chief_publishes() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .person("chief", Role::ChiefOfficer)
        .person("auditor", Role::AuditOfficer)
        .person("officer", Role::ProtectionOfficer)
        .person("staff1", Role::Staff)
        .build()
        .await;
    let mut chief = app.signed_in("chief").await;
    chief.get("/manage/rules").await;
    let bad = chief
        .post(
            "/manage/rules",
            &[
                ("code", "Bad Code"),
                ("title", ""),
                ("min_read_secs", "5000"),
                ("body", "番号 1234 5678 9018 を記載"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    for said in [
        "規程コードは、半角の英小文字",
        "題名を200文字以内",
        "最低閲覧時間は0〜3600秒",
        "個人番号（マイナンバー）と思われる",
    ] {
        assert!(bad.body.contains(said), "{said}: {}", bad.body);
    }
    assert!(
        !bad.body.contains("1234 5678 9018"),
        "the number is not shown back"
    );
    let none: i64 = sqlx::query_scalar("select count(*) from rule_versions")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(none, 0);

    let good = [
        ("code", "security-policy"),
        ("title", "情報セキュリティポリシー"),
        ("min_read_secs", "0"),
        ("body", "基本方針"),
    ];
    assert_eq!(chief.post("/manage/rules", &good).await.status, 303);

    // The audit officer reads who acknowledged, without the form; cannot publish.
    let mut auditor = app.signed_in("auditor").await;
    let page = auditor.get("/manage/rules/security-policy").await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("id=\"publish\""));
    assert_eq!(auditor.post("/manage/rules", &good).await.status, 403);
    // Protection officers and staff: 403 on the chief's pages, and nothing leaks.
    for login in ["officer", "staff1"] {
        let mut b = app.signed_in(login).await;
        for path in ["/manage/rules", "/manage/rules/security-policy"] {
            let page = b.get(path).await;
            assert_eq!(page.status, 403, "{login} {path}");
            assert!(
                !page.body.contains("情報セキュリティポリシー"),
                "{login} {path}"
            );
        }
        assert_eq!(b.post("/manage/rules", &good).await.status, 403);
        assert_eq!(b.get("/rules/security-policy").await.status, 200);
    }
    assert_eq!(chief.get("/rules/no-such-rule").await.status, 404);
    let versions: i64 = sqlx::query_scalar("select count(*) from rule_versions")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(versions, 1);
}
