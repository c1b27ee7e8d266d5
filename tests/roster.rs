//! `kenshu import staff`: the roster import, all or nothing, from UTF-8 or Shift_JIS files.

use std::path::PathBuf;

use kenshu_tests::{TestDb, empty_db, kenshu, text};

const HEADER: &str = "職員番号,氏名,氏名カナ,メールアドレス,所属コード,所属名,上位所属コード,雇用形態,採用日,在職状況,異動日\n";

fn file(content: &[u8]) -> PathBuf {
    let p = std::env::temp_dir().join(format!("kenshu-roster-{}.csv", uuid::Uuid::new_v4()));
    std::fs::write(&p, content).unwrap();
    p
}

async fn city() -> (TestDb, String) {
    let db = empty_db().await;
    let url = db.url();
    let out = kenshu(&url, &["institution", "add", "city", "テスト市"], None);
    assert!(out.status.success(), "{}", text(&out));
    (db, url)
}

fn import(url: &str, path: &std::path::Path, extra: &[&str]) -> (bool, String) {
    let p = path.to_string_lossy().to_string();
    let mut args = vec!["import", "staff", p.as_str(), "--institution", "city"];
    args.extend_from_slice(extra);
    let out = kenshu(url, &args, None);
    (out.status.success(), text(&out))
}

