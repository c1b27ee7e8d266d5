//! The protection officer's dashboard: who is untrained in their division, and nobody else's.

use kenshu_core::FiscalYear;
use kenshu_core::person::Role;
use kenshu_tests::{Scenario, TestApp, user};

fn this_year() -> FiscalYear {
    FiscalYear::of(kenshu_core::japan_today())
}

fn yesterday() -> time::Date {
    kenshu_core::japan_today() - time::Duration::days(1)
}

#[tokio::test]
async fn an_officer_sees_the_untrained_of_their_division_and_nothing_of_another() {
    let app = TestApp::spawn().await;
    // done-a finished everything; the clerk course was due yesterday.
    Scenario::new(app.pool())
        .plan(this_year())
        .course("clerk")
        .deadline(yesterday())
        .approved()
        .person("officer-a", Role::ProtectionOfficer)
        .person("late-a", Role::Staff)
        .person("done-a", Role::Staff)
        .person("other-b", Role::Staff)
        .in_division("b")
        .completed("done-a", "clerk")
        .completed("done-a", "cybersecurity")
        .completed("done-a", "final-test")
        .build()
        .await;

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
        !overdue.body.contains("id=\"person-done-a\""),
        "only people with an overdue course: {}",
        overdue.body
    );
    let all = o.get("/officer?show=all&sort=name").await;
    assert!(all.body.contains("試験 done-a"));

    let refused = o.get("/officer?division=b").await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.body.contains("action=\"/logout\"") && refused.body.contains("href=\"/officer\""),
        "the error page keeps the navigation: {}",
        refused.body
    );
    assert!(!refused.body.contains("other-b"), "and leaks nothing");
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

/// The rows of the dashboard's people table: (login, the text of each cell).
fn rows(html: &str) -> Vec<(String, Vec<String>)> {
    let Some(start) = html.find("<table class=\"data people\"") else {
        return Vec::new();
    };
    let table = &html[start..start + html[start..].find("</table>").expect("table ends")];
    table
        .split("<tr id=\"person-")
        .skip(1)
        .map(|row| {
            let login = row[..row.find('"').expect("id")].to_string();
            let cells = row
                .split("<td")
                .skip(1)
                .map(|c| {
                    let c = &c[c.find('>').expect("td")..];
                    let mut text = String::new();
                    let mut tag = false;
                    for ch in c.chars() {
                        match ch {
                            '<' => tag = true,
                            '>' => tag = false,
                            _ if !tag => text.push(ch),
                            _ => {}
                        }
                    }
                    text.split_whitespace().collect::<Vec<_>>().join(" ")
                })
                .collect();
            (login, cells)
        })
        .collect()
}

#[tokio::test]
async fn the_dashboard_has_one_row_per_person_and_counts_people_and_assignments_apart() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .plan(this_year())
        .course("clerk")
        .deadline(yesterday())
        .approved()
        .person("officer-a", Role::ProtectionOfficer)
        .person("late-a", Role::Staff)
        .person("done-a", Role::Staff)
        .completed("done-a", "clerk")
        .completed("done-a", "cybersecurity")
        .completed("done-a", "final-test")
        .build()
        .await;
    let mut o = app.signed_in("officer-a").await;
    let all = o.get("/officer?show=all&sort=name").await;
    assert_eq!(all.status, 200);
    let table = rows(&all.body);
    let logins: Vec<&str> = table.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        logins,
        ["done-a", "late-a", "officer-a"],
        "one row per person"
    );
    // Each course is a column; late-a's clerk cell says overdue with its deadline.
    for course in [
        "事務取扱担当者研修",
        "サイバーセキュリティ研修",
        "まとめテスト",
    ] {
        assert!(
            all.body
                .contains(&format!("<th scope=\"col\">{course}</th>")),
            "{course} is a column"
        );
    }
    let late = &table[1].1;
    assert!(
        late.iter()
            .any(|c| c.starts_with("期限超過受講期限 令和") && c.contains("選択")),
        "{late:?}"
    );
    // Three people with three courses each, the officer a fourth: 10 assignments, 3 of them
    // completed; people in 名.
    assert!(
        all.body.contains("受講割当の件数（1人1研修で1件）: 10件"),
        "{}",
        all.body
    );
    assert!(
        all.body.contains("show=completed\">3</a>件"),
        "{}",
        all.body
    );
    assert!(
        all.body
            .contains("在籍者: <strong>3</strong>名（受講対象 3名、未修了 <strong>2</strong>名）"),
        "{}",
        all.body
    );
    // The filter and the order in force are said in words.
    assert!(
        all.body
            .contains("表示: <strong>すべて</strong>、並び順: <strong>職員番号順</strong>、3名"),
        "{}",
        all.body
    );
    let untrained = o.get("/officer").await;
    assert_eq!(
        rows(&untrained.body).len(),
        2,
        "the untrained filter leaves out done-a"
    );
    assert!(untrained.body.contains(
        "表示: <strong>未受講者（未修了）</strong>、並び順: <strong>期限の近い順</strong>"
    ));
    // Reminders and re-attendance are two forms: Enter in the message sends a reminder only.
    let remind = &untrained.body[untrained
        .body
        .find("id=\"remind-group\"")
        .expect("reminder form")..];
    let remind = &remind[..remind.find("</form>").expect("ends")];
    assert!(remind.contains("name=\"message\"") && !remind.contains("name=\"deadline\""));
    let retake = &untrained.body[untrained
        .body
        .find("id=\"retake-group\"")
        .expect("re-attendance form")..];
    let retake = &retake[..retake.find("</form>").expect("ends")];
    assert!(retake.contains("name=\"deadline\"") && !retake.contains("name=\"message\""));
    assert!(
        untrained
            .body
            .contains("form=\"remind-group\" name=\"pick\" value=\"late-a\"")
    );
    assert!(
        untrained
            .body
            .contains("form=\"retake-group\" name=\"pick\" value=\"late-a|clerk\"")
    );
}

