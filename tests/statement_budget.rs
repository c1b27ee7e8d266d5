//! Statement budgets: what each main page and action costs the database, counted on the wire
//! (statements and round trips, not timings, so the figures do not depend on the machine).
//! The portal serves through a pool of one connection that reaches PostgreSQL through the
//! proxy of `kenshu_bench::wire`; every statement of a request crosses it.
//!
//! Each figure is measured once the statements are prepared and the course content is cached
//! (what a server does all day): the learner's journey is walked once by another person first,
//! and the officers' pages are asked twice, the second one measured. The session middleware
//! writes `sessions.seen_at` at most once a minute; the test sets `seen_at` to now before each
//! request, so that write never falls into a measurement however slow the machine.
//!
//! When a figure changes, the table printed by
//! `cargo test -p kenshu-tests --test statement_budget -- --nocapture` says by how much; a page
//! that got cheaper lowers its budget here, one that got dearer is a regression.

use std::net::SocketAddr;
use std::time::Duration;

use kenshu_bench::wire::{Sent, Trips, Upstream, Wire, start_proxy};
use kenshu_core::person::Role;
use kenshu_tests::http::Page;
use kenshu_tests::{APP_ROLE, Browser, PASSWORD, Scenario, TestApp, TestDb};
use reqwest::StatusCode;
use sqlx::postgres::PgConnectOptions;
use uuid::Uuid;

/// What one page or action may cost: statements executed, round trips (the server waiting
/// for PostgreSQL), and pings (round trips without a statement: sqlx's pool pings a connection
/// when it goes back; the request pool does not, unless a transaction was abandoned).
struct Budget {
    page: &'static str,
    statements: u64,
    round_trips: u64,
    pings: u64,
}

const fn budget(page: &'static str, statements: u64, round_trips: u64, pings: u64) -> Budget {
    Budget {
        page,
        statements,
        round_trips,
        pings,
    }
}

/// The budgets, as low as the pages go today (measured). A signed-in page reads its session
/// from the database on the person's first page after signing in, then at most once a minute
/// or after an announcement of a change (kenshu-web `session_cache`); the others take it from
/// the instance's memory. Connections go back to the pool without a ping
/// (`kenshu_db::requests`). BEGIN and COMMIT count as statements.
const BUDGETS: &[Budget] = &[
    // The institution and whether there are several, in one statement; credentials; the
    // throttle's two keys taken in a transaction; then, on a second checkout after the password
    // check, a transaction that clears and refunds the throttle, trusts the device, creates the
    // session and appends "sign_in" to the audit log (lock, last entry, insert).
    budget(SIGN_IN, 15, 15, 0),
    // The first page after signing in: the session (from the database); the approved plan (with
    // the rules it requires and the person's acknowledgements of them, in the same statement);
    // the person's facts; course summaries (with re-attendance deadlines); reminders.
    budget(MY, 5, 5, 0),
    // The course's progress (the package itself is cached).
    budget(COURSE, 1, 1, 0),
    // The course's progress.
    budget(SECTION, 1, 1, 0),
    // The session (read from the database once a minute, or after an announcement); the
    // course's progress.
    budget(SECTION_COLD, 2, 2, 0),
    // In a transaction (BEGIN, COMMIT): progress, the read (activity kept in the same
    // statement); the course is settled from the progress already read.
    budget(MARK_READ, 4, 4, 0),
    // In a transaction: the attempt with its answers, the answer (the progress is read only
    // when the last answer closes the test).
    budget(ANSWER, 4, 4, 0),
    // In a transaction: progress, the attempt stored closed with its activity and answers in
    // one statement, the completion.
    budget(SUBMIT, 5, 5, 0),
    // The same without the completion: the course is complete already.
    budget(SUBMIT_AGAIN, 4, 4, 0),
    // The course's summary with its completion.
    budget(CERTIFICATE, 1, 1, 0),
    // An institution's own course, brought in as a package, costs what a shipped one does:
    // the course's progress.
    budget(AUTHORED_SECTION, 1, 1, 0),
    // In a transaction: the attempt with its answers (and the draw it recorded), the answer.
    budget(AUTHORED_ANSWER, 4, 4, 0),
    // Divisions in scope; the plan; the division's people and their facts, with their rule
    // acknowledgements in the same statement (only when the plan requires rules: the
    // scenario's does); latest follow-ups; latest reminders; progress per person and course;
    // retakes; course titles.
    budget(OFFICER, 8, 8, 0),
    // The person; "person_viewed" appended to the audit log in a transaction (lock, last entry,
    // insert); the plan; their facts; summaries (with re-attendance deadlines); designations;
    // exemptions; attempt history; follow-ups; reminders.
    budget(PERSON, 14, 14, 0),
    // Divisions; whether the kept counts are current; the counts; the officers; the plan (for
    // the rules it requires) and, only when it requires some, the rules' counts kept under the
    // current stamp (one statement with the stamp).
    budget(OVERVIEW, 6, 6, 0),
    // The same after someone's completion made the kept counts stale (a morning's usual case):
    // before the counts, a transaction locks the state, sets work_mem, takes the dirty people,
    // drops their old assignments and empty counts, recounts them, clears the scope and marks
    // the state current (11 statements with BEGIN and COMMIT); the rules' two as above, and
    // since the refresh changed the stamp, everyone's facts with their acknowledgements and
    // the counts kept anew (two more).
    budget(OVERVIEW_STALE, 18, 18, 0),
    // The plan; course titles; divisions.
    budget(REPORTS, 3, 3, 0),
    // Divisions in scope; the courses' current versions (their packages are cached); this
    // year's and last year's first attempts, counted in one statement.
    budget(INSIGHTS, 3, 3, 0),
];