/// The summary line, which must be the last line of standard output.
fn last_line(out: &str) -> &str {
    out.lines()
        .rev()
        .find(|l| l.starts_with("new="))
        .unwrap_or("")
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

const YEAR1: &str = "1001,髙橋 一郎,タカハシ イチロウ,ichiro@city.example.jp,shimin,市民課,shiminbu,常勤,2010-04-01,在職,\n\
                     1002,佐藤 花子,サトウ ハナコ,,zeimu,税務課,soumubu,会計年度任用,2024-04-01,在職,\n\
                     1003,鈴木 健太,スズキ ケンタ,,shimin,市民課,shiminbu,常勤,2015-04-01,在職,\n\
                     9001,市民 部長,,,shiminbu,市民部,,常勤,1990-04-01,在職,\n\
                     9002,総務 部長,,,soumubu,総務部,,常勤,1990-04-01,在職,\n";

#[tokio::test]
async fn a_shift_jis_roster_from_excel_imports_people_and_the_division_tree() {
    let (db, url) = city().await;
    let source = format!("{HEADER}{YEAR1}");
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(&source);
    let path = file(&bytes);
    let (ok, out) = import(&url, &path, &["--dry-run"]);
    assert!(ok, "{out}");
    assert!(out.contains("Shift_JIS"), "{out}");
    assert!(
        out.contains("+ shimin 市民課（上位: shiminbu）")
            && out.contains("+ 1001 髙橋 一郎（shimin）"),
        "{out}"
    );
    assert!(out.contains("dry run: nothing was written"));
    assert_eq!(
        last_line(&out),
        "new=5 transfers=0 leavers=0 changed=0 errors=0"
    );
    assert_eq!(
        count(&db, "select count(*) from users").await,
        0,
        "a dry run writes nothing"
    );

    let (ok, out) = import(&url, &path, &[]);
    assert!(ok, "{out}");
    assert_eq!(
        last_line(&out),
        "new=5 transfers=0 leavers=0 changed=0 errors=0"
    );
    let (name, kind, division, parent): (String, String, String, String) = sqlx::query_as(
        "select u.name, u.employment_type, d.name, p.name from users u
         join divisions d on d.id = u.division_id join divisions p on p.id = d.parent_id where u.login_id = '1002'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        (
            name.as_str(),
            kind.as_str(),
            division.as_str(),
            parent.as_str()
        ),
        ("佐藤 花子", "会計年度任用", "税務課", "総務部")
    );
    assert_eq!(
        count(
            &db,
            "select count(*) from users where password_hash is null"
        )
        .await,
        5,
        "no password comes from a CSV"
    );
    assert_eq!(count(&db, "select count(*) from placements").await, 5);

    // The same file again changes nothing.
    let (ok, out) = import(&url, &path, &["--complete"]);
    assert!(ok && out.contains("nothing to do"), "{out}");
    assert_eq!(
        last_line(&out),
        "new=0 transfers=0 leavers=0 changed=0 errors=0"
    );
}

#[tokio::test]
async fn bad_rows_are_all_reported_and_nothing_is_written() {
    let (db, url) = city().await;
    let rows = "1001,髙橋 一郎,,,shimin,市民課,,,,,\n\
                1001,佐藤 花子,,,shimin,市民課,,,,,\n\
                1003,鈴木 健太,,,shimin,市民窓口課,,,,,\n\
                1004,田中 由美,,,zeimu,税務課,,,2024-13-01,,\n\
                1005,伊藤 翔,,123456789018@city.example.jp,zeimu,税務課,,,,,\n";
    let path = file(format!("{HEADER}{rows}").as_bytes());
    let (ok, out) = import(&url, &path, &[]);
    assert!(!ok, "errors make the command fail: {out}");
    for needle in [
        "3行目「職員番号」: 職員番号『1001』は2行目にもあります",
        "4行目「所属名」: 所属コード『shimin』の所属名が、この行では『市民窓口課』、2行目では『市民課』です",
        "5行目「採用日」: 『2024-13-01』: 13月はありません",
        "6行目「メールアドレス」: マイナンバーらしき12桁の数字",
        "職員番号の重複: 1件",
    ] {
        assert!(out.contains(needle), "missing «{needle}» in:\n{out}");
    }
    assert!(out.contains("nothing was written"));
    assert_eq!(
        last_line(&out),
        "new=1 transfers=0 leavers=0 changed=0 errors=4"
    );
    assert_eq!(count(&db, "select count(*) from users").await, 0);
    assert_eq!(count(&db, "select count(*) from divisions").await, 0);

    let missing = file("職員番号,氏名,所属名\n1,a,b\n".as_bytes());
    let (ok, out) = import(&url, &missing, &[]);
    assert!(
        !ok && out.contains("『所属コード』の列がありません"),
        "{out}"
    );
    assert_eq!(
        last_line(&out),
        "new=0 transfers=0 leavers=0 changed=0 errors=1"
    );
}

#[tokio::test]
async fn a_transfer_on_1_april_moves_the_person_and_keeps_the_history() {
    let (db, url) = city().await;
    let first = file(format!("{HEADER}{YEAR1}").as_bytes());
    assert!(import(&url, &first, &[]).0);
    let year2 = YEAR1
        .replace(
            "ichiro@city.example.jp,shimin,市民課,shiminbu",
            "ichiro@city.example.jp,zeimu,税務課,soumubu",
        )
        .replace("2010-04-01,在職,\n1002", "2010-04-01,在職,2026-04-01\n1002")
        .replace(
            "1002,佐藤 花子,サトウ ハナコ,,",
            "1002,佐藤 花子,サトウ ハナコ,hanako@city.example.jp,",
        )
        .replace(
            "1003,鈴木 健太,スズキ ケンタ,,shimin,市民課,shiminbu,常勤,2015-04-01,在職,\n",
            "",
        );
    let second = file(format!("{HEADER}{year2}").as_bytes());
    let (ok, out) = import(&url, &second, &["--complete", "--dry-run"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("→ 1001 髙橋 一郎: shimin → zeimu（令和8年4月1日付）"),
        "{out}"
    );
    assert!(out.contains("- 1003 鈴木 健太（shimin）"), "{out}");
    assert!(
        out.contains("~ 1002 メールアドレス: 「」→「hanako@city.example.jp」"),
        "{out}"
    );
    assert_eq!(
        last_line(&out),
        "new=0 transfers=1 leavers=1 changed=1 errors=0"
    );

    let (ok, out) = import(&url, &second, &["--complete", "--effective", "2026-04-01"]);
    assert!(ok, "{out}");
    let history: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "select d.code, p.valid_from::text, p.valid_to::text from placements p
         join users u on u.id = p.user_id join divisions d on d.id = p.division_id
         where u.login_id = '1001' order by p.valid_from",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(history[0].0, "shimin");
    assert_eq!(
        history[0].2.as_deref(),
        Some("2026-03-31"),
        "the old placement ends the day before"
    );
    assert_eq!(
        (
            history[1].0.as_str(),
            history[1].1.as_str(),
            history[1].2.as_deref()
        ),
        ("zeimu", "2026-04-01", None)
    );

    let (status, active, left_on): (String, bool, Option<String>) =
        sqlx::query_as("select status, active, left_on::text from users where login_id = '1003'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(
        (status.as_str(), active, left_on.as_deref()),
        ("left", false, Some("2026-03-31")),
        "a leaver is kept, disabled"
    );
    assert_eq!(
        count(&db, "select count(*) from users").await,
        5,
        "nobody is deleted"
    );
}

#[tokio::test]
async fn new_accounts_set_their_own_password_through_a_one_time_link() {
    let (db, url) = city().await;
    let roster = file(format!("{HEADER}{YEAR1}").as_bytes());
    let links = std::env::temp_dir().join(format!("kenshu-links-{}.csv", uuid::Uuid::new_v4()));
    let l = links.to_string_lossy().to_string();
    let (ok, out) = import(
        &url,
        &roster,
        &[
            "--links",
            &l,
            "--public-url",
            "https://kenshu.city.example.jp/",
        ],
    );
    assert!(ok, "{out}");
    assert!(out.contains("5 sign-in link(s) written"), "{out}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&links).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let csv = std::fs::read_to_string(&links).unwrap();
    let line = csv
        .lines()
        .find(|l| l.starts_with("1001,"))
        .expect("a link for 1001");
    let token = line.rsplit("/welcome/").next().unwrap().to_string();
    assert!(
        line.contains("https://kenshu.city.example.jp/welcome/"),
        "{line}"
    );
    assert_eq!(count(&db, "select count(*) from sign_in_links").await, 5);

    let app = kenshu_tests::TestApp::spawn_on(db).await;
    let mut b = app.browser();
    assert_eq!(
        b.sign_in("1001", "anything at all").await.status,
        200,
        "no password yet, no sign-in"
    );
    let form = b.get(&format!("/welcome/{token}")).await;
    assert!(
        form.body.contains("髙橋 一郎") && form.body.contains("パスワードの設定"),
        "{}",
        form.body
    );
    let short = b
        .post(
            &format!("/welcome/{token}"),
            &[("new", "short"), ("confirm", "short")],
        )
        .await;
    assert!(short.body.contains("10文字以上"));
    let done = b
        .post(
            &format!("/welcome/{token}"),
            &[
                ("new", "my own long secret"),
                ("confirm", "my own long secret"),
            ],
        )
        .await;
    assert_eq!(done.location.as_deref(), Some("/login?welcome=1"));
    let again = b.get(&format!("/welcome/{token}")).await;
    assert_eq!(again.status, 400, "a link works once");
    assert!(again.body.contains("使用済み"));
    let mut c = app.browser();
    assert_eq!(c.sign_in("1001", "my own long secret").await.status, 303);
    assert_eq!(
        c.get("/my").await.status,
        200,
        "the chosen password needs no further change"
    );

    // A forgotten password: the command line issues a fresh link, and the old one is void.
    let out = kenshu(
        &url,
        &["user", "link", "--institution", "city", "--login", "1002"],
        None,
    );
    assert!(
        out.status.success() && text(&out).contains("/welcome/"),
        "{}",
        text(&out)
    );
    let unknown = kenshu(
        &url,
        &["user", "link", "--institution", "city", "--login", "nobody"],
        None,
    );
    assert!(!unknown.status.success() && text(&unknown).contains("no active account"));
    let _ = std::fs::remove_file(&links);
}

#[tokio::test]
async fn designations_import_from_csv_all_or_nothing_and_again_changes_nothing() {
    let (db, url) = city().await;
    assert!(import(&url, &file(format!("{HEADER}{YEAR1}").as_bytes()), &[]).0);
    let run = |csv: &str, extra: &[&str]| {
        let path = file(csv.as_bytes());
        let p = path.to_string_lossy().to_string();
        let mut args = vec![
            "import",
            "designations",
            p.as_str(),
            "--institution",
            "city",
        ];
        args.extend_from_slice(extra);
        let out = kenshu(&url, &args, None);
        (out.status.success(), text(&out))
    };
    let bad = "職員番号,指定,開始日,終了日,備考\n1001,事務取扱担当者,2025-04-01,,\n9999,事務取扱担当者,2025-04-01,,\n";
    let (ok, out) = run(bad, &[]);
    assert!(
        !ok && out.contains("3行目「職員番号」: 職員番号「9999」の職員はポータルにいません"),
        "{out}"
    );
    assert!(out.contains("職員番号の参照先なし: 1件"), "{out}");
    assert!(
        out.trim_end().ends_with("new=1 unchanged=0 errors=1"),
        "{out}"
    );
    assert_eq!(
        count(&db, "select count(*) from designations").await,
        0,
        "nothing written"
    );

    let good = "職員番号,指定,開始日,終了日,備考\n1001,事務取扱担当者,2025-04-01,,\n1002,事務取扱担当者,2026-01-05,2026-01-31,繁忙期の応援\n1003,特定個人情報ファイル取扱者,2025-04-01,,\n";
    let (ok, out) = run(good, &["--dry-run"]);
    assert!(ok && out.contains("dry run"), "{out}");
    assert_eq!(count(&db, "select count(*) from designations").await, 0);
    let (ok, out) = run(good, &[]);
    assert!(
        ok && out.trim_end().ends_with("new=3 unchanged=0 errors=0"),
        "{out}"
    );
    let (ok, out) = run(good, &[]);
    assert!(
        ok && out.trim_end().ends_with("new=0 unchanged=3 errors=0"),
        "{out}"
    );
    assert_eq!(count(&db, "select count(*) from designations").await, 3);
}

#[tokio::test]
async fn a_file_without_the_optional_columns_keeps_what_the_portal_knows() {
    let (db, url) = city().await;
    assert!(import(&url, &file(format!("{HEADER}{YEAR1}").as_bytes()), &[]).0);
    let bare = "職員番号,氏名,所属コード,所属名\n1001,髙橋 一朗,shimin,市民課\n1002,佐藤 花子,zeimu,税務課\n";
    let (ok, out) = import(&url, &file(bare.as_bytes()), &[]);
    assert!(ok, "{out}");
    assert_eq!(
        last_line(&out),
        "new=0 transfers=0 leavers=0 changed=1 errors=0",
        "only the renamed person: {out}"
    );
    let (name, email, kana, kind): (String, Option<String>, Option<String>, String) =
        sqlx::query_as(
            "select name, email, kana, employment_type from users where login_id = '1001'",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(name, "髙橋 一朗");
    assert_eq!(email.as_deref(), Some("ichiro@city.example.jp"));
    assert_eq!(kana.as_deref(), Some("タカハシ イチロウ"));
    assert_eq!(kind, "常勤");
    let kind2: String =
        sqlx::query_scalar("select employment_type from users where login_id = '1002'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(kind2, "会計年度任用", "not reset to the default");
}
