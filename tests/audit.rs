//! The audit log (監査ログ): what is recorded, who may read it, that nobody changes it, and
//! that `kenshu audit verify` and the page name an altered and a deleted entry.

use kenshu_core::person::Role;
use kenshu_tests::simulate::tampered_by_a_superuser;
use kenshu_tests::{TestApp, kenshu, text, user};

#[tokio::test]
async fn sign_ins_views_and_changes_are_logged_and_only_the_chief_and_audit_officers_read_them() {
    let app = TestApp::spawn().await;
    user(app.pool(), "chief", Role::ChiefOfficer).await;
    user(app.pool(), "auditor", Role::AuditOfficer).await;
    user(app.pool(), "officer-a", Role::ProtectionOfficer).await;
    user(app.pool(), "late-a", Role::Staff).await;

    let mut intruder = app.browser();
    let failed = intruder.sign_in("late-a", "wrong password").await;
    assert_eq!(failed.status, 200);
    let mut o = app.signed_in("officer-a").await;
    assert_eq!(o.get("/people/late-a").await.status, 200);
    let today = kenshu_core::japan_today().to_string();
    o.get("/designations").await;
    let added = o
        .post(
            "/designations",
            &[("login", "late-a"), ("kind", "clerk"), ("from", &today)],
        )
        .await;
    assert_eq!(added.status, 303);

    let mut a = app.signed_in("auditor").await;
    let page = a.get("/audit").await;
    assert_eq!(page.status, 200);
    for expected in [
        "<td>サインイン失敗</td>",
        "<td>他の職員の記録の閲覧</td>",
        "<td>指定の追加</td>",
        "<td>officer-a</td>",
        // Details in words, not as stored ("failures in a row: 1", "clerk 2026-…〜").
        "<td>連続1回目の失敗</td>",
    ] {
        assert!(page.body.contains(expected), "{expected}: {}", page.body);
    }
    let day = kenshu_core::i18n::JA.date(kenshu_core::japan_today());
    assert!(
        page.body
            .contains(&format!("<td>事務取扱担当者 {day}〜</td>")),
        "{}",
        page.body
    );
    assert!(!page.body.contains("failures in a row"), "{}", page.body);
    let views = a.get("/audit?action=person_viewed").await;
    assert_eq!(
        views.body.matches("<td>他の職員の記録の閲覧</td>").count(),
        1
    );
    assert!(views.body.contains("<td>late-a</td>"));
    assert!(!views.body.contains("<td>サインイン失敗</td>"));
    let by_actor = a.get("/audit?actor=late-a").await;
    assert!(
        by_actor.body.contains("<td>サインイン失敗</td>")
            && !by_actor.body.contains("<td>指定の追加</td>"),
        "{}",
        by_actor.body
    );
    let bad_date = a.get("/audit?from=yesterday").await;
    assert_eq!(bad_date.status, 400);
    assert!(bad_date.body.contains("開始日"));

    let mut c = app.signed_in("chief").await;
    assert_eq!(c.get("/audit").await.status, 200);
    for login in ["officer-a", "late-a"] {
        let mut b = app.signed_in(login).await;
        let denied = b.get("/audit").await;
        assert_eq!(denied.status, 403, "{login}");
        assert!(!denied.body.contains("<td>"));
    }
}

#[tokio::test]
async fn the_log_refuses_changes_and_verify_names_an_altered_then_a_deleted_entry() {
    let app = TestApp::spawn().await;
    user(app.pool(), "chief", Role::ChiefOfficer).await;
    for _ in 0..3 {
        app.signed_in("chief").await;
    }
    let url = app.db.url();
    let ok = kenshu(&url, &["audit", "verify", "--institution", "test"], None);
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(
        text(&ok).contains("3 entries, chain intact"),
        "{}",
        text(&ok)
    );

    for sql in [
        "update audit_log set detail = 'x' where seq = 2",
        "delete from audit_log where seq = 2",
        "truncate audit_log",
    ] {
        let refused = sqlx::query(sql).execute(app.pool()).await;
        let message = refused.expect_err(sql).to_string();
        assert!(message.contains("append-only"), "{sql}: {message}");
    }

    tampered_by_a_superuser(
        app.pool(),
        "update audit_log set actor = 'someone-else' where seq = 2",
    )
    .await;
    let altered = kenshu(&url, &["audit", "verify", "--institution", "test"], None);
    assert!(!altered.status.success());
    assert!(
        text(&altered).contains("entry 2 was altered"),
        "{}",
        text(&altered)
    );
    let mut c = app.signed_in("chief").await;
    let page = c.get("/audit?verify=1").await;
    assert!(
        page.body.contains("改ざんが見つかりました")
            && page.body.contains("第2項が改ざんされています"),
        "{}",
        page.body
    );

    tampered_by_a_superuser(
        app.pool(),
        "update audit_log set actor = 'chief' where seq = 2",
    )
    .await;
    tampered_by_a_superuser(app.pool(), "delete from audit_log where seq = 3").await;
    let deleted = kenshu(&url, &["audit", "verify", "--institution", "test"], None);
    assert!(!deleted.status.success());
    assert!(
        text(&deleted).contains("entry 3 is missing: deleted"),
        "{}",
        text(&deleted)
    );
    let page = c.get("/audit?verify=1").await;
    assert!(
        page.body.contains("第3項から第3項までが削除されています"),
        "{}",
        page.body
    );
}

/// An entry is appended in the transaction that makes the change it records (its lock on the
/// institution's log lasts until that transaction ends): a connection outside one is refused
/// before anything is written, and one inside one appends.
#[tokio::test]
async fn an_entry_is_appended_only_inside_a_transaction() {
    use kenshu_core::audit::AuditAction;
    use kenshu_db::audit::NewEntry;
    use sqlx::Connection;

    let app = TestApp::spawn().await;
    let (inst, _, _) = kenshu_tests::institution(app.pool()).await;
    let key = kenshu_tests::audit_key();
    let entry = NewEntry {
        actor_id: None,
        actor: "cli:test",
        action: AuditAction::PlanChanged,
        subject: "2026",
        detail: "details",
    };
    let count = async |conn: &mut sqlx::PgConnection| -> i64 {
        sqlx::query_scalar("select count(*) from audit_log where institution_id = $1")
            .bind(inst)
            .fetch_one(conn)
            .await
            .unwrap()
    };
    let mut conn = app.pool().acquire().await.unwrap();
    let before = count(&mut *conn).await;
    let outside = kenshu_db::audit::append(&mut conn, &key, inst, &entry).await;
    assert!(
        matches!(outside, Err(sqlx::Error::InvalidArgument(_))),
        "{outside:?}"
    );
    assert!(!Connection::is_in_transaction(&*conn));
    assert_eq!(count(&mut *conn).await, before, "nothing written");

    let mut tx = Connection::begin(&mut *conn).await.unwrap();
    kenshu_db::audit::append(&mut tx, &key, inst, &entry)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(count(&mut *conn).await, before + 1);
}