const SIGN_IN: &str = "sign-in (POST /login)";
const MY: &str = "GET /my";
const COURSE: &str = "GET /courses/clerk";
const SECTION: &str = "GET /courses/clerk/sections/{slug}";
const MARK_READ: &str = "mark read (POST …/sections/{slug}/read)";
const ANSWER: &str = "chapter answer (POST /courses/clerk/test/answer)";
const SUBMIT: &str = "final submit (POST /courses/final-test/test/submit)";
const SUBMIT_AGAIN: &str = "final submit, course already completed";
const SECTION_COLD: &str = "GET a section, the session read from the database";
const CERTIFICATE: &str = "GET /certificates/final-test";
const AUTHORED_SECTION: &str = "GET a section of an institution's own course";
const AUTHORED_ANSWER: &str = "an answer to its chapter test, drawn from a bank";
const OFFICER: &str = "GET /officer (division of 500 staff)";
const PERSON: &str = "GET /people/{login}";
const OVERVIEW: &str = "GET /overview (chief officer)";
const OVERVIEW_STALE: &str = "GET /overview after a completion";
const REPORTS: &str = "GET /reports";
const INSIGHTS: &str = "GET /insights (chief officer)";

/// The final test's answers from the seed, all right.
const FINAL_KEY: [&str; 10] = ["x", "o", "o", "x", "x", "o", "x", "x", "x", "o"];

/// How long to wait for writes that land after the response (a connection going back to the
/// pool, a task the handler left behind).
const SETTLE: Duration = Duration::from_millis(50);

/// Requests are served by the connections of this name; the portal's database health probe
/// (it pings twice a second) and its session listener have their own and are not counted.
const REQUESTS: &str = kenshu_db::requests::APPLICATION_NAME;

struct Meter<'a> {
    app: &'a TestApp,
    wire: &'a Wire,
    /// Off while the warm-up walk prepares the statements.
    on: bool,
    seen: Vec<(&'static str, Sent)>,
}

impl Meter<'_> {
    /// Sends one request and, when on, records what it cost the serving connection.
    async fn cost(&mut self, page: &'static str, request: impl Future<Output = Page>) -> Page {
        // Every session seen just now: no measured request moves its idle clock on (a write
        // at most once a minute).
        kenshu_tests::simulate::sessions_idle_for(self.app.pool(), 0, None).await;
        tokio::time::sleep(SETTLE).await;
        self.take();
        let res = request.await;
        tokio::time::sleep(SETTLE).await;
        let sent = self.take();
        if self.on {
            self.seen.push((page, sent));
        }
        res
    }

    fn take(&self) -> Sent {
        self.wire.take_named(REQUESTS)
    }
}

