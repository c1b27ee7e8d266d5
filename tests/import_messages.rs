//! The problems of a roster or designation file in the reader's language: a clerk whose browser
//! asks for English reads each one in English, on its line and in its column as the file names
//! it; a Japanese clerk, and the command line, read the same Japanese as before.

use kenshu_core::i18n::{EN, JA};
use kenshu_core::person::Role;
use kenshu_tests::{Browser, TestApp, empty_db, kenshu, text, user};

/// A date that does not exist on line 2, and employee number 5002 twice (lines 3 and 4).
const BAD: &str = "職員番号,氏名,所属コード,所属名,採用日\n\
                   5001,新人 一郎,a,A課,2025/2/30\n\
                   5002,新人 花子,a,A課,2025-04-01\n\
                   5002,二重 登録,a,A課,2025-04-01\n";

/// Uploads `csv` for a dry run, the browser asking for `language` (None: as it always does,
/// Japanese first), and returns the page's text with HTML's quotation marks unescaped.
async fn upload(b: &mut Browser, csv: &str, language: Option<&str>) -> String {
    let part = reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("roster.csv");
    let form = reqwest::multipart::Form::new().part("file", part);
    let token = b.csrf.clone().unwrap_or_default();
    let mut request = b
        .client
        .post(format!("{}/roster/preview?csrf={token}", b.base))
        .multipart(form);
    if let Some(language) = language {
        request = request.header("accept-language", language);
    }
    let res = request.send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    res.text()
        .await
        .unwrap()
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}

#[tokio::test]
async fn an_english_speaking_clerk_reads_the_rosters_errors_in_english_and_a_japanese_one_in_japanese()
 {
    let app = TestApp::spawn().await;
    user(app.pool(), "chief", Role::ChiefOfficer).await;
    let mut b = app.signed_in("chief").await;

    let en = upload(&mut b, BAD, Some("en-US,en;q=0.9")).await;
    assert!(en.contains("<html lang=\"en\">"), "{en}");
    for said in [
        "line 2, column \"採用日\": \"2025/2/30\": month 2 has no day 30 (it has 28 days this year). Check the date.",
        "line 4, column \"職員番号\": \"5002\" (職員番号) is on line 3 too. Put each person on one line only.",
        "format in 採用日: 1",
        "duplicates in 職員番号: 1",
        EN.roster_has_errors,
    ] {
        assert!(en.contains(said), "missing «{said}»: {en}");
    }
    assert!(
        !en.contains("行目") && !en.contains("ありません") && !en.contains("の形式"),
        "Japanese wording on the English page: {en}"
    );

    let ja = upload(&mut b, BAD, None).await;
    assert!(ja.contains("<html lang=\"ja\">"), "{ja}");
    for said in [
        "2行目「採用日」: 『2025/2/30』: 2月30日はありません（この年の2月は28日まで）。日付を確かめてください",
        "4行目「職員番号」: 職員番号『5002』は3行目にもあります。1人1行にしてください",
        "採用日の形式: 1",
        "職員番号の重複: 1",
        JA.roster_has_errors,
    ] {
        assert!(ja.contains(said), "missing «{said}»: {ja}");
    }
    assert!(!ja.contains("line 2"), "{ja}");
}

#[tokio::test]
async fn a_roster_with_an_english_header_names_its_columns_as_the_file_does_in_either_language() {
    let app = TestApp::spawn().await;
    user(app.pool(), "admin", Role::PortalAdmin).await;
    let mut b = app.signed_in("admin").await;
    let csv = "employee_number,name,division_code,division_name\n7001,,a,A課\n";
    let en = upload(&mut b, csv, Some("en")).await;
    assert!(
        en.contains("line 2, column \"name\": The cell is empty. Fill in \"name\" for everyone."),
        "{en}"
    );
    assert!(
        en.contains("employee_number → employee number"),
        "the columns used: {en}"
    );
    let ja = upload(&mut b, csv, None).await;
    assert!(
        ja.contains("2行目「name」: 空欄です。全員の『name』を書いてください"),
        "{ja}"
    );
    assert!(ja.contains("employee_number → 職員番号"), "{ja}");
}

