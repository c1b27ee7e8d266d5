//! The chief officer's institution overview: counts per division, the protection officers,
//! the drill-down, the chart; refused to everyone else; and the set-based SQL behind it agrees
//! with the assignment rule in Rust, person by person.

use std::collections::HashMap;

use futures_util::StreamExt;
use kenshu_core::FiscalYear;
use kenshu_core::assignment::Status;
use kenshu_core::person::Role;
use kenshu_core::plan::DesignationKind;
use kenshu_db::overview::Tally;
use kenshu_tests::{Scenario, TestApp, simulate, test_db, user};
use time::macros::date;
use time::{Date, Duration};
use uuid::Uuid;

fn today() -> Date {
    kenshu_core::japan_today()
}

fn fy() -> FiscalYear {
    FiscalYear::of(today())
}

/// The cells of one row of the overview table, by class.
fn cell(body: &str, row_id: &str, class: &str) -> String {
    let row_start = body
        .find(&format!("id=\"{row_id}\""))
        .unwrap_or_else(|| panic!("no row {row_id}: {body}"));
    let row = &body[row_start..];
    let row = &row[..row.find("</tr>").unwrap_or(row.len())];
    let marker = format!("class=\"{class}\">");
    let start = row
        .find(&marker)
        .unwrap_or_else(|| panic!("no {class} in {row}"))
        + marker.len();
    row[start..start + row[start..].find('<').unwrap_or(0)].to_string()
}

