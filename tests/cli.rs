//! The `kenshu` binary: administration commands, content loading, the demo and the embedded
//! default database.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use kenshu_tests::process::{free_port, terminate, wait_ready};
use kenshu_tests::{empty_db, kenshu, kenshu_bin, repo_root, text};

#[tokio::test]
async fn institutions_divisions_and_users_are_added_from_the_command_line() {
    let db = empty_db().await;
    let url = db.url();
    let ok = |o: Output| {
        assert!(o.status.success(), "{}", text(&o));
        text(&o)
    };
    ok(kenshu(
        &url,
        &["institution", "add", "yokohama", "横浜市"],
        None,
    ));
    ok(kenshu(
        &url,
        &[
            "division",
            "add",
            "--institution",
            "yokohama",
            "kikaku",
            "企画部",
        ],
        None,
    ));
    ok(kenshu(
        &url,
        &[
            "division",
            "add",
            "--institution",
            "yokohama",
            "kikaku-1",
            "企画課",
            "--parent",
            "kikaku",
        ],
        None,
    ));
    let out = ok(kenshu(
        &url,
        &[
            "user",
            "add",
            "--institution",
            "yokohama",
            "--login",
            "10001",
            "--name",
            "横浜 花子",
            "--division",
            "kikaku-1",
            "--role",
            "protection_officer",
            "--password-stdin",
        ],
        Some("an initial password\n"),
    ));
    assert!(out.contains("10001"), "{out}");
    let (role, must_change, hash): (String, bool, String) = sqlx::query_as(
        "select role, must_change_password, password_hash from users where login_id = '10001'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(role, "protection_officer");
    assert!(
        must_change,
        "an initial password must be changed at first sign-in"
    );
    assert!(hash.starts_with("$argon2id$"));
    let parent: Option<String> = sqlx::query_scalar(
        "select p.code from divisions d join divisions p on p.id = d.parent_id where d.code = 'kikaku-1'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(parent.as_deref(), Some("kikaku"));
}

#[tokio::test]
async fn bad_input_exits_non_zero_with_a_one_line_message() {
    let db = empty_db().await;
    let url = db.url();
    assert!(
        kenshu(&url, &["institution", "add", "demo2", "デモ"], None)
            .status
            .success()
    );
    assert!(
        kenshu(
            &url,
            &["division", "add", "--institution", "demo2", "a", "A課"],
            None
        )
        .status
        .success()
    );
    let user = |role: &str, login: &str, password: &str, division: &str| {
        kenshu(
            &url,
            &[
                "user",
                "add",
                "--institution",
                "demo2",
                "--login",
                login,
                "--name",
                "名前",
                "--division",
                division,
                "--role",
                role,
                "--password-stdin",
            ],
            Some(password),
        )
    };
    let cases: Vec<(Output, &str)> = vec![
        (
            kenshu(&url, &["institution", "add", "Bad Code", "x"], None),
            "must be 1-32 characters",
        ),
        (
            kenshu(&url, &["institution", "add", "demo2", "again"], None),
            "already exists",
        ),
        (
            kenshu(
                &url,
                &["division", "add", "--institution", "nowhere", "a", "A"],
                None,
            ),
            "no institution with code 'nowhere'",
        ),
        (
            kenshu(
                &url,
                &[
                    "division",
                    "add",
                    "--institution",
                    "demo2",
                    "b",
                    "B",
                    "--parent",
                    "zz",
                ],
                None,
            ),
            "no division with code 'zz'",
        ),
        (
            user("admin", "u1", "long enough password", "a"),
            "unknown role 'admin'",
        ),
        (user("staff", "u1", "short", "a"), "at least 10 characters"),
        (
            user("staff", "u1", "long enough password", "zz"),
            "no division with code 'zz'",
        ),
        (
            user("staff", "山田", "long enough password", "a"),
            "may contain only",
        ),
        (
            kenshu(
                &url,
                &[
                    "division",
                    "add",
                    "--institution",
                    "demo2",
                    "c",
                    "123456789018",
                ],
                None,
            ),
            "My Number",
        ),
    ];
    for (out, expected) in cases {
        let msg = text(&out);
        assert!(!out.status.success(), "should fail: {msg}");
        assert!(msg.contains(expected), "expected «{expected}» in «{msg}»");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).trim().lines().count(),
            1,
            "one line: {msg}"
        );
    }
    assert!(
        user("staff", "u1", "long enough password", "a")
            .status
            .success()
    );
    let dup = user("staff", "u1", "long enough password", "a");
    assert!(!dup.status.success() && text(&dup).contains("already exists"));
    let users: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(users, 1);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[tokio::test]
async fn loading_unchanged_content_is_a_no_op_and_changed_content_becomes_a_new_version() {
    let db = empty_db().await;
    let url = db.url();
    let dir = std::env::temp_dir().join(format!("kenshu-content-{}", uuid::Uuid::new_v4()));
    copy_dir(&repo_root().join("content"), &dir);
    let dir_s = dir.to_string_lossy().to_string();
    let first = kenshu(&url, &["content", "load", &dir_s], None);
    assert!(first.status.success(), "{}", text(&first));
    assert!(text(&first).contains("clerk: loaded as v1"));
    let again = kenshu(&url, &["content", "load", &dir_s], None);
    assert!(
        text(&again).contains("content unchanged: nothing to do"),
        "{}",
        text(&again)
    );

    let section = dir.join("cybersecurity/sections/01-introduction.md");
    let mut s = std::fs::read_to_string(&section).unwrap();
    s.push_str("\n追記: 改訂版の注記。\n");
    std::fs::write(&section, s).unwrap();
    let changed = kenshu(&url, &["content", "load", &dir_s], None);
    let out = text(&changed);
    assert!(
        out.contains("cybersecurity: loaded as v2") && out.contains("clerk: unchanged (v1)"),
        "{out}"
    );
    let versions: i64 = sqlx::query_scalar(
        "select count(*) from content_versions where course_code = 'cybersecurity'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(versions, 2);

    // A broken package loads nothing at all, and says which file and what to fix.
    let toml = dir.join("clerk/course.toml");
    let broken = std::fs::read_to_string(&toml)
        .unwrap()
        .replace("pass_mark = 3", "pass_mark = 9");
    std::fs::write(&toml, broken).unwrap();
    std::fs::write(&section, "all new text\n").unwrap();
    let bad = kenshu(&url, &["content", "load", &dir_s], None);
    assert!(!bad.status.success());
    assert!(
        text(&bad).contains("clerk/course.toml") && text(&bad).contains("pass_mark 9"),
        "{}",
        text(&bad)
    );
    let versions: i64 = sqlx::query_scalar("select count(*) from content_versions")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(versions, 5, "nothing written by the failed load");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `kenshu demo` without DATABASE_URL: makes its own cluster, sets up デモ市, serves, and stops
/// the cluster cleanly on SIGTERM. Running it again reuses the data.
#[tokio::test]
async fn the_demo_runs_on_the_embedded_database_and_stops_it_cleanly() {
    let data = std::env::temp_dir().join(format!("kenshu-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    for round in 0..2 {
        let port = free_port();
        let mut child = Command::new(kenshu_bin())
            .args(["demo", "--bind", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(&data)
            .arg("--content")
            .arg(repo_root().join("content"))
            .env_remove("DATABASE_URL")
            .env("KENSHU_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start kenshu demo");
        let base = format!("http://127.0.0.1:{port}");
        wait_ready(&base, &mut child).await;
        assert!(
            data.join("pg/postmaster.pid").exists(),
            "the cluster runs under the data directory"
        );

        for login in ["staff01", "officer3", "chief", "admin"] {
            let mut b = kenshu_tests::Browser::new(&base);
            let res = b.sign_in(login, "kenshu-demo").await;
            assert_eq!(
                res.status, 303,
                "round {round}: demo sign-in {login}: {}",
                res.body
            );
        }
        let mut b = kenshu_tests::Browser::new(&base);
        b.sign_in("staff30", "kenshu-demo").await;
        let my = b.get("/my").await;
        assert!(
            my.body.contains("デモ市") && my.body.contains("まとめテスト"),
            "{}",
            my.body
        );
        if round == 0 {
            demo_year_looks_real(&base).await;
        }

        let status = terminate(&mut child);
        assert!(status.success(), "exit status {status}");
        let out = child
            .wait_with_output()
            .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
            .unwrap_or_default();
        if round == 0 {
            assert!(out.contains("created the demo institution"), "{out}");
        } else {
            assert!(
                !out.contains("created the demo institution"),
                "second start reuses the data: {out}"
            );
        }
        assert!(
            out.contains("staff01..staff30") && out.contains("kenshu-demo"),
            "{out}"
        );
        assert!(
            !data.join("pg/postmaster.pid").exists(),
            "PostgreSQL stopped cleanly with the portal"
        );
    }
    use std::os::unix::fs::PermissionsExt;
    let key = std::fs::metadata(data.join("audit.key")).expect("the demo made an audit key");
    assert_eq!(key.permissions().mode() & 0o777, 0o600);
    let _ = std::fs::remove_dir_all(&data);
}

#[tokio::test]
async fn the_demo_refuses_a_database_that_holds_other_institutions() {
    let db = empty_db().await;
    let url = db.url();
    assert!(
        kenshu(&url, &["institution", "add", "real-city", "本番市"], None)
            .status
            .success()
    );
    let content = repo_root().join("content");
    let out = kenshu(
        &url,
        &[
            "demo",
            "--bind",
            "127.0.0.1:0",
            "--allow-superuser",
            "--content",
            &content.to_string_lossy(),
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("other institutions (real-city)"),
        "{}",
        text(&out)
    );
    let n: i64 = sqlx::query_scalar("select count(*) from institutions")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let courses: i64 = sqlx::query_scalar("select count(*) from courses")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(courses, 0, "the refusal comes before anything is written");
}

#[tokio::test]
async fn serve_without_database_url_starts_serves_and_stops_its_own_cluster() {
    let data = std::env::temp_dir().join(format!("kenshu-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let port = free_port();
    let mut child = Command::new(kenshu_bin())
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(&data)
        .env_remove("DATABASE_URL")
        .env("KENSHU_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start kenshu serve");
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base, &mut child).await;
    assert_eq!(
        reqwest::get(format!("{base}/healthz"))
            .await
            .unwrap()
            .status(),
        200
    );
    let pid_file =
        std::fs::read_to_string(data.join("pg/postmaster.pid")).expect("cluster running");
    let pg_pid = pid_file.lines().next().unwrap().trim().to_string();
    let status = terminate(&mut child);
    assert!(status.success(), "{status}");
    assert!(!data.join("pg/postmaster.pid").exists());
    assert!(
        !Path::new(&format!("/proc/{pg_pid}")).exists(),
        "postgres process {pg_pid} is gone"
    );
    let _ = std::fs::remove_dir_all(&data);
}

/// The demo's year as an office would have it: completions spread over the months so far
/// (none after today), some in person, some after the deadline, and the leaver's completion
/// before the day they left; read from the annual report as the chief downloads it.
async fn demo_year_looks_real(base: &str) {
    let mut chief = kenshu_tests::Browser::new(base);
    chief.sign_in("chief", "kenshu-demo").await;
    // The chief's rule is there for staff to read and acknowledge.
    let mut staff = kenshu_tests::Browser::new(base);
    staff.sign_in("staff01", "kenshu-demo").await;
    let rules = staff.get("/rules").await;
    assert!(
        rules.body.contains("特定個人情報取扱規程") && rules.body.contains("未確認"),
        "{}",
        rules.body
    );
    // The plan requires it: わたしの研修 asks for it.
    let my = staff.get("/my").await;
    assert!(
        my.body.contains("id=\"pending-rules\"")
            && my.body.contains("href=\"/rules/tokutei-kitei\""),
        "{}",
        my.body
    );
    let rule = staff.get("/rules/tokutei-kitei").await;
    assert!(rule.body.contains("第1条（目的）"), "{}", rule.body);
    let csv = chief.get("/reports/annual?format=csv").await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    let rows = kenshu_tests::reports::parse_csv(csv.body.trim_start_matches('\u{feff}'));
    let col = |name: &str| {
        rows[0]
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}: {:?}", rows[0]))
    };
    let (done_on, method, left_on, retake) =
        (col("修了日"), col("受講方法"), col("退職日"), col("再受講"));
    let today = kenshu_core::japan_today().to_string();
    let fy = kenshu_core::FiscalYear::of(kenshu_core::japan_today());
    let body: Vec<&Vec<String>> = rows[1..]
        .iter()
        .filter(|r| r.len() > done_on && !r[0].starts_with('#'))
        .collect();
    let dates: Vec<&str> = body
        .iter()
        .map(|r| r[done_on].as_str())
        .filter(|d| !d.is_empty())
        .collect();
    assert!(dates.len() > 30, "{} completions", dates.len());
    assert!(
        dates
            .iter()
            .all(|d| *d < today.as_str() || *d == today.as_str()),
        "none after today: {dates:?}"
    );
    let months: std::collections::BTreeSet<&str> = dates.iter().map(|d| &d[..7]).collect();
    let elapsed = (kenshu_core::japan_today() - fy.start()).whole_days();
    if elapsed > 120 {
        assert!(
            months.len() >= 3,
            "completions spread over the year, not on one day: {months:?}"
        );
    }
    assert!(
        body.iter().any(|r| r[method] == "集合研修"),
        "some in person"
    );
    let leaver = body
        .iter()
        .find(|r| !r[left_on].is_empty())
        .expect("the leaver");
    assert!(
        leaver[done_on].is_empty() || leaver[done_on] <= leaver[left_on],
        "no completion after leaving: {leaver:?}"
    );
    if elapsed > 200 {
        assert!(
            body.iter().any(|r| r[retake].contains("期限後修了")),
            "someone finished late, after a reminder"
        );
    }
    // 設問別の正答率 has figures: the final test's passed attempts stand behind its
    // completions, each question answered by every finisher, not all of them right.
    let insights = chief.get("/insights.csv?course=final-test").await;
    assert_eq!(insights.status, 200, "{}", insights.body);
    let whole: Vec<Vec<String>> =
        kenshu_tests::reports::parse_csv(insights.body.trim_start_matches('\u{feff}'))
            .into_iter()
            .skip(1)
            .filter(|r| r.get(2).map(String::as_str) == Some("全体"))
            .collect();
    assert_eq!(
        whole.len(),
        10,
        "one whole-institution row per question: {whole:?}"
    );
    assert!(
        whole
            .iter()
            .all(|r| r[3].parse::<u32>().is_ok_and(|n| n >= 3) && r[4].ends_with('%')),
        "every question has a share: {whole:?}"
    );
    assert!(
        whole.iter().any(|r| r[4] != "100.0%"),
        "someone missed a question: {whole:?}"
    );
}
