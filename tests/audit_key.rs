//! The keyed, anchored audit log against the attack of issue 10: a database superuser who
//! switches the triggers off (`session_replication_role = replica`), edits or deletes entries
//! and re-hashes the chain. `kenshu audit verify` tells apart an altered entry, a deleted one,
//! a truncated or rewritten tail (against a checkpoint) and a wrong key, each with its own
//! exit code, and rejects a full re-hash in PL/pgSQL of the unkeyed form.

use std::process::{Command, Output};

use kenshu_core::person::Role;
use kenshu_tests::simulate::tampered_by_a_superuser;
use kenshu_tests::{AUDIT_KEY_HEX, TestApp, kenshu_bin, text, user};

/// Recomputes every entry's hash in the unkeyed SHA-256 form of before (the issue's attack),
/// optionally marking them unkeyed too.
fn rehash_unkeyed(mark_unkeyed: bool) -> String {
    format!(
        r#"do $$
        declare r record; prev bytea := decode(repeat('00', 32), 'hex'); h bytea;
        begin
            for r in select * from audit_log order by institution_id, seq loop
                h := sha256('kenshu-audit-v1'::bytea || int8send(octet_length(prev)::bigint) || prev
                     || int8send(r.seq) || int8send((extract(epoch from r.at) * 1000000)::bigint)
                     || int8send(octet_length(r.actor)::bigint) || convert_to(r.actor, 'UTF8')
                     || int8send(octet_length(r.action)::bigint) || convert_to(r.action, 'UTF8')
                     || int8send(octet_length(r.subject)::bigint) || convert_to(r.subject, 'UTF8')
                     || int8send(octet_length(r.detail)::bigint) || convert_to(r.detail, 'UTF8'));
                update audit_log set prev_hash = prev, hash = h{}
                where institution_id = r.institution_id and seq = r.seq;
                prev := h;
            end loop;
        end $$"#,
        if mark_unkeyed { ", scheme = 1" } else { "" }
    )
}

/// `kenshu audit ARGS` against the app's database, with `key` as KENSHU_AUDIT_KEY.
fn audit(app: &TestApp, key: &str, args: &[&str]) -> Output {
    Command::new(kenshu_bin())
        .arg("audit")
        .args(args)
        .env("DATABASE_URL", app.db.url())
        .env("KENSHU_DATA_DIR", app.db.data_dir())
        .env("KENSHU_AUDIT_KEY", key)
        .env("KENSHU_LOG", "warn")
        .output()
        .unwrap()
}

fn verify(app: &TestApp) -> (Option<i32>, String) {
    let o = audit(app, AUDIT_KEY_HEX, &["verify", "--institution", "test"]);
    (o.status.code(), text(&o))
}

async fn app_with_entries(n: usize) -> TestApp {
    let app = TestApp::spawn().await;
    user(app.pool(), "chief", Role::ChiefOfficer).await;
    for _ in 0..n {
        app.signed_in("chief").await;
    }
    app
}

#[tokio::test]
async fn verify_tells_an_altered_a_deleted_a_truncated_entry_and_a_wrong_key_apart() {
    let app = app_with_entries(4).await;
    let mut chief = app.signed_in("chief").await;
    let cp = audit(
        &app,
        AUDIT_KEY_HEX,
        &["checkpoint", "--institution", "test"],
    );
    assert!(cp.status.success(), "{}", text(&cp));
    assert!(
        text(&cp).contains("institution=test seq=5 hash="),
        "{}",
        text(&cp)
    );
    let (code, out) = verify(&app);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("5 entries, chain intact (5 keyed") && out.contains("1 checkpoint(s) checked"),
        "{out}"
    );
    assert!(out.contains("監査ログ 最終記録 No.5 ハッシュ "), "{out}");

    let other_key = "00".repeat(32);
    let wrong = audit(&app, &other_key, &["verify", "--institution", "test"]);
    assert_eq!(wrong.status.code(), Some(6), "{}", text(&wrong));
    assert!(text(&wrong).contains("wrong key"), "{}", text(&wrong));

    tampered_by_a_superuser(
        app.pool(),
        "update audit_log set actor = 'someone-else' where seq = 2",
    )
    .await;
    let (code, out) = verify(&app);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("entry 2 was altered"), "{out}");
    tampered_by_a_superuser(
        app.pool(),
        "update audit_log set actor = 'chief' where seq = 2",
    )
    .await;
    assert_eq!(verify(&app).0, Some(0));

    // The tail cut off: the chain alone cannot see it, the checkpoint can.
    tampered_by_a_superuser(app.pool(), "delete from audit_log where seq = 5").await;
    let (code, out) = verify(&app);
    assert_eq!(code, Some(5), "{out}");
    assert!(
        out.contains("the log ends at entry 4 but a checkpoint recorded entry 5"),
        "{out}"
    );
    let page = chief.get("/audit?verify=1").await;
    assert!(
        page.body
            .contains("チェックポイントには第5項まであります（末尾が削除されています）"),
        "{}",
        page.body
    );
    // …and grown again: the numbers continue, the hash at the checkpoint differs.
    app.signed_in("chief").await;
    let (code, out) = verify(&app);
    assert_eq!(code, Some(5), "{out}");
    assert!(
        out.contains("entry 5 is not the one the checkpoint recorded"),
        "{out}"
    );

    tampered_by_a_superuser(app.pool(), "delete from audit_log where seq = 3").await;
    let (code, out) = verify(&app);
    assert_eq!(code, Some(4), "{out}");
    assert!(out.contains("entry 3 is missing: deleted"), "{out}");
}