async fn exec(pool: &kenshu_db::PgPool, sql: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

#[tokio::test]
async fn the_chief_sees_each_divisions_counts_its_officer_and_a_link_down() {
    let app = TestApp::spawn().await;
    let pool = app.pool();
    // One course only, due yesterday: whoever has not finished it is overdue, unless given a
    // new deadline (fresh-a). The chief (division a) is a target too.
    let yesterday = today() - Duration::days(1);
    Scenario::new(pool)
        .plan(fy())
        .courses(&["clerk"])
        .starts(yesterday)
        .deadline(yesterday)
        .approved()
        .person("chief", Role::ChiefOfficer)
        .person("officer-a", Role::ProtectionOfficer)
        .person("done-a", Role::Staff)
        .person("hall-a", Role::Staff)
        .person("exempt-a", Role::Staff)
        .person("late-a", Role::Staff)
        .person("fresh-a", Role::Staff)
        .person("gone-a", Role::Staff)
        .left(yesterday)
        .person("other-b", Role::Staff)
        .in_division("b")
        .person("deputy-b", Role::Staff)
        .in_division("b")
        .designated(DesignationKind::ProtectionOfficer, date!(2020 - 04 - 01))
        .completed("done-a", "clerk")
        .completed("hall-a", "clerk")
        .in_person()
        .exempted("exempt-a", "clerk", "長期療養")
        .retake("fresh-a", "clerk", today() + Duration::days(30))
        .build()
        .await;
    let fy = fy().year();

    let mut chief = app.signed_in("chief").await;
    let page = chief.get("/overview").await;
    assert_eq!(page.status, 200);
    let body = &page.body;
    // Division a: the chief, the officer, done, hall, exempt, late, fresh, and gone-a, who
    // left yesterday: counted as the annual report counts them, with what they had on their
    // last day, and not overdue for a deadline that had not passed when they left.
    assert_eq!(cell(body, "division-a", "people"), "8", "{body}");
    assert_eq!(cell(body, "division-a", "assignments"), "8");
    assert_eq!(
        cell(body, "division-a", "completed"),
        "2",
        "done-a, and hall-a in person"
    );
    assert_eq!(cell(body, "division-a", "in-person"), "1");
    assert_eq!(cell(body, "division-a", "exempt"), "1");
    assert_eq!(
        cell(body, "division-a", "overdue"),
        "3",
        "chief, officer-a, late-a"
    );
    assert_eq!(cell(body, "division-a", "pending"), "2", "fresh-a, gone-a");
    assert_eq!(cell(body, "division-a", "rate"), "28.6%", "2 of 7");
    assert!(
        body.contains("<th scope=\"col\">対象者（名）</th><th scope=\"col\">受講割当（件）</th>")
    );
    assert!(
        body.contains("年度の途中で退職した職員も"),
        "the rule said on the page"
    );
    assert_eq!(cell(body, "division-a", "officers"), "試験 officer-a");
    assert_eq!(
        cell(body, "division-b", "officers"),
        "試験 deputy-b",
        "a protection officer by designation"
    );
    assert_eq!(cell(body, "division-b", "overdue"), "2");
    assert_eq!(cell(body, "total", "people"), "10");
    assert_eq!(cell(body, "total", "overdue"), "5");
    assert!(
        body.contains(&format!("href=\"/officer?division=a&amp;fy={fy}\"")),
        "drill-down to the division's dashboard"
    );
    assert!(body.contains("<svg") && body.contains("role=\"img\""));
    assert!(body.contains("<title id=\"chart-title\">修了数の累計の推移"));
    assert!(
        body.contains("<td>2</td><td>2</td>"),
        "this month's two completions in the table under the chart: {body}"
    );
    assert!(body.contains("href=\"/overview\""), "in the navigation");
    let drill = chief.get(&format!("/officer?division=a&fy={fy}")).await;
    assert_eq!(drill.status, 200);
    assert!(drill.body.contains("試験 late-a"));
    // The figures follow every change at once, on any instance: late-a completes and is
    // transferred to division b, and the next view counts both.
    Scenario::new(pool)
        .existing("late-a")
        .transferred("b", today())
        .completed("late-a", "clerk")
        .build()
        .await;
    let again = chief.get("/overview").await.body;
    assert_eq!(cell(&again, "division-a", "people"), "7", "{again}");
    assert_eq!(
        cell(&again, "division-a", "overdue"),
        "2",
        "chief, officer-a"
    );
    assert_eq!(
        cell(&again, "division-b", "completed"),
        "1",
        "late-a, now in b"
    );
    assert_eq!(cell(&again, "total", "overdue"), "4");

    let last_year = chief.get(&format!("/overview?fy={}", fy - 1)).await;
    assert_eq!(last_year.status, 200);
    assert!(
        last_year.body.contains("id=\"no-plan\""),
        "no plan that year"
    );
    let kept_years: Vec<i32> = sqlx::query_scalar("select fiscal_year from overview_state")
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(
        kept_years,
        vec![fy],
        "nothing is kept for a year without a plan"
    );

    user(pool, "auditor", Role::AuditOfficer).await;
    assert_eq!(
        app.signed_in("auditor").await.get("/overview").await.status,
        200
    );
    for login in ["officer-a", "late-a"] {
        let mut b = app.signed_in(login).await;
        let refused = b.get("/overview").await;
        assert_eq!(refused.status, 403, "{login}");
        assert!(
            !refused.body.contains("試験 done-a") && !refused.body.contains("deputy-b"),
            "no names in the refusal"
        );
        assert!(!b.get("/my").await.body.contains("href=\"/overview\""));
    }
}

/// What the annual report says, person by person, for one division: its rows
/// (`kenshu_app::report::rows_of`, the rule of `kenshu_core::plan::year_assignments`) tallied
/// by status, leavers included.
async fn rust_tallies(
    conn: &mut kenshu_db::PgConnection,
    inst: Uuid,
    division: Uuid,
    fy: FiscalYear,
    on: Date,
    today: Date,
) -> HashMap<Uuid, Tally> {
    let plan = kenshu_db::plan::plan(conn, inst, fy)
        .await
        .unwrap()
        .expect("plan")
        .plan;
    let ids: HashMap<String, Uuid> = sqlx::query_as::<_, (String, Uuid)>(
        "select login_id, id from users where institution_id = $1",
    )
    .bind(inst)
    .fetch_all(&mut *conn)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let people: Vec<_> = kenshu_db::report::people(conn, inst, fy, on, Some(division), false)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .map(|p| p.unwrap())
        .collect();
    let subject = kenshu_app::report::Subject {
        institution_id: inst,
        institution_name: "ベンチ市",
        fy,
        today,
        t: &kenshu_core::i18n::JA,
    };
    let titles = HashMap::new();
    let mut out = HashMap::new();
    for p in &people {
        let mut t = Tally::default();
        for row in kenshu_app::report::rows_of(p, &plan, on, &subject, &titles, None) {
            t.assignments += 1;
            match row.status {
                Status::Completed => t.completed += 1,
                Status::CompletedInPerson => t.in_person += 1,
                Status::Exempt => t.exempt += 1,
                Status::Overdue => t.overdue += 1,
                Status::NotStarted | Status::InProgress => {}
            }
        }
        if t.assignments > 0 {
            t.people = 1;
            out.insert(ids[&p.employee_number], t);
        }
    }
    out
}

#[tokio::test]
async fn the_overview_query_agrees_with_the_assignment_rule_person_by_person() {
    let db = test_db().await;
    let pool = &db.pool;
    let mut conn = pool.acquire().await.unwrap();
    let inst = kenshu_db::institution::create(&mut conn, "bench", "ベンチ市")
        .await
        .unwrap();
    let fy = fy();
    // The benchmark's generator: designations (some for a month only), newcomers, transfers,
    // leavers, officers, completions online and in person, exemptions and retakes.
    sqlx::query(
        "select set_config('bench.staff', '1500', false), set_config('bench.divisions', '6', false),
                set_config('bench.fy', $1, false), set_config('bench.today', $2, false)",
    )
    .bind(fy.year().to_string())
    .bind(fy.end().to_string())
    .execute(&mut *conn)
    .await
    .unwrap();
    sqlx::raw_sql(include_str!("../crates/kenshu-bench/sql/institution.sql"))
        .execute(&mut *conn)
        .await
        .unwrap();
    // Vary the audiences, so that designations, roles and a late start all count.
    exec(
        pool,
        &format!(
            "update plan_courses set audience = case course_code
                 when 'clerk' then '{{clerk,file_handler}}'::text[]
                 when 'protection-officer' then '{{protection_officer,chief_officer,audit_officer}}'
                 when 'final-test' then '{{system_admin,all}}'
                 else audience end,
                 starts_on = case course_code when 'final-test' then '{}'::date else starts_on end",
            fy.start() + Duration::days(100)
        ),
    )
    .await;
    // Edge cases the generator leaves out: a leaving date passed without the status, an
    // officer designation that has ended, a transfer still to come.
    exec(
        pool,
        &format!(
            "update users set left_on = '{}' where substr(login_id, 2)::int % 97 = 5",
            fy.start() + Duration::days(120)
        ),
    )
    .await;
    exec(
        pool,
        &format!(
            "insert into designations (institution_id, user_id, kind, valid_from, valid_to)
             select institution_id, id, 'protection_officer', '{}', '{}' from users
             where substr(login_id, 2)::int % 89 = 3",
            fy.start() + Duration::days(30),
            fy.start() + Duration::days(90)
        ),
    )
    .await;
    exec(
        pool,
        &format!(
            "insert into placements (institution_id, user_id, valid_from, division_id)
             select institution_id, id, '{}', division_id from users where substr(login_id, 2)::int % 83 = 2
             on conflict do nothing",
            fy.start() + Duration::days(250)
        ),
    )
    .await;
    let divisions = kenshu_db::institution::divisions(&mut conn, inst)
        .await
        .unwrap();
    assert_eq!(divisions.len(), 6);
    let mut checked = compare_on_days(
        &mut conn,
        inst,
        fy,
        &divisions,
        &[10, 45, 140, 200, 300, 364],
    )
    .await;
    // Changes through every table the rule reads: the kept counts follow each of them (the
    // triggers mark the people; the refresh recounts only those).
    let day = |n: i64| (fy.start() + Duration::days(n)).to_string();
    for sql in [
        // Completions: new (online and in person), withdrawn, changed.
        "insert into completions (institution_id, user_id, course_code, fiscal_year, completed_at,
                                  content_version_id, method)
         select u.institution_id, u.id, c.code, $FY, $D200::date + interval '9 hours', c.current_version_id,
                case when substr(u.login_id, 2)::int % 2 = 0 then 'in_person' else 'e_learning' end
         from users u cross join courses c
         where c.code = 'cybersecurity' and substr(u.login_id, 2)::int % 7 = 1
         on conflict do nothing"
            .to_string(),
        "delete from completions where course_code = 'clerk' and substr(user_id::text, 1, 1) = 'a'".into(),
        "update completions set method = 'in_person' where course_code = 'final-test'
           and substr(user_id::text, 1, 1) = 'b'"
            .into(),
        // Exemptions granted and withdrawn; re-attendance granted and moved.
        "insert into exemptions (institution_id, user_id, course_code, fiscal_year, reason, decided_by)
         select u.institution_id, u.id, 'final-test', $FY, '休職', u.id from users u
         where substr(u.login_id, 2)::int % 11 = 4 on conflict do nothing"
            .into(),
        "delete from exemptions where substr(user_id::text, 1, 1) = 'c'".into(),
        "insert into retakes (institution_id, user_id, course_code, fiscal_year, deadline, granted_by)
         select u.institution_id, u.id, 'final-test', $FY, $D330, u.id from users u
         where substr(u.login_id, 2)::int % 13 = 6 on conflict do nothing"
            .into(),
        "update retakes set deadline = $D20 where substr(user_id::text, 1, 1) = 'd'".into(),
        // Designations: new ones, one ended, one to come.
        "insert into designations (institution_id, user_id, kind, valid_from)
         select institution_id, id, 'system_admin', $D40 from users where substr(login_id, 2)::int % 17 = 8"
            .into(),
        "update designations set valid_to = $D100 where kind = 'clerk' and valid_to is null
           and substr(user_id::text, 1, 1) = 'e'"
            .into(),
        "insert into designations (institution_id, user_id, kind, valid_from)
         select institution_id, id, 'clerk', $D320 from users where substr(login_id, 2)::int % 19 = 9"
            .into(),
        // A transfer in autumn, people leaving, and newcomers with their first placement.
        "with moved as (
             update users u set division_id = (select d.id from divisions d where d.institution_id = u.institution_id
                                                and d.id <> u.division_id order by d.code limit 1)
             where substr(u.login_id, 2)::int % 23 = 10 returning u.institution_id, u.id, u.division_id
         )
         insert into placements (institution_id, user_id, valid_from, division_id)
         select institution_id, id, $D210, division_id from moved on conflict do nothing"
            .into(),
        "update users set status = 'left', left_on = $D190 where substr(login_id, 2)::int % 29 = 12".into(),
        "with hired as (
             insert into users (institution_id, login_id, name, division_id, role, hired_on)
             select u.institution_id, 'n' || u.login_id, '新規 ' || u.login_id, u.division_id, 'staff', $D250
             from users u where substr(u.login_id, 2)::int % 31 = 13 returning institution_id, id, division_id, hired_on
         )
         insert into placements (institution_id, user_id, valid_from, division_id)
         select institution_id, id, hired_on, division_id from hired"
            .into(),
    ] {
        let sql = sql
            .replace("$FY", &fy.year().to_string())
            .replace("$D200", &format!("'{}'", day(200)))
            .replace("$D330", &format!("'{}'::date", day(330)))
            .replace("$D20", &format!("'{}'::date", day(20)))
            .replace("$D40", &format!("'{}'::date", day(40)))
            .replace("$D100", &format!("'{}'::date", day(100)))
            .replace("$D320", &format!("'{}'::date", day(320)))
            .replace("$D210", &format!("'{}'::date", day(210)))
            .replace("$D190", &format!("'{}'::date", day(190)))
            .replace("$D250", &format!("'{}'::date", day(250)));
        exec(pool, &sql).await;
        let refreshed = kenshu_db::overview::refresh(&mut conn, inst, fy, fy.end())
            .await
            .unwrap();
        assert!(
            !refreshed.whole && refreshed.people > 0 && refreshed.people < 1500,
            "only the people touched are recounted: {refreshed:?} after {sql}"
        );
    }
    checked += compare_on_days(&mut conn, inst, fy, &divisions, &[364, 300, 30, 364]).await;
    // Without a course for everybody, only designations and roles make someone a target: the
    // people counted per division must then leave the others out.
    exec(
        pool,
        "update plan_courses set audience = case course_code
             when 'final-test' then '{system_admin}'::text[]
             when 'cybersecurity' then '{clerk}'::text[]
             else audience end",
    )
    .await;
    let audiences: Vec<String> =
        sqlx::query_scalar("select distinct unnest(audience) from plan_courses")
            .fetch_all(pool)
            .await
            .unwrap();
    assert!(!audiences.iter().any(|a| a == "all"), "{audiences:?}");
    checked += compare_on_days(&mut conn, inst, fy, &divisions, &[45, 200, 364]).await;
    assert!(checked > 5000, "enough people compared: {checked}");
}

