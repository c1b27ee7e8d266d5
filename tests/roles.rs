//! Least privilege in the database: the portal serves as a role that can neither switch the
//! audit log's protection off nor change it, `kenshu serve` refuses a superuser, an external
//! database is migrated by its owner, and an embedded data directory from before the roles is
//! handed to the owner role and keeps its (unkeyed) audit log verifiable.

use std::process::{Command, Stdio};

use kenshu_core::person::Role;
use kenshu_tests::process::{free_port, terminate, wait_ready};
use kenshu_tests::{TestApp, empty_db, kenshu_bin, text, user};

async fn refused(conn: &mut sqlx::PgConnection, sql: &str) -> String {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut *conn)
        .await
        .expect_err(sql)
        .to_string()
}

#[tokio::test]
async fn the_app_role_cannot_switch_off_or_change_the_audit_log_and_the_portal_works() {
    let app = TestApp::spawn().await;
    user(app.pool(), "chief", Role::ChiefOfficer).await;
    let mut chief = app.signed_in("chief").await;
    assert!(chief.get("/my").await.body.contains("テスト市"));
    let page = chief.get("/audit?verify=1").await;
    assert!(
        page.body.contains("改ざんは見つかりませんでした（1件）"),
        "{}",
        page.body
    );

    let mut conn = app.serving_pool().acquire().await.unwrap();
    let me: String = sqlx::query_scalar("select current_user::text")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(
        me,
        kenshu_tests::APP_ROLE,
        "the portal serves as the app role"
    );
    for (sql, why) in [
        (
            "set session_replication_role = replica",
            "permission denied",
        ),
        ("alter table audit_log disable trigger all", "must be owner"),
        (
            "alter table audit_log disable trigger audit_log_no_change",
            "must be owner",
        ),
        (
            "create or replace function audit_log_append_only() returns trigger language plpgsql as $$ begin return new; end $$",
            "permission denied",
        ),
        ("update audit_log set detail = 'x'", "permission denied"),
        ("delete from audit_log", "permission denied"),
        ("truncate audit_log", "permission denied"),
        ("drop table audit_log", "must be owner"),
        ("create table mine (x int)", "permission denied"),
        (
            "select kenshu_grant_app('kenshu_test_app')",
            "permission denied",
        ),
    ] {
        let message = refused(&mut conn, sql).await;
        assert!(message.contains(why), "{sql}: {message}");
    }
    assert_eq!(
        kenshu_db::roles::serving_problem(&mut conn).await.unwrap(),
        None
    );
    drop(conn);
    let mut su = app.pool().acquire().await.unwrap();
    let problem = kenshu_db::roles::serving_problem(&mut su).await.unwrap();
    assert!(
        problem.as_deref().unwrap_or("").contains("is a superuser"),
        "{problem:?}"
    );
    drop(su);

    // Still everything a person does is recorded through the app role.
    assert_eq!(chief.get("/people/chief").await.status, 200);
    let n: i64 = sqlx::query_scalar("select count(*) from audit_log")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert!(n >= 1);
}

#[tokio::test]
async fn serve_refuses_a_superuser_unless_allowed_and_then_warns() {
    let app = TestApp::spawn().await;
    let url = app.db.url();
    let mut refused = Command::new(kenshu_bin())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", &url)
        .env("KENSHU_DATA_DIR", app.db.data_dir())
        .env("KENSHU_AUDIT_KEY", kenshu_tests::AUDIT_KEY_HEX)
        .env("KENSHU_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kenshu serve");
    let started = std::time::Instant::now();
    while refused.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(30) {
            terminate(&mut refused);
            panic!("kenshu serve started as a superuser instead of refusing");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let out = refused.wait_with_output().unwrap();
    assert!(!out.status.success());
    let message = text(&out);
    assert!(
        message.contains("refusing to serve: role 'postgres' is a superuser")
            && message.contains("KENSHU_MIGRATE_URL")
            && message.contains("--allow-superuser")
            && message.trim().lines().count() == 1,
        "{message}"
    );

    let port = free_port();
    let mut child = Command::new(kenshu_bin())
        .args(["serve", "--allow-superuser", "--bind"])
        .arg(format!("127.0.0.1:{port}"))
        .env("DATABASE_URL", &url)
        .env("KENSHU_DATA_DIR", app.db.data_dir())
        .env("KENSHU_AUDIT_KEY", kenshu_tests::AUDIT_KEY_HEX)
        .env("KENSHU_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kenshu serve");
    wait_ready(&format!("http://127.0.0.1:{port}"), &mut child).await;
    assert!(terminate(&mut child).success());
    let log = String::from_utf8_lossy(&child.wait_with_output().unwrap().stderr).to_string();
    assert!(
        log.contains("SERVING WITH --allow-superuser") && log.contains("is a superuser"),
        "{log}"
    );
}

#[tokio::test]
async fn an_external_database_is_migrated_by_its_owner_and_served_as_the_app_role() {
    let db = empty_db().await;
    let owner_url = db.url();
    let app_url = owner_url.replacen("postgres@", &format!("{}@", kenshu_tests::APP_ROLE), 1);
    kenshu_tests::app_role().await;

    let run = |args: &[&str], migrate_url: Option<&str>| {
        let mut cmd = Command::new(kenshu_bin());
        cmd.args(args)
            .env("DATABASE_URL", &app_url)
            .env("KENSHU_DATA_DIR", db.data_dir())
            .env("KENSHU_AUDIT_KEY", kenshu_tests::AUDIT_KEY_HEX)
            .env("KENSHU_LOG", "warn")
            .stdin(Stdio::null());
        if let Some(m) = migrate_url {
            cmd.env("KENSHU_MIGRATE_URL", m);
        }
        cmd
    };
    let out = run(&["migrate"], None).output().unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out).contains("lacks migrations 0001") && text(&out).contains("KENSHU_MIGRATE_URL"),
        "{}",
        text(&out)
    );

    let port = free_port();
    let mut child = run(
        &["serve", "--bind", &format!("127.0.0.1:{port}")],
        Some(&owner_url),
    )
    .stdout(Stdio::null())
    .stderr(Stdio::inherit())
    .spawn()
    .unwrap();
    wait_ready(&format!("http://127.0.0.1:{port}"), &mut child).await;
    assert!(terminate(&mut child).success());

    // Now up to date: the app role alone works (and still may not migrate).
    let out = run(&["institution", "add", "city", "市"], None)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let grants: Vec<String> = sqlx::query_scalar(
        "select privilege_type::text from information_schema.role_table_grants
         where grantee = $1 and table_name = 'audit_log' order by 1",
    )
    .bind(kenshu_tests::APP_ROLE)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(grants, ["INSERT", "SELECT"]);
}