#[tokio::test]
async fn follow_ups_are_recorded_refuse_a_my_number_and_show_on_the_dashboard() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .person("late-a", Role::Staff)
        .person("other-b", Role::Staff)
        .in_division("b")
        .build()
        .await;
    let mut o = app.signed_in("officer-a").await;
    o.get("/people/late-a").await;
    let refused = o
        .post(
            "/people/late-a/follow-ups",
            &[
                ("on", "2026-10-01"),
                ("method", "phone"),
                ("note", "本人番号 1234-5678-9018 を確認"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("マイナンバー"), "{}", refused.body);
    assert!(
        refused.body.contains("id=\"fu-note-error\"")
            && refused
                .body
                .contains(">本人番号 ＊＊＊＊-＊＊＊＊-＊＊＊＊ を確認</textarea>")
            && refused.body.contains("value=\"2026-10-01\"")
            && refused.body.contains("<option value=\"phone\" selected>"),
        "the form as typed, the number masked, the reason by the note: {}",
        refused.body
    );
    assert!(
        refused.body.contains("href=\"/officer\""),
        "with the site's navigation"
    );
    assert!(
        refused.body.contains("id=\"refused-summary\"")
            && refused.body.contains("<a href=\"#fu-note\">")
            && refused.body.contains("aria-invalid=\"true\" autofocus"),
        "said at the top, linked to the field, which takes the focus"
    );
    let bad_method = o
        .post(
            "/people/late-a/follow-ups",
            &[("on", "2026-10-01"), ("method", "fax")],
        )
        .await;
    assert_eq!(bad_method.status, 422);
    assert!(bad_method.body.contains("口頭・電話・メール・文書"));
    let bad_date = o
        .post(
            "/people/late-a/follow-ups",
            &[
                ("on", "10月1日"),
                ("method", "oral"),
                ("note", "口頭で依頼"),
            ],
        )
        .await;
    assert_eq!(bad_date.status, 422);
    assert!(
        bad_date.body.contains("id=\"fu-on-error\"")
            && bad_date.body.contains(">口頭で依頼</textarea>"),
        "{}",
        bad_date.body
    );
    let ok = o
        .post(
            "/people/late-a/follow-ups",
            &[
                ("on", "2026-10-01"),
                ("method", "phone"),
                ("note", "今月中の受講を依頼"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303);
    let page = o.get("/people/late-a").await;
    assert!(
        page.body.contains("今月中の受講を依頼")
            && page.body.contains("電話")
            && page.body.contains("令和8年10月1日")
    );
    let dash = o.get("/officer").await;
    assert!(
        dash.body.contains("令和8年10月1日"),
        "the last follow-up shows on the dashboard"
    );
    assert_eq!(
        o.post(
            "/people/other-b/follow-ups",
            &[("on", "2026-10-01"), ("method", "oral")]
        )
        .await
        .status,
        403
    );
    let n: i64 = sqlx::query_scalar("select count(*) from follow_ups")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn re_attendance_gives_the_overdue_a_new_deadline_one_by_one_or_as_a_group() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .plan(this_year())
        .course("clerk")
        .deadline(yesterday())
        .approved()
        .person("officer-a", Role::ProtectionOfficer)
        .person("late-1", Role::Staff)
        .person("late-2", Role::Staff)
        .person("other-b", Role::Staff)
        .in_division("b")
        .build()
        .await;
    let today = kenshu_core::japan_today();
    let later = (today + time::Duration::days(20)).to_string();
    let mut o = app.signed_in("officer-a").await;
    let page = o.get("/officer?show=overdue").await;
    assert!(
        page.body.contains("試験 late-1") && page.body.contains("試験 late-2"),
        "{}",
        page.body
    );

    let past = o
        .post(
            "/officer/retakes",
            &[("pick", "late-1|clerk"), ("deadline", "2020-01-01")],
        )
        .await;
    assert_eq!(past.status, 422, "the dashboard again: {}", past.body);
    assert!(
        past.body.contains("今日以降")
            && past.body.contains("id=\"group-deadline-error\"")
            && past
                .body
                .contains("value=\"2020-01-01\" aria-invalid=\"true\"")
            && past.body.contains("value=\"late-1|clerk\" checked")
            && !past.body.contains("value=\"late-2|clerk\" checked"),
        "the reason by the field, the date and the pick kept: {}",
        past.body
    );
    let none = o
        .post("/officer/retakes", &[("deadline", later.as_str())])
        .await;
    assert_eq!(none.status, 422);
    assert!(
        none.body.contains("1人以上") && none.body.contains("id=\"retake-picks\""),
        "{}",
        none.body
    );
    let theirs = o
        .post(
            "/officer/retakes",
            &[("pick", "other-b|clerk"), ("deadline", later.as_str())],
        )
        .await;
    assert_eq!(theirs.status, 403);
    let group = o
        .post(
            "/officer/retakes",
            &[
                ("pick", "late-1|clerk"),
                ("pick", "late-2|clerk"),
                ("deadline", later.as_str()),
            ],
        )
        .await;
    assert_eq!(group.status, 303);
    let page = o.get("/officer?show=overdue").await;
    assert!(
        !page.body.contains("試験 late-1") && !page.body.contains("試験 late-2"),
        "no longer overdue after the new deadline: {}",
        page.body
    );
    let all = o.get("/officer?show=all").await;
    assert!(all.body.contains("（再受講期限）"));

    let mut s = app.signed_in("late-1").await;
    let my = s.get("/my").await;
    assert!(
        my.body.contains("再受講期限") && !my.body.contains("期限超過"),
        "{}",
        my.body
    );
    let n: i64 = sqlx::query_scalar("select count(*) from retakes")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(
        n, 2,
        "the original deadline stays in the plan; the new one is kept apart"
    );
}

#[tokio::test]
async fn the_person_page_shows_every_attempt_with_its_score() {
    let app = TestApp::spawn().await;
    user(app.pool(), "officer-a", Role::ProtectionOfficer).await;
    user(app.pool(), "taker", Role::Staff).await;
    let mut s = app.signed_in("taker").await;
    s.get("/courses/final-test/test").await;
    let id = uuid::Uuid::new_v4().to_string();
    let mut fields = vec![("attempt", id.as_str())];
    let names: Vec<String> = (1..=10).map(|n| format!("q{n}")).collect();
    for n in &names {
        fields.push((n.as_str(), "o"));
    }
    assert_eq!(
        s.post("/courses/final-test/test/submit", &fields)
            .await
            .status,
        303
    );
    let mut o = app.signed_in("officer-a").await;
    let page = o.get("/people/taker").await;
    assert!(page.body.contains("id=\"attempts\""), "{}", page.body);
    assert!(
        page.body.contains("4 / 10") && page.body.contains("不合格"),
        "all ○ scores 4 of 10: {}",
        page.body
    );
}

#[tokio::test]
async fn an_officer_the_chief_makes_responsible_for_a_second_division_reaches_it_until_it_ends() {
    let app = TestApp::spawn().await;
    let s = Scenario::new(app.pool())
        .person("chief", Role::ChiefOfficer)
        .person("officer-a", Role::ProtectionOfficer)
        .person("staff-a", Role::Staff)
        .person("staff-b", Role::Staff)
        .in_division("b")
        .build()
        .await;
    let mut o = app.signed_in("officer-a").await;
    let refused = o.get("/officer?division=b").await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.body.contains("action=\"/logout\"") && refused.body.contains("href=\"/officer\""),
        "the error page keeps the navigation: {}",
        refused.body
    );
    assert!(!refused.body.contains("other-b"), "and leaks nothing");
    let page = o.get("/officer").await;
    assert!(
        !page.body.contains("<select id=\"division\""),
        "one division: no picker"
    );
    let today = kenshu_core::japan_today();
    assert_eq!(
        o.post(
            "/designations/officers",
            &[
                ("division", "b"),
                ("login", "officer-a"),
                ("from", &today.to_string())
            ]
        )
        .await
        .status,
        403,
        "only the chief officer assigns officers"
    );

    let mut c = app.signed_in("chief").await;
    let page = c.get("/designations?division=b").await;
    assert!(page.body.contains("兼務の保護責任者") && page.body.contains("試験 officer-a（"));
    let staff = c
        .post(
            "/designations/officers",
            &[
                ("division", "b"),
                ("login", "staff-a"),
                ("from", &today.to_string()),
            ],
        )
        .await;
    assert_eq!(staff.status, 400);
    assert!(
        staff
            .body
            .contains("他の課室の保護責任者から選んでください")
    );
    let from = (today - time::Duration::days(10)).to_string();
    let ok = c
        .post(
            "/designations/officers",
            &[("division", "b"), ("login", "officer-a"), ("from", &from)],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);

    let page = o.get("/officer?division=b").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("試験 staff-b"), "{}", page.body);
    assert!(
        page.body.contains("<select id=\"division\""),
        "a picker between the two divisions"
    );
    assert_eq!(o.get("/people/staff-b").await.status, 200);
    assert_eq!(o.get("/designations?division=b").await.status, 200);

    let id = {
        let mut conn = app.pool().acquire().await.unwrap();
        let held =
            kenshu_db::designation::for_person(&mut conn, s.institution(), s.id("officer-a"))
                .await
                .unwrap();
        let officer = held.iter().find(|d| d.kind == "protection_officer");
        officer.expect("the officer designation").id
    };
    let yesterday = (today - time::Duration::days(1)).to_string();
    assert_eq!(
        o.post(&format!("/designations/{id}/end"), &[("on", &yesterday)])
            .await
            .status,
        403,
        "the officer cannot end (or extend) their own officer designation"
    );
    let page = c.get("/designations?division=b").await;
    assert!(
        page.body.contains(&format!("/designations/{id}/end")),
        "the chief sees the assignment with a way to end it"
    );
    assert_eq!(
        c.post(&format!("/designations/{id}/end"), &[("on", &yesterday)])
            .await
            .status,
        303
    );
    let gone = o.get("/officer?division=b").await;
    assert_eq!(gone.status, 403);
    assert!(!gone.body.contains("staff-b"));
    assert_eq!(o.get("/people/staff-b").await.status, 403);
}

#[tokio::test]
async fn after_a_transfer_the_new_division_sees_the_persons_completions_and_activity() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .person("chief", Role::ChiefOfficer)
        .person("mover", Role::Staff)
        .completed("mover", "clerk")
        .build()
        .await;
    let mut m = app.signed_in("mover").await;
    m.get("/courses/cybersecurity").await;
    let first = m
        .get("/courses/cybersecurity")
        .await
        .body
        .split("/courses/cybersecurity/sections/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(String::from)
        .expect("a section link");
    let read = m
        .post(
            &format!("/courses/cybersecurity/sections/{first}/read"),
            &[],
        )
        .await;
    assert!(
        read.status.is_redirection() || read.status == 200,
        "{}",
        read.status
    );

    Scenario::new(app.pool())
        .existing("mover")
        .transferred("b", kenshu_core::japan_today())
        .build()
        .await;
    let mut c = app.signed_in("chief").await;
    let b = c.get("/officer?division=b&show=all").await;
    let rows: Vec<&str> = b
        .body
        .split("<tr>")
        .filter(|r| r.contains("試験 mover"))
        .collect();
    assert!(
        rows.iter()
            .any(|r| r.contains("事務取扱担当者研修") && r.contains("修了")),
        "the completion moved with the person: {rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r.contains("サイバーセキュリティ研修") && r.contains("受講中")),
        "so did the activity: {rows:?}"
    );
    let a = c.get("/officer?division=a&show=all").await;
    assert!(!a.body.contains("試験 mover"));
}