#[tokio::test]
async fn the_keeper_counts_the_current_year_before_the_first_view() {
    let app = TestApp::spawn().await;
    let pool = app.pool();
    let inst = Scenario::new(pool)
        .person("chief", Role::ChiefOfficer)
        .person("s1", Role::Staff)
        .person("s2", Role::Staff)
        .person("s3", Role::Staff)
        .build()
        .await
        .institution();
    let today = today();
    let mut conn = pool.acquire().await.unwrap();
    kenshu_app::keeper::run(pool).await.unwrap();
    let after_keeper = kenshu_db::overview::refresh(&mut conn, inst, fy(), today)
        .await
        .unwrap();
    assert_eq!(
        after_keeper,
        kenshu_db::overview::Refreshed {
            whole: false,
            people: 0
        },
        "the keeper counted everyone already"
    );
    // A change of the plan (a course's deadline) makes the next refresh count everyone again;
    // the keeper does it.
    let stale = async || -> bool {
        sqlx::query_scalar("select stale from overview_state")
            .fetch_one(pool)
            .await
            .unwrap()
    };
    assert!(!stale().await);
    simulate::behind_the_portals_back(
        pool,
        "update plan_courses set deadline = deadline + 1 where course_code = 'clerk'",
    )
    .await;
    assert!(stale().await, "the plan's change marks the counts stale");
    kenshu_app::keeper::run(pool).await.unwrap();
    assert!(!stale().await, "the keeper recounted");
    // The keeper's pass starts from the institutions whose counts are not current: none now,
    // this one after someone arrives (marked dirty), none once the keeper has been.
    let not_current = async || {
        let mut conn = pool.acquire().await.unwrap();
        kenshu_db::overview::not_current(&mut conn, fy(), today)
            .await
            .unwrap()
    };
    assert_eq!(not_current().await, Vec::<Uuid>::new());
    user(pool, "s4", Role::Staff).await;
    assert_eq!(not_current().await, vec![inst]);
    kenshu_app::keeper::run(pool).await.unwrap();
    assert_eq!(not_current().await, Vec::<Uuid>::new());
    let page = app.signed_in("chief").await.get("/overview").await;
    assert_eq!(cell(&page.body, "total", "people"), "5", "{}", page.body);
}

