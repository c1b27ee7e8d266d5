//! Roster changes dated after the import (a transfer announced in March for 1 April, 退職 on
//! 31 March) take effect on their day, by themselves: until then the person stays where they
//! are, with their officer, their sessions and their account.

use kenshu_core::person::Role;
use kenshu_tests::{Scenario, TestApp, kenshu, simulate, text, user};
use time::{Date, Duration};

fn file(content: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("kenshu-schedule-{}.csv", uuid::Uuid::new_v4()));
    std::fs::write(&p, content).unwrap();
    p
}

fn import(app: &TestApp, csv: &str, extra: &[&str]) -> (bool, String) {
    let path = file(csv);
    let p = path.to_string_lossy().to_string();
    let mut args = vec!["import", "staff", p.as_str(), "--institution", "test"];
    args.extend_from_slice(extra);
    let out = kenshu(&app.db.url(), &args, None);
    (out.status.success(), text(&out))
}

fn last_line(out: &str) -> &str {
    out.lines()
        .rev()
        .find(|l| l.starts_with("new="))
        .unwrap_or("")
}

fn today() -> Date {
    kenshu_core::japan_today()
}

/// What the housekeeping does when the server's clock reaches `day`.
async fn the_day_comes(app: &TestApp, day: Date) -> kenshu_db::roster::TookEffect {
    let mut conn = app.serving_pool().acquire().await.unwrap();
    let took = kenshu_db::roster::take_effect(&mut conn, day)
        .await
        .unwrap();
    // The portal forgets a leaver's sessions when it hears the change announced, which is a
    // moment after the commit: the next request must not race the announcement.
    app.sessions_heard().await;
    took
}

async fn division_of(app: &TestApp, login: &str) -> String {
    sqlx::query_scalar(
        "select d.code from users u join divisions d on d.id = u.division_id where u.login_id = $1",
    )
    .bind(login)
    .fetch_one(app.pool())
    .await
    .unwrap()
}

const HEADER: &str = "職員番号,氏名,所属コード,所属名,在職状況,異動日\n";

#[tokio::test]
async fn a_transfer_announced_ahead_moves_the_person_on_its_day_and_not_before() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .person("officer-b", Role::ProtectionOfficer)
        .in_division("b")
        .person("5001", Role::Staff)
        .person("chief", Role::ChiefOfficer)
        .build()
        .await;
    let day = today() + Duration::days(30);
    let csv = format!("{HEADER}5001,試験 5001,b,B課,在職,{day}\n");

    let (ok, out) = import(&app, &csv, &["--dry-run"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("→ 5001 試験 5001: a → b") && out.contains("付・予定）"),
        "the dry run says the transfer is scheduled: {out}"
    );
    let (ok, out) = import(&app, &csv, &[]);
    assert!(ok, "{out}");
    assert_eq!(
        last_line(&out),
        "new=0 transfers=1 leavers=0 changed=0 errors=0"
    );

    // Until the day: still in a, on officer a's page and not on officer b's.
    assert_eq!(division_of(&app, "5001").await, "a");
    let mut a = app.signed_in("officer-a").await;
    let mut b = app.signed_in("officer-b").await;
    assert!(a.get("/officer").await.body.contains("試験 5001"));
    assert!(!b.get("/officer").await.body.contains("試験 5001"));
    let placements: Vec<(Date, Option<Date>, String)> = sqlx::query_as(
        "select p.valid_from, p.valid_to, d.code from placements p join users u on u.id = p.user_id
         join divisions d on d.id = p.division_id where u.login_id = '5001' order by p.valid_from",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(
        placements.last(),
        Some(&(day, None, "b".to_string())),
        "the history already holds the placement to come: {placements:?}"
    );
    assert_eq!(
        placements[placements.len() - 2].1,
        Some(day - Duration::days(1)),
        "the placement in a ends the day before: {placements:?}"
    );

    let mut chief = app.signed_in("chief").await;
    let roster = chief.get("/roster").await.body;
    assert!(
        roster.contains("id=\"pending\"")
            && roster.contains(&kenshu_core::fiscal_year::japanese_date(day))
            && roster.contains("5001 試験 5001")
            && roster.contains("異動 → B課"),
        "the roster page lists what is scheduled: {roster}"
    );
    // The same file again (the 内示 imported twice), or today's roster, changes nothing.
    let (ok, out) = import(&app, &csv, &[]);
    assert!(
        ok && last_line(&out).starts_with("new=0 transfers=0"),
        "{out}"
    );
    let (ok, out) = import(&app, &format!("{HEADER}5001,試験 5001,a,A課,在職,\n"), &[]);
    assert!(
        ok && last_line(&out).starts_with("new=0 transfers=0"),
        "{out}"
    );

    assert_eq!(
        the_day_comes(&app, day - Duration::days(1)).await.transfers,
        0
    );
    assert_eq!(division_of(&app, "5001").await, "a");
    assert_eq!(the_day_comes(&app, day).await.transfers, 1);
    assert_eq!(division_of(&app, "5001").await, "b");
    assert!(!a.get("/officer").await.body.contains("試験 5001"));
    assert!(b.get("/officer").await.body.contains("試験 5001"));
    assert!(!chief.get("/roster").await.body.contains("id=\"pending\""));
    // Taken once only, whoever else runs it.
    assert_eq!(the_day_comes(&app, day).await, Default::default());
}

