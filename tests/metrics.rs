//! Watching the portal (issue 13, item 5): `/metrics` for the operator's scraper only, requests
//! counted by route and status without a login or a name in sight, the workers' runs, and the
//! log as JSON lines.
//!
//! The metrics live in the process, shared by every portal a test of this binary starts: the
//! tests that count take [`SERIAL`] and compare figures before and after.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use kenshu_core::person::Role;
use kenshu_tests::process::{free_port, terminate, wait_ready};
use kenshu_tests::{AUDIT_KEY_HEX, TestApp, kenshu_bin, test_db, user};
use reqwest::StatusCode;

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const TOKEN: &str = "scrape-9f2c41d7e0b3a6";

/// A scraper: a plain client that asks for compressed answers, as Prometheus does.
fn scraper() -> reqwest::Client {
    kenshu_tests::http::browser_like().build().expect("client")
}

async fn scrape(base: &str, token: Option<&str>) -> (StatusCode, Option<String>, String) {
    let mut req = scraper().get(format!("{base}/metrics"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("GET /metrics");
    let status = res.status();
    let kind = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (status, kind, res.text().await.expect("body"))
}

/// The value of the sample with exactly this name and these labels (0 when absent).
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

/// Every sample's metric (a histogram's by its `_bucket`, `_sum` and `_count`) has a `# TYPE`
/// and a `# HELP` line before it, and every sample line is `name{labels} number`.
fn assert_exposition_format(text: &str) {
    let mut typed = std::collections::HashMap::new();
    let mut helped = std::collections::HashSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            typed.insert(name.to_string(), kind.to_string());
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            helped.insert(rest.split_once(' ').expect("HELP name text").0.to_string());
            continue;
        }
        let (series, number) = line.rsplit_once(' ').expect("a sample");
        assert!(number.parse::<f64>().is_ok(), "not a number: {line}");
        let name = series.split('{').next().expect("a name");
        assert!(
            name.starts_with("kenshu_")
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
            "{line}"
        );
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .filter_map(|s| name.strip_suffix(s))
            .find(|f| typed.get(*f).is_some_and(|k| k == "histogram"))
            .unwrap_or(name);
        assert!(typed.contains_key(family), "no TYPE before {line}");
        assert!(helped.contains(family), "no HELP before {line}");
    }
}

/// Someone who is neither on the operator's networks nor holds the token gets the portal's
/// 403 page, which says nothing of the metrics; a wrong token is no better; the right one
/// reads them from anywhere.
#[tokio::test]
async fn the_metrics_are_read_with_the_token_or_from_the_operators_networks_only() {
    let _serial = SERIAL.lock().await;
    let db = test_db().await;
    let pool = db.app_pool(8, Duration::from_secs(10)).await;
    let settings = kenshu_web::Settings {
        metrics_token: Some(TOKEN.into()),
        // The test connects from 127.0.0.1, which this list leaves out.
        metrics_allow: kenshu_web::parse_networks("10.99.0.0/16, 192.0.2.1").expect("networks"),
        ..Default::default()
    };
    let app = TestApp::spawn_with(db, pool, settings).await;
    let base = app.url("");
    for token in [None, Some("scrape-9f2c41d7e0b3a7"), Some("")] {
        let (status, _, body) = scrape(&base, token).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "token {token:?}");
        for leak in ["kenshu_", "# TYPE", "# HELP", TOKEN] {
            assert!(!body.contains(leak), "{leak} in the refusal: {body}");
        }
    }
    let basic = scraper()
        .get(format!("{base}/metrics"))
        .basic_auth("prometheus", Some(TOKEN))
        .send()
        .await
        .expect("GET");
    assert_eq!(basic.status(), StatusCode::FORBIDDEN);
    let (status, kind, body) = scrape(&base, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        kind.as_deref(),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    assert!(
        body.contains("# TYPE kenshu_http_requests_total counter"),
        "{body}"
    );
    assert_exposition_format(&body);
}

