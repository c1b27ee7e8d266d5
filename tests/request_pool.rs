//! The request pool (`kenshu_db::requests`) takes connections back without a ping: what that
//! must not cost. An abandoned transaction is rolled back at once (not when the connection is
//! next used, holding its locks meanwhile), the pool never opens more than its size, and
//! connections the server cut are replaced after the first failure.

use std::time::Duration;

use kenshu_db::requests::{APPLICATION_NAME, RequestPool, suspect};
use sqlx::Connection;

/// A fresh database and the application role's connection options to it.
async fn database() -> kenshu_tests::TestDb {
    let db = kenshu_tests::test_db().await;
    let role = kenshu_tests::app_role().await;
    let mut conn = db.pool.acquire().await.unwrap();
    kenshu_db::roles::grant_app(&mut conn, role).await.unwrap();
    db
}

#[tokio::test]
async fn an_abandoned_transaction_is_rolled_back_before_its_connection_waits_idle() {
    let db = database().await;
    let pool = RequestPool::new(&db.app_options(), 1);
    {
        let mut lease = pool.acquire().await.unwrap();
        let mut tx = lease.begin().await.unwrap();
        sqlx::query("select pg_advisory_xact_lock(4242)")
            .execute(&mut *tx)
            .await
            .unwrap();
        // A handler that returned early (an error, a client gone) drops both.
    }
    let mut other = db.pool.acquire().await.unwrap();
    let mut tx = other.begin().await.unwrap();
    let took = tokio::time::timeout(
        Duration::from_secs(5),
        sqlx::query("select pg_advisory_xact_lock(4242)").execute(&mut *tx),
    )
    .await;
    assert!(
        matches!(took, Ok(Ok(_))),
        "the lock of the abandoned transaction was released without another request"
    );
    tx.rollback().await.unwrap();

    let mut lease = pool.acquire().await.unwrap();
    // SAVEPOINT fails outside a transaction block: the server says none is open.
    let outside = sqlx::raw_sql("savepoint probe").execute(&mut *lease).await;
    assert!(
        outside.is_err(),
        "the connection came back outside any transaction"
    );
}

#[tokio::test]
async fn the_pool_never_opens_more_than_its_size_and_waits_for_a_free_connection() {
    let db = database().await;
    let pool = RequestPool::new(&db.app_options(), 3);
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let mut lease = pool.acquire().await.unwrap();
            sqlx::query("select pg_sleep(0.01)")
                .execute(&mut *lease)
                .await
                .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let open: i64 = sqlx::query_scalar(
        "select count(*) from pg_stat_activity where application_name = $1 and datname = current_database()",
    )
    .bind(APPLICATION_NAME)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(
        (1..=3).contains(&open),
        "{open} request connections for a pool of 3"
    );
    let held = pool.acquire().await.unwrap();
    let (a, b) = (pool.acquire().await.unwrap(), pool.acquire().await.unwrap());
    assert!(
        pool.try_acquire().await.unwrap().is_none(),
        "no fourth connection while three are out"
    );
    drop((held, a, b));
    assert!(pool.try_acquire().await.unwrap().is_some());
}

#[tokio::test]
async fn connections_the_server_cut_are_replaced_after_the_first_failure() {
    let db = database().await;
    let pool = RequestPool::new(&db.app_options(), 2);
    {
        let (mut a, mut b) = (pool.acquire().await.unwrap(), pool.acquire().await.unwrap());
        for l in [&mut a, &mut b] {
            sqlx::query("select 1").execute(&mut **l).await.unwrap();
        }
    }
    let cut: i64 = sqlx::query_scalar(
        "select count(*) from (select pg_terminate_backend(pid) from pg_stat_activity
          where application_name = $1 and datname = current_database()) t",
    )
    .bind(APPLICATION_NAME)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(cut, 2);
    // The first request on a dead connection fails (nothing can tell before it is used) …
    let mut lease = pool.acquire().await.unwrap();
    let failed = sqlx::query("select 1").execute(&mut *lease).await;
    let err = failed.expect_err("the connection was cut");
    suspect(&err);
    drop(lease);
    // … and every one after it gets a live connection.
    for _ in 0..4 {
        let mut lease = pool.acquire().await.unwrap();
        sqlx::query("select 1")
            .execute(&mut *lease)
            .await
            .expect("a live connection");
    }
}