#[tokio::test]
async fn a_leaving_dated_ahead_keeps_the_account_and_its_sessions_until_the_last_day_has_ended() {
    let app = TestApp::spawn().await;
    user(app.pool(), "5002", Role::Staff).await;
    let mut staff = app.signed_in("5002").await;
    assert_eq!(staff.get("/my").await.status, 200);
    let last = today() + Duration::days(10);
    let (ok, out) = import(
        &app,
        &format!("{HEADER}5002,試験 5002,a,A課,退職,{last}\n"),
        &[],
    );
    assert!(ok, "{out}");
    assert_eq!(
        last_line(&out),
        "new=0 transfers=0 leavers=1 changed=0 errors=0"
    );
    assert!(out.contains("付で退職・予定"), "{out}");
    let (status, active, left_on): (String, bool, Option<Date>) =
        sqlx::query_as("select status, active, left_on from users where login_id = '5002'")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(
        (status.as_str(), active, left_on),
        ("active", true, Some(last))
    );
    assert_eq!(
        staff.get("/my").await.status,
        200,
        "still signed in: the last day has not come"
    );

    assert_eq!(
        the_day_comes(&app, last).await.leavers,
        0,
        "the last day is a working day"
    );
    assert_eq!(staff.get("/my").await.status, 200);
    assert_eq!(
        the_day_comes(&app, last + Duration::days(1)).await.leavers,
        1
    );
    let page = staff.get("/my").await;
    assert_ne!(page.status, 200, "signed out once the last day has ended");
    let (status, active): (String, bool) =
        sqlx::query_as("select status, active from users where login_id = '5002'")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!((status.as_str(), active), ("left", false));
}