/// After a staff member's pages and a miss, the metrics count `/my` by its route and status,
/// with a histogram of the same count, and the miss as `unmatched`; no login, name or path
/// a person typed appears; a failed sign-in, the keeper's and the housekeeping's runs, the
/// outbox and the pools show.
#[tokio::test]
async fn requests_workers_and_sign_in_failures_are_counted_without_personal_data() {
    let _serial = SERIAL.lock().await;
    let app = TestApp::spawn().await;
    let base = app.url("");
    user(app.pool(), "suzuki-hanako", Role::Staff).await;
    let mut staff = app.signed_in("suzuki-hanako").await;
    let (status, _, before) = scrape(&base, None).await;
    assert_eq!(status, StatusCode::OK, "loopback may read by default");
    let my = r#"kenshu_http_requests_total{method="GET",route="/my",status="200"}"#;
    let missed = r#"kenshu_http_requests_total{method="GET",route="unmatched",status="404"}"#;
    let failures = "kenshu_sign_in_failures_total";
    let keeper = r#"kenshu_worker_runs_total{worker="overview_keeper",outcome="ok"}"#;
    let housekeeping = r#"kenshu_worker_runs_total{worker="housekeeping",outcome="ok"}"#;

    for _ in 0..3 {
        assert_eq!(staff.get("/my").await.status, StatusCode::OK);
    }
    let miss = staff.get("/suzuki-hanako/notes?who=suzuki-hanako").await;
    assert_eq!(miss.status, StatusCode::NOT_FOUND);
    let mut stranger = app.browser();
    let refused = stranger.sign_in("suzuki-hanako", "not the password").await;
    assert_eq!(
        refused.status,
        StatusCode::OK,
        "the form again, with the error"
    );
    kenshu_app::keeper::run(app.serving_pool())
        .await
        .expect("keeper");
    kenshu_app::housekeeping::run(app.serving_pool(), 30)
        .await
        .expect("housekeeping");
    // A mail due for 20 minutes and not gone; and one queued three hours ago that waits for
    // office hours (or a drill's later minute): not late, it does not age the outbox.
    sqlx::query(
        "insert into mail_outbox (institution_id, to_address, subject, body, created_at, next_attempt_at)
         select id, 'suzuki-hanako@test.example.jp', '受講のお願い', '試験 様',
                now() - interval '20 minutes', now() - interval '20 minutes'
         from institutions where code = 'test'
         union all
         select id, 'suzuki-hanako@test.example.jp', '受講のお願い', '試験 様',
                now() - interval '3 hours', now() + interval '2 days'
         from institutions where code = 'test'",
    )
    .execute(app.pool())
    .await
    .expect("a waiting mail");

    let (_, _, after) = scrape(&base, None).await;
    assert_exposition_format(&after);
    assert_eq!(value(&after, my) - value(&before, my), 3.0, "{after}");
    let histogram_count = value(
        &after,
        r#"kenshu_http_request_duration_seconds_count{method="GET",route="/my",status="200"}"#,
    );
    let all_in_buckets = value(
        &after,
        r#"kenshu_http_request_duration_seconds_bucket{method="GET",route="/my",status="200",le="+Inf"}"#,
    );
    assert_eq!(histogram_count, value(&after, my));
    assert_eq!(all_in_buckets, value(&after, my));
    assert!(
        after.contains(
            r#"kenshu_http_request_duration_seconds_bucket{method="GET",route="/my",status="200",le="0.01"}"#
        ),
        "{after}"
    );
    assert!(
        value(&after, missed) - value(&before, missed) >= 1.0,
        "{after}"
    );
    assert_eq!(value(&after, failures) - value(&before, failures), 1.0);
    assert_eq!(value(&after, keeper) - value(&before, keeper), 1.0);
    assert_eq!(
        value(&after, housekeeping) - value(&before, housekeeping),
        1.0
    );
    assert!(
        value(
            &after,
            r#"kenshu_worker_last_success_timestamp_seconds{worker="overview_keeper"}"#
        ) > 1.7e9
    );
    assert_eq!(value(&after, "kenshu_mail_outbox_depth"), 2.0, "{after}");
    let age = value(&after, "kenshu_mail_outbox_oldest_age_seconds");
    assert!((1_200.0..1_800.0).contains(&age), "{age}");
    assert!(value(&after, r#"kenshu_db_pool_max_connections{pool="requests"}"#) > 0.0);
    assert!(after.contains(r#"kenshu_db_pool_waiting{pool="requests"} 0"#));
    assert_eq!(value(&after, "kenshu_db_available"), 1.0);
    for personal in [
        "suzuki",
        "hanako",
        "試験",
        "test.example.jp",
        "notes",
        "who=",
    ] {
        assert!(!after.contains(personal), "{personal} in the metrics");
    }
}

/// The digest schedule's runs, and its digests by what became of them: mailed to protection
/// officers (or whoever stands in) and chief officers, recorded without a mail address, or not
/// sent because the officer is on leave and nobody can take it; a run outside office hours or
/// of a week already done counts as a run and sends nothing.
#[tokio::test]
async fn the_digest_schedule_counts_its_runs_and_the_digests_mailed_and_skipped() {
    use kenshu_app::digest::schedule::{Sent, run};
    use kenshu_core::FiscalYear;
    use time::macros::{date, datetime};

    let _serial = SERIAL.lock().await;
    let app = TestApp::spawn().await;
    let base = app.url("");
    let fy = FiscalYear::stored(2026);
    let on_time = datetime!(2026-11-01 10:00 +9);
    kenshu_tests::Scenario::new(app.pool())
        .division("c", "C課")
        .plan(fy)
        .courses(&["clerk"])
        .course("clerk")
        .starts(fy.start())
        .deadline(date!(2026 - 11 - 20))
        .retake_until(None)
        .approved()
        .year(fy)
        .person("chief", Role::ChiefOfficer)
        .person("officer-a", Role::ProtectionOfficer)
        .person("officer-b", Role::ProtectionOfficer)
        .in_division("b")
        .without_email()
        .person("officer-c", Role::ProtectionOfficer)
        .in_division("c")
        .person("late-a", Role::Staff)
        .person("late-b", Role::Staff)
        .in_division("b")
        .person("late-c", Role::Staff)
        .in_division("c")
        .completed("chief", "clerk")
        .at(on_time)
        .completed("officer-a", "clerk")
        .at(on_time)
        .completed("officer-b", "clerk")
        .at(on_time)
        .completed("officer-c", "clerk")
        .at(on_time)
        .build()
        .await;
    // officer-c and the chief are on leave with no deputy: nobody takes officer-c's digest nor
    // the chief's own (31 days overdue on the 21st, past the threshold of 30).
    kenshu_tests::simulate::behind_the_portals_back(
        app.pool(),
        "update users set status = 'on_leave' where login_id in ('officer-c', 'chief')",
    )
    .await;
    let series = [
        r#"kenshu_worker_runs_total{worker="digest_schedule",outcome="ok"}"#,
        r#"kenshu_digests_sent_total{kind="officer"}"#,
        r#"kenshu_digests_sent_total{kind="chief"}"#,
        r#"kenshu_digests_skipped_total{reason="no_mail"}"#,
        r#"kenshu_digests_skipped_total{reason="absent"}"#,
    ];
    let (_, _, before) = scrape(&base, None).await;
    let url = "https://kenshu.example.jp";
    for at in [
        datetime!(2026-12-21 07:00 +9),
        datetime!(2026-12-21 09:00 +9),
        datetime!(2026-12-21 10:00 +9),
    ] {
        run(app.serving_pool(), at, url).await.expect("digest run");
    }
    let sent = run(app.serving_pool(), datetime!(2026-12-22 09:00 +9), url)
        .await
        .expect("digest run");
    assert_eq!(sent, Sent::default(), "the week is done");
    let (_, _, after) = scrape(&base, None).await;
    assert_exposition_format(&after);
    let delta: Vec<f64> = series
        .iter()
        .map(|s| value(&after, s) - value(&before, s))
        .collect();
    assert_eq!(
        delta,
        [4.0, 1.0, 0.0, 1.0, 2.0],
        "runs; officer-a mailed; the chief's own not sent; officer-b without an address; \
         officer-c's and the chief's not sent: {after}"
    );
    let mails: i64 = sqlx::query_scalar("select count(*) from mail_outbox")
        .fetch_one(app.pool())
        .await
        .expect("count");
    assert_eq!(mails, 1);
}

/// `KENSHU_LOG_FORMAT=json`: the serving binary writes one JSON object a line, requests by
/// their route (never the path, the query string or a cookie), 2xx/3xx at DEBUG (with the
/// request span) and 4xx at INFO; the token given by the environment lets a scraper in, the
/// allow list keeps others out.
#[tokio::test]
async fn the_log_is_json_lines_that_name_routes_and_never_paths_queries_or_cookies() {
    let db = test_db().await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = Command::new(kenshu_bin())
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .args(["--allow-superuser", "--reminder-minutes", "0"])
        .env("DATABASE_URL", db.url())
        .env("KENSHU_DATA_DIR", db.data_dir())
        .env("KENSHU_AUDIT_KEY", AUDIT_KEY_HEX)
        .env("KENSHU_LOG", "info,kenshu_web=debug")
        .env("KENSHU_LOG_FORMAT", "json")
        .env("KENSHU_METRICS_TOKEN", TOKEN)
        .env("KENSHU_METRICS_ALLOW", "10.99.0.0/16")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kenshu serve");
    let mut stderr = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    wait_ready(&base, &mut child).await;
    let client = kenshu_tests::http::browser_like()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let person = client
        .get(format!("{base}/people/sato-jiro?q=hunter2"))
        .header("cookie", "kenshu_session=deadbeefcafe")
        .send()
        .await
        .expect("GET");
    assert_eq!(person.status(), StatusCode::SEE_OTHER, "sign-in first");
    let asset = client
        .get(format!("{base}/static/sato-jiro.css?q=hunter2"))
        .send()
        .await
        .expect("GET");
    assert_eq!(asset.status(), StatusCode::NOT_FOUND);
    assert_eq!(scrape(&base, None).await.0, StatusCode::FORBIDDEN);
    let (status, _, metrics) = scrape(&base, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        metrics.contains(
            r#"kenshu_http_requests_total{method="GET",route="/static/{name}",status="404"} 1"#
        ),
        "{metrics}"
    );
    assert!(terminate(&mut child).success());
    let log = reader.join().expect("stderr read");

    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(lines.len() >= 5, "{log}");
    for l in &lines {
        assert!(l["timestamp"].is_string() && l["level"].is_string(), "{l}");
    }
    let response = |route: &str, status: u64| {
        lines
            .iter()
            .find(|l| l["message"] == "response" && l["route"] == route && l["status"] == status)
    };
    let person = response("/people/{login}", 303).expect("the redirect, at DEBUG");
    assert_eq!(person["level"], "DEBUG");
    assert_eq!(person["method"], "GET");
    assert!(person["latency_ms"].is_number(), "{person}");
    assert_eq!(person["span"]["name"], "request", "the span, on at DEBUG");
    assert_eq!(person["span"]["route"], "/people/{login}");
    let asset = response("/static/{name}", 404).expect("the miss, at INFO");
    assert_eq!(asset["level"], "INFO");
    assert!(response("/metrics", 403).is_some(), "{log}");
    for secret in ["sato", "hunter2", "deadbeef", TOKEN] {
        assert!(!log.contains(secret), "{secret} in the log: {log}");
    }
}

/// An unknown log format stops the command at once, naming the variable and the choices.
#[test]
fn an_unknown_log_format_is_refused_with_the_choices() {
    let out = Command::new(kenshu_bin())
        .args(["gen", "roster", "--staff", "1", "--divisions", "1"])
        .env("KENSHU_LOG_FORMAT", "xml")
        .output()
        .expect("run kenshu");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("KENSHU_LOG_FORMAT") && err.contains("\"json\"") && err.contains("\"text\""),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "nothing ran");
}