#[tokio::test]
async fn only_the_chief_and_audit_officers_open_the_overview() {
    let app = TestApp::spawn().await;
    for role in Role::ALL {
        user(app.pool(), role.as_str(), role).await;
    }
    for role in Role::ALL {
        let mut b = app.signed_in(role.as_str()).await;
        let page = b.get("/overview").await;
        let allowed = matches!(role, Role::ChiefOfficer | Role::AuditOfficer);
        assert_eq!(page.status, if allowed { 200 } else { 403 }, "{role}");
        assert_eq!(
            page.body.contains("id=\"divisions\""),
            allowed,
            "{role} sees the table only if allowed"
        );
    }
    let stranger = app.browser().get("/overview").await;
    assert_eq!(stranger.status, 303, "strangers are sent to sign in");
}

/// Compares, on each day, the overview query person by person and per division with the rule
/// in Rust; returns how many people were compared.
async fn compare_on_days(
    conn: &mut kenshu_db::PgConnection,
    inst: Uuid,
    fy: FiscalYear,
    divisions: &[kenshu_db::institution::Division],
    days: &[i64],
) -> usize {
    let mut checked = 0;
    for &days in days {
        let on = fy.start() + Duration::days(days);
        let sql: HashMap<Uuid, Tally> = kenshu_db::overview::by_person(&mut *conn, inst, fy, on)
            .await
            .unwrap()
            .into_iter()
            .collect();
        let overview = kenshu_db::overview::overview(&mut *conn, inst, fy, on)
            .await
            .unwrap();
        let mut rust_all = HashMap::new();
        for d in divisions {
            let rust = rust_tallies(&mut *conn, inst, d.id, fy, on, on).await;
            let mut sum = Tally::default();
            for t in rust.values() {
                sum.add(t);
            }
            let from_sql = overview
                .divisions
                .iter()
                .find(|(id, _)| *id == d.id)
                .map(|(_, t)| *t)
                .unwrap_or_default();
            assert_eq!(from_sql, sum, "division {} on {on}", d.code);
            rust_all.extend(rust);
        }
        for (id, t) in &rust_all {
            assert_eq!(sql.get(id), Some(t), "person {id} on {on}");
        }
        assert_eq!(sql.len(), rust_all.len(), "the same people on {on}");
        let done: i64 = rust_all.values().map(|t| t.completed + t.in_person).sum();
        assert_eq!(
            overview.by_month.iter().sum::<i64>(),
            done,
            "the chart adds up"
        );
        checked += rust_all.len();
    }
    checked
}