/// Connection options like `options` (user, database, password) that reach the server through
/// the proxy at `proxy`.
fn through(options: PgConnectOptions, proxy: SocketAddr, database: &str) -> PgConnectOptions {
    let port = proxy.port();
    if options.get_socket().is_some() || options.get_host().starts_with('/') {
        // A Unix socket cannot be unset in the options: start from new ones. The tests' own
        // cluster lets local users in without a password.
        PgConnectOptions::new_without_pgpass()
            .host("127.0.0.1")
            .port(port)
            .username(APP_ROLE)
            .database(database)
    } else {
        options.host("127.0.0.1").port(port)
    }
}

/// The portal on a fresh database, serving through one connection behind the counting proxy.
async fn metered_app() -> (TestApp, std::sync::Arc<Wire>) {
    let db: TestDb = kenshu_tests::test_db().await;
    kenshu_tests::app_role().await;
    let (proxy, wire) = start_proxy(Upstream::of(&db.app_options()))
        .await
        .expect("start the proxy");
    let serving = kenshu_db::connect(through(db.app_options(), proxy, &db.name), 1)
        .await
        .expect("connect through the proxy");
    assert_eq!(wire.connections(), 1, "the pool holds its one connection");
    let app = TestApp::spawn_with(db, serving, kenshu_web::Settings::default()).await;
    // Sessions are served from memory once the listener hears announcements: measured so.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !app.state.sessions.is_listening() {
        assert!(
            std::time::Instant::now() < deadline,
            "the session listener starts"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (app, wire)
}

/// A division (B) of 500 staff, a third of whom have finished the clerk course.
fn division_of_500(mut story: Scenario<'_>) -> Scenario<'_> {
    for n in 1..=500 {
        let login = format!("s{n:04}");
        story = story
            .person(&login, Role::Staff)
            .in_division("b")
            .named(&format!("職員 {n}"));
        if n % 3 == 0 {
            story = story.completed(&login, "clerk");
        }
    }
    story
}

/// A learner's morning: sign in, My training, a course, a section, marking it read, a chapter
/// test answer, the final test submitted and passed, the certificate.
async fn learner_journey(m: &mut Meter<'_>, login: &str) {
    let mut b: Browser = m.app.browser();
    b.get("/login").await;
    let res = m
        .cost(
            SIGN_IN,
            b.post(
                "/login",
                &[("login", login), ("password", PASSWORD), ("next", "/my")],
            ),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let res = m.cost(MY, b.get("/my")).await;
    assert_eq!(res.status, StatusCode::OK);
    let res = m.cost(COURSE, b.get("/courses/clerk")).await;
    assert_eq!(res.status, StatusCode::OK);
    let section = "/courses/clerk/sections/system-overview";
    let res = m.cost(SECTION, b.get(section)).await;
    assert_eq!(res.status, StatusCode::OK);
    // Once a minute, or after an announcement, the session is read from the database again.
    m.app.forget_sessions_of(login).await;
    let res = m.cost(SECTION_COLD, b.get(section)).await;
    assert_eq!(res.status, StatusCode::OK);
    let res = m
        .cost(MARK_READ, b.post(&format!("{section}/read"), &[]))
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);

    b.get("/courses/clerk/test").await;
    let attempt = Uuid::new_v4().to_string();
    let res = b
        .post("/courses/clerk/test/start", &[("attempt", &attempt)])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let answer = [
        ("attempt", attempt.as_str()),
        ("question", "1"),
        ("answer", "x"),
    ];
    let res = m
        .cost(ANSWER, b.post("/courses/clerk/test/answer", &answer))
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);

    b.get("/courses/final-test/test").await;
    let attempt = Uuid::new_v4().to_string();
    let names: Vec<String> = (1..=10).map(|n| format!("q{n}")).collect();
    let mut fields: Vec<(&str, &str)> = vec![("attempt", attempt.as_str())];
    fields.extend(names.iter().map(String::as_str).zip(FINAL_KEY));
    let res = m
        .cost(SUBMIT, b.post("/courses/final-test/test/submit", &fields))
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let res = m.cost(CERTIFICATE, b.get("/certificates/final-test")).await;
    assert_eq!(res.status, StatusCode::OK, "the final test was passed");
    // Taking the final test again once the course is complete.
    let again = Uuid::new_v4().to_string();
    fields[0] = ("attempt", again.as_str());
    let res = m
        .cost(
            SUBMIT_AGAIN,
            b.post("/courses/final-test/test/submit", &fields),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
}

/// Publishes the example package (情報システム管理者向け研修, a bank drawing 5 of 8) as the
/// institution's own course.
async fn own_course(app: &TestApp, institution: Uuid) {
    let files = kenshu_tests::package_files(
        &kenshu_tests::repo_root().join("content/packages/system-admin"),
    );
    let mut parsed =
        [kenshu_core::content::parse_files("system-admin", &files).expect("the package")];
    kenshu_core::content::link_sections_with(&mut parsed, &[]).expect("its links");
    let mut conn = app.pool().acquire().await.expect("a connection");
    kenshu_db::content::load_owned(&mut conn, &parsed[0], Some(institution))
        .await
        .expect("published");
}

/// This year's plan requires everyone to acknowledge a rule (規程), and a third of the
/// division of 500 has: the pages that show required rules are measured with one.
async fn required_rule(app: &TestApp, institution: Uuid, chief: Uuid) {
    let run = async |sql: &'static str, with_chief: bool| {
        let q = sqlx::query(sql).bind(institution);
        let q = if with_chief { q.bind(chief) } else { q };
        q.execute(app.pool())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    };
    run(
        "insert into rule_documents (institution_id, code) values ($1, 'kitei')",
        false,
    )
    .await;
    run(
        "insert into rule_versions (institution_id, code, version, title, body, min_read_secs, published_by)
         values ($1, 'kitei', 1, '特定個人情報取扱規程', '第1条', 0, $2)",
        true,
    )
    .await;
    run(
        "insert into plan_rules (institution_id, plan_id, rule_code, audience, deadline)
         select institution_id, id, 'kitei', '{all}', make_date(fiscal_year, 12, 31)
         from training_plans where institution_id = $1 and status = 'approved'",
        false,
    )
    .await;
    run(
        "insert into rule_acknowledgements (institution_id, user_id, code, version, read_secs)
         select institution_id, id, 'kitei', 1, 30 from users
         where institution_id = $1 and login_id ~ '^s[0-9]+$' and substr(login_id, 2)::int % 3 = 1",
        false,
    )
    .await;
}

/// A section of the institution's own course, and the first answer to its drawn chapter test.
async fn authored_journey(m: &mut Meter<'_>, b: &mut Browser) {
    let res = m
        .cost(
            AUTHORED_SECTION,
            b.get("/courses/system-admin/sections/accounts"),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    b.get("/courses/system-admin/test").await;
    let attempt = Uuid::new_v4().to_string();
    let res = b
        .post("/courses/system-admin/test/start", &[("attempt", &attempt)])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = b.get("/courses/system-admin/test").await;
    let field = |name: &str| {
        let at = format!("name=\"{name}\" value=\"");
        let rest = &page.body[page
            .body
            .find(&at)
            .unwrap_or_else(|| panic!("no {name}: {}", page.body))
            + at.len()..];
        rest[..rest.find('"').unwrap_or(0)].to_string()
    };
    let (question, answer) = (field("question"), field("answer"));
    let fields = [
        ("attempt", attempt.as_str()),
        ("question", question.as_str()),
        ("answer", answer.as_str()),
    ];
    let res = m
        .cost(
            AUTHORED_ANSWER,
            b.post("/courses/system-admin/test/answer", &fields),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
}

/// Asks for a page twice (the first prepares and fills caches) and measures the second.
async fn read_page(m: &mut Meter<'_>, b: &mut Browser, page: &'static str, path: &str) {
    let on = std::mem::replace(&mut m.on, false);
    let first = m.cost(page, b.get(path)).await;
    assert_eq!(first.status, StatusCode::OK, "{path}: {}", first.body);
    m.on = on;
    let res = m.cost(page, b.get(path)).await;
    assert_eq!(res.status, StatusCode::OK, "{path}");
}

#[tokio::test]
async fn every_main_page_stays_within_its_statement_budget() {
    let (app, wire) = metered_app().await;
    let story = Scenario::new(app.pool())
        .person("warm", Role::Staff)
        .person("staff1", Role::Staff)
        .person("chief", Role::ChiefOfficer)
        .person("officer-b", Role::ProtectionOfficer)
        .in_division("b");
    let built = division_of_500(story).build().await;
    own_course(&app, built.institution()).await;
    required_rule(&app, built.institution(), built.id("chief")).await;

    let mut m = Meter {
        app: &app,
        wire: &wire,
        on: false,
        seen: Vec::new(),
    };
    learner_journey(&mut m, "warm").await;
    let mut warm = app.signed_in("warm").await;
    authored_journey(&mut m, &mut warm).await;
    m.on = true;
    learner_journey(&mut m, "staff1").await;
    m.on = false;
    let mut staff = app.signed_in("staff1").await;
    m.on = true;
    authored_journey(&mut m, &mut staff).await;

    let mut officer = app.signed_in("officer-b").await;
    read_page(&mut m, &mut officer, OFFICER, "/officer").await;
    read_page(&mut m, &mut officer, PERSON, "/people/s0001").await;
    let mut chief = app.signed_in("chief").await;
    read_page(&mut m, &mut chief, OVERVIEW, "/overview").await;
    for (login, measured) in [("s0004", false), ("s0005", true)] {
        Scenario::new(app.pool())
            .completed(login, "cybersecurity")
            .build()
            .await;
        m.on = measured;
        let res = m.cost(OVERVIEW_STALE, chief.get("/overview")).await;
        assert_eq!(res.status, StatusCode::OK);
    }
    read_page(&mut m, &mut chief, REPORTS, "/reports").await;
    read_page(&mut m, &mut chief, INSIGHTS, "/insights?course=final-test").await;

    let mut problems = Vec::new();
    println!(
        "| page | statements | round trips | pings | budget (statements / round trips / pings) |"
    );
    println!("|---|---:|---:|---:|---|");
    for b in BUDGETS {
        let Some((_, sent)) = m.seen.iter().find(|(p, _)| *p == b.page) else {
            problems.push(format!("{}: not measured", b.page));
            continue;
        };
        let t = &sent.trips;
        println!(
            "| {} | {} | {} | {} | {} / {} / {} |",
            b.page, t.statements, t.round_trips, t.pings, b.statements, b.round_trips, b.pings
        );
        let want = Trips {
            statements: b.statements,
            round_trips: b.round_trips,
            pings: b.pings,
        };
        if *t != want {
            problems.push(format!(
                "{}: {} statements, {} round trips, {} pings; the budget is {} / {} / {}{}",
                b.page,
                t.statements,
                t.round_trips,
                t.pings,
                b.statements,
                b.round_trips,
                b.pings,
                if t.statements > b.statements || t.round_trips > b.round_trips {
                    " (a regression: find the new statement)"
                } else {
                    " (cheaper: lower the budget)"
                },
            ));
            problems.extend(
                sent.statements
                    .iter()
                    .map(|s| format!("    {}", one_line(s))),
            );
        }
    }
    assert_eq!(
        m.seen.len(),
        BUDGETS.len(),
        "every measured page has a budget"
    );
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// A statement's text on one line, shortened.
fn one_line(sql: &str) -> String {
    let flat = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(160) {
        Some((at, _)) => format!("{}…", &flat[..at]),
        None => flat,
    }
}