#[tokio::test]
async fn the_housekeeping_takes_what_is_due_without_anyone_running_anything() {
    let app = TestApp::spawn().await;
    user(app.pool(), "5003", Role::Staff).await;
    let day = today() + Duration::days(3);
    let (ok, out) = import(
        &app,
        &format!("{HEADER}5003,試験 5003,b,B課,在職,{day}\n"),
        &[],
    );
    assert!(ok, "{out}");
    // The server was down on the day: the next round catches up.
    simulate::roster_changes_due(app.pool(), today()).await;
    kenshu_app::housekeeping::run(app.serving_pool(), 30)
        .await
        .unwrap();
    assert_eq!(division_of(&app, "5003").await, "b");
    let left: i64 = sqlx::query_scalar("select count(*) from roster_schedule")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn a_new_person_whose_row_says_left_is_recorded_as_left_on_their_last_day() {
    let app = TestApp::spawn().await;
    kenshu_tests::institution(app.pool()).await;
    let last = today() - Duration::days(40);
    let (ok, out) = import(
        &app,
        &format!(
            "職員番号,氏名,所属コード,所属名,在職状況,異動日,採用日\n5009,退職 済子,a,A課,退職,{last},2010-04-01\n"
        ),
        &[],
    );
    assert!(ok, "{out}");
    let (status, active, left_on): (String, bool, Option<Date>) =
        sqlx::query_as("select status, active, left_on from users where login_id = '5009'")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(
        (status.as_str(), active, left_on),
        ("left", false, Some(last))
    );
    let open: i64 = sqlx::query_scalar(
        "select count(*) from placements p join users u on u.id = p.user_id
         where u.login_id = '5009' and (p.valid_to is null or p.valid_to > $1)",
    )
    .bind(last)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(open, 0, "no placement runs past the last day");
}

#[tokio::test]
async fn people_missing_from_a_complete_file_left_the_day_before_it() {
    let app = TestApp::spawn().await;
    user(app.pool(), "5004", Role::Staff).await;
    user(app.pool(), "5005", Role::Staff).await;
    let on = today() - Duration::days(5);
    let (ok, out) = import(
        &app,
        &format!("{HEADER}5004,試験 5004,a,A課,在職,\n"),
        &["--complete", "--effective", &on.to_string()],
    );
    assert!(ok, "{out}");
    let left_on: Option<Date> =
        sqlx::query_scalar("select left_on from users where login_id = '5005'")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(left_on, Some(on - Duration::days(1)));
}

/// Twelve people at work; a complete file that lists five of them would make seven leave.
#[tokio::test]
async fn most_of_the_institution_leaving_is_refused_unless_confirmed() {
    let app = TestApp::spawn().await;
    for n in 0..12 {
        user(app.pool(), &format!("60{n:02}"), Role::Staff).await;
    }
    let csv: String = std::iter::once(HEADER.to_string())
        .chain((0..5).map(|n| format!("60{n:02},試験 60{n:02},a,A課,在職,\n")))
        .collect();
    let (ok, out) = import(&app, &csv, &["--complete"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("--allow-mass-change") && out.contains("大量の変更: 1件"),
        "{out}"
    );
    assert_eq!(
        last_line(&out),
        "new=0 transfers=0 leavers=7 changed=0 errors=1"
    );
    let active: i64 = sqlx::query_scalar("select count(*) from users where active")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(active, 12, "nothing was written");
    let (ok, out) = import(&app, &csv, &["--complete", "--allow-mass-change"]);
    assert!(ok, "{out}");
    assert_eq!(
        last_line(&out),
        "new=0 transfers=0 leavers=7 changed=0 errors=0"
    );
    assert!(
        out.lines().rev().nth(1) == Some("divisions: new=0 renamed=0 moved=0"),
        "the division counts come on the line before the summary: {out}"
    );
}

/// An import takes its own institution's due changes only: another institution's wait for
/// the housekeeping, so that a long import never holds other institutions' people.
#[tokio::test]
async fn an_import_takes_only_its_own_institutions_due_changes() {
    let app = TestApp::spawn().await;
    user(app.pool(), "5010", Role::Staff).await;
    let day = today() + Duration::days(3);
    let (ok, out) = import(
        &app,
        &format!("{HEADER}5010,試験 5010,b,B課,在職,{day}\n"),
        &[],
    );
    assert!(ok, "{out}");
    // Another institution's change, announced yesterday for today.
    let other = Scenario::institution(app.pool(), "other", "別の町")
        .division("x", "X課")
        .division("y", "Y課")
        .person("7001", Role::Staff)
        .named("別町 職員")
        .without_email()
        .build()
        .await
        .institution();
    let mut conn = app.pool().acquire().await.unwrap();
    kenshu_db::roster::transfer_people(
        &mut conn,
        other,
        &["7001".into()],
        &["y".into()],
        &[today()],
        today() - Duration::days(1),
    )
    .await
    .unwrap();
    drop(conn);
    let (ok, out) = import(
        &app,
        &format!("{HEADER}5010,試験 5010,b,B課,在職,{day}\n"),
        &[],
    );
    assert!(ok, "{out}");
    let waiting: i64 =
        sqlx::query_scalar("select count(*) from roster_schedule where institution_id = $1")
            .bind(other)
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(
        waiting, 1,
        "the other institution's change is left to the housekeeping"
    );
    assert_eq!(the_day_comes(&app, today()).await.transfers, 1);
}