#[tokio::test]
async fn a_write_in_flight_during_the_first_count_is_not_lost() {
    let app = TestApp::spawn().await;
    let pool = app.pool().clone();
    let s = Scenario::new(&pool).person("s1", Role::Staff).build().await;
    let (inst, s1) = (s.institution(), s.id("s1"));
    // s1 completes while nothing is counted yet: the trigger finds no counts to mark.
    let mut writer = pool.begin().await.unwrap();
    let version = kenshu_db::content::current_version(&mut writer, "clerk")
        .await
        .unwrap()
        .expect("clerk");
    let who = kenshu_db::learning::Learner {
        institution_id: inst,
        user_id: s1,
        fiscal_year: fy(),
    };
    kenshu_db::learning::complete(&mut writer, who, "clerk", version, false, None, None)
        .await
        .unwrap();
    let counting = tokio::spawn({
        let pool = pool.clone();
        async move {
            let mut conn = pool.acquire().await.unwrap();
            kenshu_db::overview::refresh(&mut conn, inst, fy(), today())
                .await
                .unwrap()
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !counting.is_finished(),
        "the first count waits for the writer in flight"
    );
    writer.commit().await.unwrap();
    assert!(counting.await.unwrap().whole);
    let mut conn = pool.acquire().await.unwrap();
    let people = kenshu_db::overview::by_person(&mut conn, inst, fy(), today())
        .await
        .unwrap();
    let (_, t) = people.iter().find(|(id, _)| *id == s1).expect("s1 counted");
    assert_eq!(t.completed, 1, "s1's completion is in the counts: {t:?}");
}

#[tokio::test]
async fn refreshes_at_once_recount_each_change_once() {
    let app = TestApp::spawn().await;
    let pool = app.pool().clone();
    let logins: Vec<String> = (1..=20).map(|n| format!("s{n}")).collect();
    let mut people = Scenario::new(&pool);
    for login in &logins {
        people = people.person(login, Role::Staff);
    }
    let inst = people.build().await.institution();
    let mut conn = pool.acquire().await.unwrap();
    kenshu_db::overview::refresh(&mut conn, inst, fy(), today())
        .await
        .unwrap();
    let mut all_complete = Scenario::new(&pool);
    for login in &logins {
        all_complete = all_complete.completed(login, "clerk");
    }
    all_complete.build().await;
    // Four instances refresh at once: each changed person is recounted by exactly one.
    let refreshes = (0..4).map(|_| {
        let pool = pool.clone();
        tokio::spawn(async move {
            let mut conn = pool.acquire().await.unwrap();
            kenshu_db::overview::refresh(&mut conn, inst, fy(), today())
                .await
                .unwrap()
        })
    });
    let mut recounted = 0;
    for r in refreshes {
        recounted += r.await.unwrap().people;
    }
    assert_eq!(recounted, 20);
    let kept = kenshu_db::overview::overview(&mut conn, inst, fy(), today())
        .await
        .unwrap();
    // The same as counting everyone afresh.
    exec(&pool, "update overview_state set stale = true").await;
    let afresh = kenshu_db::overview::overview(&mut conn, inst, fy(), today())
        .await
        .unwrap();
    let total = |o: &kenshu_db::overview::Overview| {
        let mut sum = Tally::default();
        for (_, t) in &o.divisions {
            sum.add(t);
        }
        sum
    };
    assert_eq!(total(&kept), total(&afresh));
    assert_eq!(total(&kept).completed, 20);
    assert_eq!(kept.by_month, afresh.by_month);
}

/// The chief reads the same figures on the overview page and in the annual report's summary,
/// for the same day, on generated data with leavers (some before the day, some after it),
/// newcomers, transfers, exemptions and re-attendance: one rule, one rounding.
#[tokio::test]
async fn the_overview_and_the_annual_reports_summary_agree_on_generated_data() {
    let db = test_db().await;
    let pool = &db.pool;
    let mut conn = pool.acquire().await.unwrap();
    let inst = kenshu_db::institution::create(&mut conn, "bench", "ベンチ市")
        .await
        .unwrap();
    let fy = fy();
    let day = fy.start() + Duration::days(200);
    sqlx::query(
        "select set_config('bench.staff', '600', false), set_config('bench.divisions', '4', false),
                set_config('bench.fy', $1, false), set_config('bench.today', $2, false)",
    )
    .bind(fy.year().to_string())
    .bind(day.to_string())
    .execute(&mut *conn)
    .await
    .unwrap();
    sqlx::raw_sql(include_str!("../crates/kenshu-bench/sql/institution.sql"))
        .execute(&mut *conn)
        .await
        .unwrap();
    // Leavers whose deadline passed before they left (overdue on their last day), and one
    // who leaves after the day (still counted as of the day).
    exec(
        pool,
        &format!(
            "update users set status = 'left', left_on = '{}' where substr(login_id, 2)::int % 41 = 6",
            day - Duration::days(10)
        ),
    )
    .await;
    exec(
        pool,
        &format!(
            "update users set left_on = '{}' where substr(login_id, 2)::int % 53 = 7",
            day + Duration::days(30)
        ),
    )
    .await;
    let overview = kenshu_db::overview::overview(&mut conn, inst, fy, day)
        .await
        .unwrap();
    let divisions = kenshu_db::institution::divisions(&mut conn, inst)
        .await
        .unwrap();
    let mut on_screen = Vec::new();
    let mut sum = Tally::default();
    for d in &divisions {
        if let Some((_, t)) = overview.divisions.iter().find(|(id, _)| *id == d.id) {
            on_screen.push(t.totals(&d.code, &d.name).cells());
            sum.add(t);
        }
    }
    on_screen.push(sum.totals("", "合計").cells());

    let path = std::env::temp_dir().join(format!("kenshu-agree-{}.xlsx", Uuid::new_v4()));
    let subject = kenshu_app::report::Subject {
        institution_id: inst,
        institution_name: "ベンチ市",
        fy,
        today: day,
        t: &kenshu_core::i18n::JA,
    };
    kenshu_app::report::annual(
        &mut conn,
        &subject,
        kenshu_app::report::Format::Xlsx,
        std::fs::File::create(&path).unwrap(),
    )
    .await
    .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    let sheet = |name: &str| kenshu_tests::reports::xlsx_sheet(&bytes, name);
    let summary = sheet("課室別集計");
    assert_eq!(summary[0][2..4], ["対象者（名）", "受講割当（件）"]);
    let in_file: Vec<Vec<String>> = summary[1..=on_screen.len()].to_vec();
    assert_eq!(in_file, on_screen, "the XLSX summary and the overview");

    // Not vacuous: leavers are in both, some of them overdue on their last day, and the
    // figures are large enough to round.
    let rows = sheet("受講状況");
    let leavers: Vec<&Vec<String>> = rows[1..].iter().filter(|r| !r[12].is_empty()).collect();
    assert!(leavers.len() > 20, "{} leaver rows", leavers.len());
    assert!(
        leavers.iter().any(|r| r[6] == "期限超過"),
        "a leaver overdue on their last day"
    );
    assert!(
        leavers
            .iter()
            .any(|r| r[6] != "期限超過" && r[6] != "修了" && r[6] != "免除"),
        "a leaver whose deadline came after they left, not overdue"
    );
    assert!(
        sum.people > 500 && sum.overdue > 0 && sum.exempt > 0,
        "{sum:?}"
    );
}
