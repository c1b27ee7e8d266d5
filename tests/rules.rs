//! Rules read and acknowledged (issue 17, item 2): the chief officer publishes a rule with a
//! minimum reading time; staff read it and acknowledge it, not before the time has passed on the
//! server's clock; a new version asks again and a form for the old one is refused; the chief
//! sees who has acknowledged the current version; bad drafts are refused field by field and
//! publish nothing; only the chief publishes, the audit officer reads, others get 403. The plan
//! requires rules by audience and deadline (a draft's, audited, copied with last year's plan);
//! `/my`, the person page, the dashboard, the overview, the digest, the reminder mail (the plan's
//! schedule reminds of a rule alone too) and the annual report in every format show who
//! acknowledged the current version and who is overdue.

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

fn this_year() -> kenshu_core::FiscalYear {
    kenshu_core::FiscalYear::of(kenshu_core::japan_today())
}

/// Publishes a rule as the chief, with no reading time.
async fn publish(chief: &mut kenshu_tests::Browser, code: &str, title: &str, body: &str) {
    chief.get("/manage/rules").await;
    let res = chief
        .post(
            "/manage/rules",
            &[
                ("code", code),
                ("title", title),
                ("min_read_secs", "0"),
                ("body", body),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
}

/// Opens the rule and acknowledges its version `version`.
async fn acknowledge(b: &mut kenshu_tests::Browser, code: &str, version: &str) {
    assert_eq!(b.get(&format!("/rules/{code}")).await.status, 200);
    let res = b
        .post(
            &format!("/rules/{code}/acknowledge"),
            &[("version", version)],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
}

/// The plan requires rules like courses: by audience and deadline, changed only while a
/// draft and audited; `/my` lists what is pending until it is acknowledged and again for a
/// new version; past the deadline (and 30 days after a version's publication) it is overdue
/// on `/my`, the person page, the dashboard, the overview, the officer's digest, the
/// reminder mail and the annual report in every format.
#[tokio::test]
async fn the_plan_requires_a_rule_and_everyone_sees_who_acknowledged_it_and_who_is_overdue() {
    let app = TestApp::spawn().await;
    let fy = this_year();
    let y = fy.year().to_string();
    let today = kenshu_core::japan_today();
    let built = Scenario::new(app.pool())
        .plan(fy)
        .person("officer", Role::ProtectionOfficer)
        .person("staff1", Role::Staff)
        .named("規程 一郎")
        .person("staff2", Role::Staff)
        .named("規程 二郎")
        .designated(kenshu_core::plan::DesignationKind::Clerk, fy.start())
        .person("chief", Role::ChiefOfficer)
        .in_division("b")
        .person("other-b", Role::Staff)
        .in_division("b")
        .build()
        .await;
    let mut chief = app.signed_in("chief").await;
    publish(
        &mut chief,
        "tokutei-kitei",
        "特定個人情報取扱規程",
        "第1条 目的",
    )
    .await;
    publish(
        &mut chief,
        "security-policy",
        "情報セキュリティポリシー",
        "基本方針",
    )
    .await;

    // The draft plan offers the published rules.
    let page = chief.get(&format!("/plans?fy={y}")).await;
    assert!(
        page.body.contains("規程を追加: 特定個人情報取扱規程")
            && page.body.contains("規程を追加: 情報セキュリティポリシー"),
        "{}",
        page.body
    );
    // Ten days ago: overdue once no version is new (see below).
    let deadline = (today - time::Duration::days(10)).to_string();
    let kitei = format!("/plans/{y}/rules/tokutei-kitei");
    let policy = format!("/plans/{y}/rules/security-policy");
    let none = chief.post(&kitei, &[("deadline", &deadline)]).await;
    assert_eq!(none.status, 400, "an audience is needed");
    let bad = chief
        .post(&kitei, &[("audience", "all"), ("deadline", "someday")])
        .await;
    assert_eq!(bad.status, 400);
    let unknown = chief
        .post(
            &format!("/plans/{y}/rules/no-such-rule"),
            &[("audience", "all"), ("deadline", &deadline)],
        )
        .await;
    assert_eq!(unknown.status, 404);
    let mut staff1 = app.signed_in("staff1").await;
    staff1.get("/my").await;
    let refused = staff1
        .post(&kitei, &[("audience", "all"), ("deadline", &deadline)])
        .await;
    assert_eq!(refused.status, 403, "staff do not draft plans");
    for (url, audience) in [(&kitei, "all"), (&policy, "all")] {
        let ok = chief
            .post(url, &[("audience", audience), ("deadline", &deadline)])
            .await;
        assert_eq!(ok.status, 303, "{}", ok.body);
    }
    assert_eq!(
        chief.post(&format!("{policy}/remove"), &[]).await.status,
        303
    );
    let clerks = chief
        .post(&policy, &[("audience", "clerk"), ("deadline", &deadline)])
        .await;
    assert_eq!(clerks.status, 303);
    let changes: Vec<String> = audit(&app, "plan_changed")
        .await
        .into_iter()
        .map(|a| a.2)
        .collect();
    assert_eq!(
        changes,
        [
            format!("rule tokutei-kitei for all by {deadline}"),
            format!("rule security-policy for all by {deadline}"),
            "removed rule security-policy".to_string(),
            format!("rule security-policy for clerk by {deadline}"),
        ]
    );
    let page = chief.get(&format!("/plans?fy={y}")).await;
    assert!(
        page.body.contains("id=\"rule-tokutei-kitei\"")
            && page.body.contains("特定個人情報取扱規程 第1版"),
        "{}",
        page.body
    );
    let document = chief.get(&format!("/plans/{y}/document")).await;
    assert!(
        document.body.contains("id=\"plan-rules\"")
            && document.body.contains("特定個人情報取扱規程 第1版")
            && document.body.contains("情報セキュリティポリシー 第1版"),
        "{}",
        document.body
    );
    assert_eq!(
        chief.post(&format!("/plans/{y}/approve"), &[]).await.status,
        303
    );
    let locked = chief
        .post(&kitei, &[("audience", "clerk"), ("deadline", &deadline)])
        .await;
    assert_eq!(locked.status, 400, "an approved plan is not changed");
    assert_eq!(
        chief.post(&format!("{kitei}/remove"), &[]).await.status,
        400
    );

    // /my lists the pending rules: a version just published is not overdue (30 days).
    let my = staff1.get("/my").await;
    assert!(
        my.body.contains("id=\"pending-rules\"")
            && my.body.contains("href=\"/rules/tokutei-kitei\"")
            && my.body.contains("第1版"),
        "{}",
        my.body
    );
    assert!(!my.body.contains("security-policy"), "only for clerks");
    assert!(!my.body.contains("badge overdue\">期限超過"), "{}", my.body);
    let mut staff2 = app.signed_in("staff2").await;
    assert!(
        staff2
            .get("/my")
            .await
            .body
            .contains("href=\"/rules/security-policy\""),
        "the clerk is asked for the clerks' rule"
    );
    acknowledge(&mut staff1, "tokutei-kitei", "1").await;
    let my = staff1.get("/my").await;
    assert!(!my.body.contains("id=\"pending-rules\""), "{}", my.body);

    // A new version asks again.
    publish(
        &mut chief,
        "tokutei-kitei",
        "特定個人情報取扱規程",
        "第1条 改正",
    )
    .await;
    let my = staff1.get("/my").await;
    assert!(
        my.body.contains("href=\"/rules/tokutei-kitei\"") && my.body.contains("第2版"),
        "{}",
        my.body
    );
    // Both versions published long ago: the deadline (ten days ago) has passed.
    sqlx::query("update rule_versions set published_at = now() - interval '60 days'")
        .execute(app.pool())
        .await
        .unwrap();
    acknowledge(&mut staff2, "tokutei-kitei", "2").await;
    let my = staff1.get("/my").await;
    assert!(my.body.contains("badge overdue\">期限超過"), "{}", my.body);

    // The person page: overdue, with the earlier version acknowledged.
    let mut officer = app.signed_in("officer").await;
    let person = officer.get("/people/staff1").await;
    assert!(
        person.body.contains("id=\"person-rules\"")
            && person.body.contains("特定個人情報取扱規程 第2版")
            && person.body.contains("期限超過")
            && person.body.contains("第1版 確認済み"),
        "{}",
        person.body
    );
    // The dashboard of division a: officer, staff1, staff2 asked; staff2 acknowledged.
    let dashboard = officer.get("/officer").await;
    let counts = dashboard
        .body
        .split("id=\"rule-counts\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no rule counts: {}", dashboard.body));
    assert!(
        counts.contains("特定個人情報取扱規程 第2版")
            && counts.contains("<td class=\"rule-required\">3</td><td class=\"rule-acknowledged\">1</td><td class=\"rule-overdue\">2"),
        "{counts}"
    );
    assert!(counts.contains("href=\"/people/staff1\">規程 一郎"));
    // The overview, by division and in total (the clerks' rule: staff2, not acknowledged).
    let overview = chief.get(&format!("/overview?fy={y}")).await;
    for (row, figures) in [
        ("rules-a", [4, 1, 3, 0]),
        ("rules-b", [2, 0, 2, 0]),
        ("rules-total", [6, 1, 5, 0]),
    ] {
        let expected = format!(
            "<td class=\"rule-required\">{}</td><td class=\"rule-acknowledged\">{}</td><td class=\"rule-overdue\">{}</td><td class=\"rule-pending\">{}</td>",
            figures[0], figures[1], figures[2], figures[3]
        );
        let line = overview
            .body
            .split(&format!("id=\"{row}\""))
            .nth(1)
            .and_then(|s| s.split("</tr>").next())
            .unwrap_or_else(|| panic!("no {row}: {}", overview.body));
        assert!(line.contains(&expected), "{row}: {line}");
    }

    // The protection officer's digest lists staff1 for the rule.
    let mut conn = app.pool().acquire().await.unwrap();
    let prepared = kenshu_app::digest::prepare(&mut conn, built.institution(), today)
        .await
        .unwrap()
        .expect("an approved plan");
    let lines: Vec<(String, String)> = prepared
        .digests
        .iter()
        .filter(|d| d.kind == kenshu_app::digest::Kind::Officer)
        .flat_map(|d| d.lines.iter().map(|l| (l.person.clone(), l.course.clone())))
        .collect();
    assert!(
        lines.contains(&(
            "規程 一郎".to_string(),
            "規程の確認: 特定個人情報取扱規程".to_string()
        )),
        "{lines:?}"
    );
    assert!(
        !lines
            .iter()
            .any(|(p, c)| p == "規程 二郎" && c.contains("特定個人情報取扱規程")),
        "staff2 acknowledged the current version: {lines:?}"
    );
    drop(conn);

    // A reminder names the pending rule after the courses.
    officer.get("/people/staff1").await;
    let sent = officer.post("/people/staff1/reminders", &[]).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let body: String =
        sqlx::query_scalar("select body from mail_outbox order by created_at desc limit 1")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert!(
        body.contains("特定個人情報取扱規程（第2版）の確認　確認期限:")
            && body.contains("（期限を過ぎています）"),
        "{body}"
    );

    // The annual report: a row per person and required rule, and the totals, in all formats.
    let csv = chief
        .get(&format!("/reports/annual?fy={y}&format=csv"))
        .await;
    assert_eq!(csv.status, 200);
    let rows = kenshu_tests::reports::parse_csv(csv.body.trim_start_matches('\u{feff}'));
    let rule_rows: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| {
            r.get(5)
                .is_some_and(|c| c.starts_with("規程の確認: 特定個人情報取扱規程"))
        })
        .collect();
    assert_eq!(rule_rows.len(), 5, "{rows:?}");
    let of = |login: &str| {
        rule_rows
            .iter()
            .find(|r| r[2] == login)
            .unwrap_or_else(|| panic!("no rule row of {login}: {rule_rows:?}"))
    };
    assert_eq!(of("staff1")[5], "規程の確認: 特定個人情報取扱規程 第2版");
    assert_eq!(of("staff1")[6], "期限超過");
    assert_eq!(of("staff1")[11], "第1版 確認済み");
    assert_eq!(of("staff2")[6], "確認済み");
    assert_eq!(of("staff2")[8], today.to_string());
    assert_eq!(of("officer")[6], "期限超過");
    assert!(
        rows.iter().any(|r| r[0] == "#規程の確認状況"
            && r[1] == "特定個人情報取扱規程"
            && r[2..7] == ["第2版", "5", "1", "4", "0"]),
        "{rows:?}"
    );
    let res = chief
        .client
        .get(app.url(&format!("/reports/annual?fy={y}&format=xlsx")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap();
    let sheet = kenshu_tests::reports::xlsx_sheet(&bytes, "受講状況");
    assert!(
        sheet.iter().any(|r| r[2] == "staff2"
            && r[5] == "規程の確認: 特定個人情報取扱規程 第2版"
            && r[6] == "確認済み"),
        "{sheet:?}"
    );
    let totals = kenshu_tests::reports::xlsx_sheet(&bytes, "規程の確認状況");
    assert_eq!(totals[0][..3], ["規程", "版", "対象"]);
    assert!(
        totals
            .iter()
            .any(|r| r[..6] == ["特定個人情報取扱規程", "第2版", "5", "1", "4", "0"]),
        "{totals:?}"
    );
    assert!(
        totals
            .iter()
            .any(|r| r[..6] == ["情報セキュリティポリシー", "第1版", "1", "0", "1", "0"]),
        "{totals:?}"
    );
    let html = chief
        .get(&format!("/reports/annual?fy={y}&format=html"))
        .await;
    assert!(
        html.body.contains("<td>規程の確認: 特定個人情報取扱規程 第2版</td><td class=\"untrained\">期限超過</td>")
            && html.body.contains("id=\"rules-summary\"")
            && html.body.contains("<td>特定個人情報取扱規程</td><td>第2版</td><td>5</td><td>1</td><td>4</td><td>0</td>"),
        "{}",
        html.body
    );
}

/// The plan of `fy` (approved already: behind the form's back) requires tokutei-kitei of
/// `audience` by `deadline`.
async fn require_kitei(
    app: &TestApp,
    built: &kenshu_tests::Built,
    fy: kenshu_core::FiscalYear,
    audience: &[&str],
    deadline: time::Date,
) {
    sqlx::query(
        "insert into plan_rules (institution_id, plan_id, rule_code, audience, deadline)
         values ($1, $2, 'tokutei-kitei', $3, $4)",
    )
    .bind(built.institution())
    .bind(built.plan(fy))
    .bind(audience)
    .bind(deadline)
    .execute(app.pool())
    .await
    .unwrap();
}

/// Last year's plan, copied: its required rules come along, their deadlines a year on.
#[tokio::test]
async fn a_copy_of_last_years_plan_requires_the_same_rules_a_year_on() {
    let app = TestApp::spawn().await;
    let fy = this_year();
    let built = Scenario::new(app.pool())
        .plan(fy)
        .approved()
        .person("chief", Role::ChiefOfficer)
        .build()
        .await;
    let mut chief = app.signed_in("chief").await;
    publish(&mut chief, "tokutei-kitei", "特定個人情報取扱規程", "第1条").await;
    let deadline = fy.start() + time::Duration::days(90);
    require_kitei(&app, &built, fy, &["clerk", "audit_officer"], deadline).await;
    let next = fy.next().year().to_string();
    chief.get(&format!("/plans?fy={next}")).await;
    let made = chief
        .post("/plans", &[("fy", &next), ("from", "previous")])
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let mut conn = app.pool().acquire().await.unwrap();
    let plan = kenshu_db::plan::plan(&mut conn, built.institution(), fy.next())
        .await
        .unwrap()
        .expect("the copy");
    assert_eq!(plan.rules.len(), 1);
    assert_eq!(plan.rules[0].rule.code, "tokutei-kitei");
    assert_eq!(
        plan.rules[0].rule.deadline,
        deadline.replace_year(deadline.year() + 1).unwrap()
    );
    assert_eq!(
        plan.rules[0].rule.audience,
        [
            kenshu_core::plan::Target::Designated(kenshu_core::plan::DesignationKind::Clerk),
            kenshu_core::plan::Target::Designated(kenshu_core::plan::DesignationKind::AuditOfficer)
        ]
    );
    let page = chief.get(&format!("/plans?fy={next}")).await;
    assert!(
        page.body.contains("id=\"rule-tokutei-kitei\""),
        "{}",
        page.body
    );
}

/// The plan's reminder schedule reminds of a required rule like a course, over a simulated
/// month: someone whose only pending item is the rule is reminded 14 and 3 days before its
/// deadline and weekly after it, once per step, also with two instances at once; someone with
/// a course and the rule due the same day gets one mail naming both; whoever acknowledged is
/// not reminded, and acknowledging stops the reminders. `/my` shows the reminder naming the
/// rule until it is acknowledged; the person page lists it and offers the reminder form.
#[tokio::test]
async fn the_schedule_reminds_of_a_required_rule_alone_once_per_step_until_it_is_acknowledged() {
    use kenshu_app::reminder::schedule::run as run_schedule;
    let app = TestApp::spawn().await;
    let fy = this_year();
    let today = kenshu_core::japan_today();
    let deadline = today + time::Duration::days(40);
    // Every course due at the end of the year (no step in this month) except the clerk course,
    // due with the rule.
    let built = Scenario::new(app.pool())
        .plan(fy)
        .every_course()
        .starts(fy.start())
        .deadline(fy.end())
        .retake_until(None)
        .course("clerk")
        .deadline(deadline)
        .approved()
        .person("chief", Role::ChiefOfficer)
        .person("officer", Role::ProtectionOfficer)
        .person("both", Role::Staff)
        // Division b has no course step due all month: only the rule brings the schedule there;
        // rule-only has done every course.
        .person("rule-only", Role::Staff)
        .in_division("b")
        .named("規程 一郎")
        .completed("rule-only", "clerk")
        .completed("rule-only", "cybersecurity")
        .completed("rule-only", "final-test")
        .person("nothing-due", Role::Staff)
        .in_division("b")
        .completed("nothing-due", "clerk")
        .build()
        .await;
    let mut chief = app.signed_in("chief").await;
    publish(&mut chief, "tokutei-kitei", "特定個人情報取扱規程", "第1条").await;
    require_kitei(&app, &built, fy, &["all"], deadline).await;
    // The chief, the officer and nothing-due have acknowledged it; the chief and the officer
    // have not done the clerk course, so they share its steps with "both".
    acknowledge(&mut chief, "tokutei-kitei", "1").await;
    for login in ["officer", "nothing-due"] {
        acknowledge(&mut app.signed_in(login).await, "tokutei-kitei", "1").await;
    }
    let url = "https://kenshu.example.jp";
    let run = |days: i64| {
        run_schedule(
            app.pool(),
            kenshu_tests::simulate::ten_oclock(deadline + time::Duration::days(days)),
            url,
        )
    };

    let reminded = || async {
        let rows: Vec<(String, Vec<String>, Vec<String>)> = sqlx::query_as(
            "select u.login_id, r.courses, r.rules from reminders r join users u on u.id = r.user_id
             where r.sent_by is null order by r.created_at, u.login_id",
        )
        .fetch_all(app.pool())
        .await
        .unwrap();
        rows
    };
    assert_eq!(run(-15).await.unwrap(), 0, "15 days before: nothing yet");
    // 14 days before: the clerk course's step for chief, officer and both; the rule's for
    // rule-only and both (one mail naming both).
    assert_eq!(run(-14).await.unwrap(), 4, "{:?}", reminded().await);
    assert_eq!(run(-14).await.unwrap(), 0, "once per step");
    let first: Vec<(String, Vec<String>, Vec<String>)> = reminded().await;
    let of = |login: &str| {
        first
            .iter()
            .filter(|r| r.0 == login)
            .map(|r| (r.1.clone(), r.2.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        of("rule-only"),
        [(vec![], vec!["tokutei-kitei".to_string()])]
    );
    assert_eq!(
        of("both"),
        [(vec!["clerk".to_string()], vec!["tokutei-kitei".to_string()])],
        "one reminder naming the course and the rule"
    );
    assert_eq!(
        of("chief"),
        [(vec!["clerk".to_string()], vec![])],
        "acknowledged: the rule is not named"
    );
    assert!(
        of("nothing-due").is_empty(),
        "course done, rule acknowledged"
    );

    // The mail of the rule alone names the rule, not a course.
    let (subject, body): (String, String) = sqlx::query_as(
        "select m.subject, m.body from mail_outbox m
         join reminders r on r.mail_id = m.id join users u on u.id = r.user_id
         where u.login_id = 'rule-only'",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(subject, "【お知らせ】確認期限が近い規程があります");
    assert!(
        body.contains("まだ確認していない規程について")
            && body.contains("特定個人情報取扱規程（第1版）の確認")
            && body.contains("https://kenshu.example.jp/my")
            && !body.contains("受講期限"),
        "the rule, no course: {body}"
    );
    // /my shows the reminder naming the rule; the officer sees it on the person page.
    let mut person = app.signed_in("rule-only").await;
    let my = person.get("/my").await;
    assert!(
        my.body.contains("id=\"reminder-notice\"")
            && my
                .body
                .contains("<strong>規程の確認: 特定個人情報取扱規程</strong>"),
        "{}",
        my.body
    );
    let page = chief.get("/people/rule-only").await;
    assert!(
        page.body.contains("規程の確認: 特定個人情報取扱規程")
            && page.body.contains("id=\"remind-form\""),
        "a rule to acknowledge is something to remind them of: {}",
        page.body
    );
    let sent = chief.post("/people/rule-only/reminders", &[]).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let by_hand: (Vec<String>, Vec<String>) =
        sqlx::query_as("select r.courses, r.rules from reminders r where r.sent_by is not null")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(by_hand, (vec![], vec!["tokutei-kitei".to_string()]));

    assert_eq!(run(-4).await.unwrap(), 0);
    assert_eq!(run(-3).await.unwrap(), 4, "3 days before");
    assert_eq!(run(0).await.unwrap(), 0, "the deadline day");
    // Two instances run the schedule at once: each person once.
    let (a, b) = tokio::join!(run(1), run(1));
    assert_eq!(a.unwrap() + b.unwrap(), 4, "the day after the deadline");

    // rule-only acknowledges: the notice goes, and so do the reminders.
    acknowledge(&mut person, "tokutei-kitei", "1").await;
    let my = person.get("/my").await;
    assert!(!my.body.contains("id=\"reminder-notice\""), "{}", my.body);
    assert_eq!(run(7).await.unwrap(), 0);
    assert_eq!(
        run(8).await.unwrap(),
        3,
        "a week later: the course's people only"
    );
    let mut last: Vec<String> = reminded().await.into_iter().skip(12).map(|r| r.0).collect();
    last.sort();
    assert_eq!(last, ["both", "chief", "officer"]);
    let total = reminded().await;
    assert_eq!(
        total.iter().filter(|r| r.0 == "rule-only").count(),
        3,
        "14 and 3 days before, the day after: {total:?}"
    );
    assert!(
        total
            .iter()
            .filter(|r| r.0 == "both")
            .all(|r| r.1 == ["clerk"] && r.2 == ["tokutei-kitei"]),
        "{total:?}"
    );
}

/// The overview's rule counts are kept and judged again only when what they follow changes:
/// an acknowledgement, a new person (the overview's refresh of people's facts), a new version.
/// The reminder schedule likewise judges everyone's rules again only then: a person added
/// after a run is reminded by the next run on the same day.
#[tokio::test]
async fn the_kept_rule_counts_follow_acknowledgements_new_people_and_new_versions() {
    use kenshu_app::reminder::schedule::run as run_schedule;
    let app = TestApp::spawn().await;
    let fy = this_year();
    let today = kenshu_core::japan_today();
    let deadline = today + time::Duration::days(40);
    // The courses are due at the end of the year: no course step this month.
    let built = Scenario::new(app.pool())
        .plan(fy)
        .every_course()
        .deadline(fy.end())
        .retake_until(None)
        .approved()
        .person("chief", Role::ChiefOfficer)
        .person("s1", Role::Staff)
        .person("s2", Role::Staff)
        .build()
        .await;
    let mut chief = app.signed_in("chief").await;
    publish(&mut chief, "tokutei-kitei", "特定個人情報取扱規程", "第1条").await;
    require_kitei(&app, &built, fy, &["all"], deadline).await;
    let total = |body: &str| -> Vec<String> {
        let row = body
            .split("id=\"rules-total\"")
            .nth(1)
            .and_then(|r| r.split("</tr>").next())
            .unwrap_or_else(|| panic!("no rules' total: {body}"));
        row.split("<td class=\"rule-")
            .skip(1)
            .map(|c| {
                c.split('>')
                    .nth(1)
                    .unwrap_or("")
                    .split('<')
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
    };
    let kept = || async {
        sqlx::query_scalar::<_, i64>("select count(*) from rule_counts_kept")
            .fetch_one(app.pool())
            .await
            .unwrap()
    };
    assert_eq!(
        total(&chief.get("/overview").await.body),
        ["3", "0", "0", "3"]
    );
    assert_eq!(kept().await, 1, "kept for the next view");
    assert_eq!(
        total(&chief.get("/overview").await.body),
        ["3", "0", "0", "3"]
    );

    acknowledge(&mut app.signed_in("s1").await, "tokutei-kitei", "1").await;
    assert_eq!(
        total(&chief.get("/overview").await.body),
        ["3", "1", "0", "2"],
        "an acknowledgement"
    );
    Scenario::new(app.pool())
        .person("s3", Role::Staff)
        .build()
        .await;
    assert_eq!(
        total(&chief.get("/overview").await.body),
        ["4", "1", "0", "3"],
        "a new person"
    );

    // The schedule on the "14 days before" day: everyone but s1.
    let url = "https://kenshu.example.jp";
    let at = kenshu_tests::simulate::ten_oclock(deadline - time::Duration::days(14));
    assert_eq!(run_schedule(app.pool(), at, url).await.unwrap(), 3);
    assert_eq!(run_schedule(app.pool(), at, url).await.unwrap(), 0);
    Scenario::new(app.pool())
        .person("s4", Role::Staff)
        .build()
        .await;
    assert_eq!(
        run_schedule(app.pool(), at, url).await.unwrap(),
        1,
        "s4, added since the last run"
    );

    // A new version: s1's acknowledgement is of the old one.
    publish(
        &mut chief,
        "tokutei-kitei",
        "特定個人情報取扱規程",
        "第1条 改正",
    )
    .await;
    assert_eq!(
        total(&chief.get("/overview").await.body),
        ["5", "0", "0", "5"],
        "a new version"
    );
}