/// Designations are imported on the command line, which speaks Japanese; the same problems
/// read in English through the English catalogue.
#[tokio::test]
async fn a_designation_import_error_is_worded_in_the_readers_language() {
    let db = empty_db().await;
    let url = db.url();
    let run = |args: &[&str]| {
        let out = kenshu(&url, args, None);
        (out.status.success(), text(&out))
    };
    let (ok, out) = run(&["institution", "add", "city", "テスト市"]);
    assert!(ok, "{out}");
    let dir = std::env::temp_dir();
    let roster = dir.join(format!("kenshu-msgs-roster-{}.csv", uuid::Uuid::new_v4()));
    std::fs::write(
        &roster,
        "職員番号,氏名,所属コード,所属名\n1001,山田 太郎,a,A課\n",
    )
    .unwrap();
    let (ok, out) = run(&[
        "import",
        "staff",
        &roster.to_string_lossy(),
        "--institution",
        "city",
    ]);
    assert!(ok, "{out}");

    let csv = "職員番号,指定,開始日,終了日,備考\n1001,課長,2025-04-01,,\n9999,事務取扱担当者,2025-04-01,,\n";
    let file = dir.join(format!(
        "kenshu-msgs-designations-{}.csv",
        uuid::Uuid::new_v4()
    ));
    std::fs::write(&file, csv).unwrap();
    let (ok, out) = run(&[
        "import",
        "designations",
        &file.to_string_lossy(),
        "--institution",
        "city",
    ]);
    assert!(!ok, "{out}");
    for said in [
        "2行目「指定」: 『課長』は指定の種類として読めません。",
        "3行目「職員番号」: 職員番号「9999」の職員はポータルにいません。先に職員名簿を取り込むか、番号を直してください",
    ] {
        assert!(out.contains(said), "missing «{said}»: {out}");
    }
    assert!(
        out.trim_end().ends_with("new=0 unchanged=0 errors=2"),
        "{out}"
    );

    let (rows, mut errors) = kenshu_core::designation::parse(csv).unwrap();
    let mut tx = db.pool.begin().await.unwrap();
    let city = kenshu_db::institution::find_by_code(&mut tx, "city")
        .await
        .unwrap()
        .unwrap();
    let (_, _, missing) = kenshu_db::designation::import(&mut tx, city.id, &rows, None)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    errors.extend(missing);
    let en: Vec<String> = errors.iter().map(|e| e.in_words(&EN)).collect();
    assert_eq!(
        en,
        [
            "line 2, column \"指定\": \"課長\" cannot be read as a kind of designation. Write clerk, file_handler or system_admin, or the designation's Japanese title.",
            "line 3, column \"employee number\": No staff member in the portal has the employee number \"9999\". Import the staff roster first, or correct the number.",
        ]
    );
    let _ = std::fs::remove_file(&roster);
    let _ = std::fs::remove_file(&file);
}

/// A designation that overlaps one the person holds (same kind, same division) is refused on
/// its row, in the file's words, and the import saves nothing; the same row again is left as
/// it is.
#[tokio::test]
async fn an_imported_designation_that_overlaps_one_held_is_refused_on_its_row() {
    let db = empty_db().await;
    let url = db.url();
    let run = |args: &[&str]| {
        let out = kenshu(&url, args, None);
        (out.status.success(), text(&out))
    };
    let dir = std::env::temp_dir();
    let write = |name: &str, body: &str| {
        let file = dir.join(format!("kenshu-{name}-{}.csv", uuid::Uuid::new_v4()));
        std::fs::write(&file, body).unwrap();
        file.to_string_lossy().to_string()
    };
    let (ok, out) = run(&["institution", "add", "city", "テスト市"]);
    assert!(ok, "{out}");
    let roster = write(
        "roster",
        "職員番号,氏名,所属コード,所属名\n1001,山田 太郎,a,A課\n",
    );
    let (ok, out) = run(&["import", "staff", &roster, "--institution", "city"]);
    assert!(ok, "{out}");
    let first = write(
        "designations",
        "職員番号,指定,開始日,終了日,備考\n1001,事務取扱担当者,2025-04-01,,\n",
    );
    let (ok, out) = run(&["import", "designations", &first, "--institution", "city"]);
    assert!(ok, "{out}");

    let second = write(
        "designations",
        "職員番号,指定,開始日,終了日,備考\n\
         1001,事務取扱担当者,2025-04-01,,\n\
         1001,事務取扱担当者,2025-06-01,2025-09-30,\n\
         1001,特定個人情報ファイル取扱者,2025-06-01,,\n",
    );
    let (ok, out) = run(&["import", "designations", &second, "--institution", "city"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("3行目「開始日」: この職員はこの期間の一部に、同じ所属で同じ種類の指定をすでに受けています（令和7年4月1日〜）"),
        "{out}"
    );
    assert!(out.trim_end().ends_with("errors=1"), "{out}");
    let held: i64 = sqlx::query_scalar("select count(*) from designations")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        held, 1,
        "all or nothing: the file handler row is not saved either"
    );
    let _ = std::fs::remove_file(&roster);
    let _ = std::fs::remove_file(&first);
    let _ = std::fs::remove_file(&second);
}
