//! The database layer on its own: content versions, sessions, progress rules.

use kenshu_core::FiscalYear;
use kenshu_core::content::parse_package;
use kenshu_core::person::Role;
use kenshu_db::content::LoadOutcome;
use kenshu_db::learning::{self, Learner};
use kenshu_tests::{Scenario, simulate, test_db};
use time::{Duration, OffsetDateTime};

#[tokio::test]
async fn a_package_loads_once_per_change_and_the_cache_serves_each_version() {
    let db = test_db().await;
    let mut conn = db.pool.acquire().await.unwrap();
    let toml = |title: &str| {
        format!(
            "code = \"mini\"\ntitle = \"{title}\"\ntitle_en = \"Mini\"\ndescription = \"d\"\nposition = 9\n\
             [[sections]]\nslug = \"a\"\ntitle = \"A\"\nfile = \"a.md\"\n"
        )
    };
    let read = |_: &str| Ok("本文".to_string());
    let v1 = parse_package("mini", &toml("小研修"), read).unwrap();
    let first = kenshu_db::content::load(&mut conn, &v1).await.unwrap();
    assert!(matches!(first, LoadOutcome::NewVersion { version: 1, .. }));
    assert_eq!(
        kenshu_db::content::load(&mut conn, &v1).await.unwrap(),
        LoadOutcome::Unchanged { version: 1 }
    );
    let v2 = parse_package("mini", &toml("小研修（改訂）"), read).unwrap();
    let LoadOutcome::NewVersion { version: 2, id } =
        kenshu_db::content::load(&mut conn, &v2).await.unwrap()
    else {
        panic!("a changed package is a new version");
    };
    assert_eq!(
        kenshu_db::content::current_version(&mut conn, "mini")
            .await
            .unwrap(),
        Some(id)
    );
    let catalog = kenshu_db::content::Catalog::new();
    let LoadOutcome::NewVersion { id: first_id, .. } = first else {
        unreachable!()
    };
    assert_eq!(
        catalog.package(&mut conn, first_id).await.unwrap().title,
        "小研修"
    );
    assert_eq!(
        catalog.package(&mut conn, id).await.unwrap().title,
        "小研修（改訂）"
    );
}

#[tokio::test]
async fn an_expired_session_signs_nobody_in_and_is_purged() {
    let db = test_db().await;
    let s = Scenario::new(&db.pool)
        .person("staff1", Role::Staff)
        .build()
        .await;
    let (inst, uid) = (s.institution(), s.id("staff1"));
    let mut conn = db.pool.acquire().await.unwrap();
    let now = OffsetDateTime::now_utc();
    kenshu_db::session::create(
        &mut conn,
        &kenshu_db::session::NewSession {
            token_hash: b"live",
            institution_id: inst,
            user_id: uid,
            csrf_token: "t1",
            expires_at: now + Duration::hours(1),
            sign_out_url: None,
        },
    )
    .await
    .unwrap();
    kenshu_db::session::create(
        &mut conn,
        &kenshu_db::session::NewSession {
            token_hash: b"old",
            institution_id: inst,
            user_id: uid,
            csrf_token: "t2",
            expires_at: now - Duration::minutes(1),
            sign_out_url: None,
        },
    )
    .await
    .unwrap();
    kenshu_db::session::create(
        &mut conn,
        &kenshu_db::session::NewSession {
            token_hash: b"idle",
            institution_id: inst,
            user_id: uid,
            csrf_token: "t3",
            expires_at: now + Duration::hours(1),
            sign_out_url: None,
        },
    )
    .await
    .unwrap();
    simulate::sessions_idle_for(&db.pool, 31, Some(b"idle")).await;
    assert!(
        kenshu_db::session::load(&mut conn, b"idle", 30)
            .await
            .unwrap()
            .is_none(),
        "a session idle for 31 minutes has ended under a 30-minute idle timeout"
    );
    assert!(
        kenshu_db::session::load(&mut conn, b"idle", 60)
            .await
            .unwrap()
            .is_some(),
        "the idle timeout is a setting"
    );
    let live = kenshu_db::session::load(&mut conn, b"live", 30)
        .await
        .unwrap()
        .expect("live session");
    assert_eq!(
        (
            live.login_id.as_str(),
            live.role.as_str(),
            live.division_name.as_str()
        ),
        ("staff1", "staff", "A課")
    );
    assert!(
        kenshu_db::session::load(&mut conn, b"old", 30)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        kenshu_db::session::purge_expired(&mut conn, 30)
            .await
            .unwrap(),
        2,
        "the expired and the idle session are purged"
    );
}

#[tokio::test]
async fn progress_belongs_to_a_fiscal_year_and_completion_needs_every_section() {
    let db = test_db().await;
    let s = Scenario::new(&db.pool)
        .person("staff1", Role::Staff)
        .build()
        .await;
    let (inst, uid) = (s.institution(), s.id("staff1"));
    let mut conn = db.pool.acquire().await.unwrap();
    let this_year = Learner {
        institution_id: inst,
        user_id: uid,
        fiscal_year: FiscalYear::stored(2025),
    };
    let next_year = Learner {
        fiscal_year: FiscalYear::stored(2026),
        ..this_year
    };
    let version = kenshu_db::content::current_version(&mut conn, "protection-officer")
        .await
        .unwrap()
        .unwrap();
    let catalog = kenshu_db::content::Catalog::new();
    let package = catalog.package(&mut conn, version).await.unwrap();
    assert_eq!(package.sections.len(), 2);

    learning::mark_read(
        &mut conn,
        this_year,
        "protection-officer",
        &package.sections[0].slug,
        version,
    )
    .await
    .unwrap();
    assert!(
        !learning::settle_course(&mut conn, this_year, &package, version)
            .await
            .unwrap()
    );
    learning::mark_read(
        &mut conn,
        this_year,
        "protection-officer",
        &package.sections[1].slug,
        version,
    )
    .await
    .unwrap();
    assert!(
        learning::settle_course(&mut conn, this_year, &package, version)
            .await
            .unwrap()
    );
    assert!(
        !learning::settle_course(&mut conn, this_year, &package, version)
            .await
            .unwrap(),
        "completes once"
    );

    let now = learning::summaries(&mut conn, this_year, &["protection-officer"])
        .await
        .unwrap();
    assert!(now[0].completion.is_some());
    let later = learning::summaries(&mut conn, next_year, &["protection-officer"])
        .await
        .unwrap();
    assert!(
        later[0].completion.is_none(),
        "the next fiscal year starts afresh"
    );
    assert_eq!(later[0].sections_read, 0);
}