#[tokio::test]
async fn a_full_unkeyed_re_hash_in_plpgsql_is_rejected() {
    let app = app_with_entries(3).await;
    tampered_by_a_superuser(
        app.pool(),
        "update audit_log set actor = 'someone-else' where seq = 2",
    )
    .await;
    tampered_by_a_superuser(app.pool(), &rehash_unkeyed(false)).await;
    let (code, out) = verify(&app);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("entry 1 was re-hashed without the key"),
        "{out}"
    );
    let mut chief = app.signed_in("chief").await;
    let page = chief.get("/audit?verify=1").await;
    assert!(
        page.body.contains("改ざんが見つかりました")
            && page.body.contains("鍵なしで計算し直されています"),
        "{}",
        page.body
    );

    // Marked as entries from before keying, with nothing keyed after them to vouch for them.
    let app = app_with_entries(3).await;
    let cp = audit(&app, AUDIT_KEY_HEX, &["checkpoint"]);
    assert!(cp.status.success(), "{}", text(&cp));
    tampered_by_a_superuser(
        app.pool(),
        "update audit_log set actor = 'someone-else' where seq = 2",
    )
    .await;
    tampered_by_a_superuser(app.pool(), &rehash_unkeyed(true)).await;
    let checkpoints = app.db.data_dir().join("audit-checkpoints/test.log");
    let moved = app.db.data_dir().join("elsewhere.log");
    std::fs::rename(&checkpoints, &moved).unwrap();
    let (code, out) = verify(&app);
    assert_eq!(code, Some(7), "{out}");
    assert!(
        out.contains(
            "entries 1 to 3 are unkeyed and neither a keyed entry nor a checkpoint vouches for them"
        ),
        "{out}"
    );
    let o = audit(
        &app,
        AUDIT_KEY_HEX,
        &[
            "verify",
            "--institution",
            "test",
            "--checkpoint",
            &moved.to_string_lossy(),
        ],
    );
    assert_eq!(o.status.code(), Some(5), "{}", text(&o));
    assert!(
        text(&o).contains("entry 3 is not the one the checkpoint recorded"),
        "{}",
        text(&o)
    );
}

#[tokio::test]
async fn a_line_from_the_annual_report_serves_as_a_checkpoint() {
    let app = app_with_entries(2).await;
    let (seq, hash): (i64, Vec<u8>) =
        sqlx::query_as("select seq, hash from audit_log order by seq desc limit 1")
            .fetch_one(app.pool())
            .await
            .unwrap();
    let printed = kenshu_core::i18n::JA.audit_head(Some(&kenshu_core::audit::Head { seq, hash }));
    let file = app.db.data_dir().join("from-the-report.txt");
    std::fs::create_dir_all(app.db.data_dir()).unwrap();
    std::fs::write(&file, format!("{printed}\n")).unwrap();
    let args = [
        "verify",
        "--institution",
        "test",
        "--checkpoint",
        &file.to_string_lossy(),
    ];
    let ok = audit(&app, AUDIT_KEY_HEX, &args);
    assert!(
        text(&ok).contains("1 checkpoint(s) checked"),
        "{}",
        text(&ok)
    );
    tampered_by_a_superuser(app.pool(), "delete from audit_log where seq = 2").await;
    assert_eq!(audit(&app, AUDIT_KEY_HEX, &args).status.code(), Some(5));
}