/// The first 22 migrations, as a data directory made before the roles has them.
async fn old_migrations(pool: &sqlx::PgPool) {
    let dir = std::env::temp_dir().join(format!("kenshu-old-mig-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    for e in std::fs::read_dir(kenshu_tests::repo_root().join("migrations")).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().to_string();
        if name.as_str() < "0023" {
            std::fs::copy(e.path(), dir.join(&name)).unwrap();
        }
    }
    let m = sqlx::migrate::Migrator::new(dir.clone()).await.unwrap();
    m.run(pool).await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_embedded_data_directory_from_before_the_roles_is_handed_over_and_keeps_its_log() {
    use kenshu_core::audit::{GENESIS, entry_hash};
    let data = std::env::temp_dir().join(format!("kenshu-old-var-{}", uuid::Uuid::new_v4()));
    let mut cluster = kenshu_db::embedded::EmbeddedCluster::start(&data).unwrap();
    let admin = kenshu_db::connect(cluster.connect_options("postgres"), 1)
        .await
        .unwrap();
    sqlx::query("create database kenshu")
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    // As the portal did before: everything made and owned by `postgres`, an unkeyed log.
    let old = kenshu_db::connect(cluster.connect_options("kenshu"), 2)
        .await
        .unwrap();
    old_migrations(&old).await;
    let mut conn = old.acquire().await.unwrap();
    let inst = kenshu_db::institution::create(&mut conn, "old", "旧市")
        .await
        .unwrap();
    let mut prev = GENESIS.to_vec();
    for seq in 1..=2i64 {
        let at = seq * 1_000_000;
        let hash = entry_hash(&prev, seq, at, "cli:root", "content_loaded", "", "");
        sqlx::query(
            "insert into audit_log (institution_id, seq, at, actor, action, prev_hash, hash)
             values ($1, $2, to_timestamp($3::float8 / 1e6), 'cli:root', 'content_loaded', $4, $5)",
        )
        .bind(inst)
        .bind(seq)
        .bind(at)
        .bind(&prev)
        .bind(hash.as_slice())
        .execute(&mut *conn)
        .await
        .unwrap();
        prev = hash.to_vec();
    }
    drop(conn);

    let cli = |args: &[&str]| {
        Command::new(kenshu_bin())
            .args(args)
            .arg("--data-dir")
            .arg(&data)
            .env_remove("DATABASE_URL")
            .env("KENSHU_LOG", "warn")
            .output()
            .unwrap()
    };
    let no_key = cli(&["audit", "verify", "--institution", "old"]);
    assert_eq!(no_key.status.code(), Some(6), "{}", text(&no_key));
    assert!(text(&no_key).contains("no audit key"), "{}", text(&no_key));
    let out = cli(&["institution", "add", "second", "第二市"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = cli(&[
        "content",
        "load",
        &kenshu_tests::repo_root().join("content").to_string_lossy(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let verified = cli(&["audit", "verify", "--institution", "old"]);
    assert!(verified.status.success(), "{}", text(&verified));
    assert!(
        text(&verified).contains("3 entries, chain intact (1 keyed"),
        "the old unkeyed entries are vouched for by the keyed one after them: {}",
        text(&verified)
    );

    let owners: Vec<String> = sqlx::query_scalar(
        "select distinct pg_get_userbyid(relowner)::text from pg_class c
         join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'public' and c.relkind in ('r', 'S', 'v')",
    )
    .fetch_all(&old)
    .await
    .unwrap();
    assert_eq!(owners, ["kenshu_owner"]);
    old.close().await;
    cluster.stop();
    let _ = std::fs::remove_dir_all(&data);
}
