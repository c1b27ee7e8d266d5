//! The annual attendance report and the attendance list: every format read back, from the
//! command line and the web, with a person who left in October still in it.

use std::io::Cursor;

use kenshu_tests::reports::{HEADER, parse_csv, setup, xlsx_sheet};
use kenshu_tests::{TestApp, kenshu, text};

/// The expected rows of division a, as the CSV and XLSX show them.
fn expected_a() -> Vec<Vec<String>> {
    let clerk = "事務取扱担当者研修";
    let cyber = "サイバーセキュリティ研修";
    let fin = "まとめテスト";
    let rows: Vec<[&str; 13]> = vec![
        [
            "a",
            "A課",
            "1001",
            "山田 太郎",
            "事務取扱担当者",
            clerk,
            "修了",
            "eラーニング",
            "2025-06-10",
            "",
            "2025-12-31",
            "",
            "",
        ],
        [
            "a",
            "A課",
            "1001",
            "山田 太郎",
            "事務取扱担当者",
            cyber,
            "修了",
            "eラーニング",
            "2025-06-10",
            "",
            "2025-12-31",
            "",
            "",
        ],
        [
            "a",
            "A課",
            "1001",
            "山田 太郎",
            "事務取扱担当者",
            fin,
            "修了",
            "eラーニング",
            "2025-06-10",
            "9/10",
            "2025-12-31",
            "",
            "",
        ],
        [
            "a",
            "A課",
            "1002",
            "𠮷田 花子",
            "",
            clerk,
            "修了（集合研修）",
            "集合研修",
            "2025-07-01",
            "",
            "2025-12-31",
            "",
            "",
        ],
        [
            "a",
            "A課",
            "1002",
            "𠮷田 花子",
            "",
            cyber,
            "期限超過",
            "",
            "",
            "",
            "2025-12-31",
            "",
            "",
        ],
        [
            "a",
            "A課",
            "1002",
            "𠮷田 花子",
            "",
            fin,
            "期限超過",
            "",
            "",
            "",
            "2025-12-31",
            "",
            "",
        ],
        [
            "a",
            "A課",
            "1003",
            "試験 1003",
            "",
            clerk,
            "修了",
            "eラーニング",
            "2026-02-01",
            "8/10",
            "2025-12-31",
            "再受講期限 2026-02-28・期限後修了",
            "",
        ],
        [
            "a",
            "A課",
            "1003",
            "試験 1003",
            "",
            cyber,
            "期限超過",
            "",
            "",
            "",
            "2025-12-31",
            "",
            "",
        ],
        [
            "a",
            "A課",
            "1003",
            "試験 1003",
            "",
            fin,
            "期限超過",
            "",
            "",
            "",
            "2025-12-31",
            "",
            "",
        ],
        [
            "a",
            "A課",
            "1004",
            "試験 1004",
            "",
            clerk,
            "免除",
            "",
            "",
            "",
            "2025-12-31",
            "",
            "",
        ],
        [
            "a",
            "A課",
            "1004",
            "試験 1004",
            "",
            cyber,
            "期限超過",
            "",
            "",
            "",
            "2025-12-31",
            "",
            "",
        ],
        [
            "a",
            "A課",
            "1004",
            "試験 1004",
            "",
            fin,
            "期限超過",
            "",
            "",
            "",
            "2025-12-31",
            "",
            "",
        ],
        // Left in October, before the December deadline: untrained, not overdue.
        [
            "a",
            "A課",
            "1005",
            "試験 1005",
            "",
            clerk,
            "未受講",
            "",
            "",
            "",
            "2025-12-31",
            "",
            "2025-10-15",
        ],
        [
            "a",
            "A課",
            "1005",
            "試験 1005",
            "",
            cyber,
            "未受講",
            "",
            "",
            "",
            "2025-12-31",
            "",
            "2025-10-15",
        ],
        [
            "a",
            "A課",
            "1005",
            "試験 1005",
            "",
            fin,
            "未受講",
            "",
            "",
            "",
            "2025-12-31",
            "",
            "2025-10-15",
        ],
    ];
    rows.into_iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

fn check_rows(rows: &[Vec<String>], what: &str) {
    assert_eq!(rows[0], HEADER, "{what}: header");
    let a: Vec<Vec<String>> = rows[1..].iter().filter(|r| r[0] == "a").cloned().collect();
    assert_eq!(a, expected_a(), "{what}: division a");
    assert_eq!(
        rows.len() - 1,
        15 + 13,
        "{what}: division b has four people with three courses each, the protection officer one more"
    );
    assert!(
        !rows.iter().any(|r| r[2] == "1006"),
        "{what}: who left before the year is not in it"
    );
}

fn export(url: &str, format: &str, dir: &std::path::Path) -> Vec<u8> {
    let path = dir.join(format!("report.{format}"));
    let p = path.to_str().unwrap();
    let o = kenshu(
        url,
        &[
            "report",
            "annual",
            "--institution",
            "test",
            "--fy",
            "2025",
            "--format",
            format,
            "-o",
            p,
        ],
        None,
    );
    assert!(o.status.success(), "{format}: {}", text(&o));
    assert!(text(&o).contains("rows=28"), "{}", text(&o));
    std::fs::read(&path).unwrap()
}

#[tokio::test]
async fn the_annual_report_reads_back_in_every_format_with_the_october_leaver() {
    let app = TestApp::spawn().await;
    setup(&app).await;
    let url = app.db.url();
    let dir = std::env::temp_dir().join(format!("kenshu-report-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();

    // UTF-8 CSV with BOM.
    let csv = export(&url, "csv", &dir);
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "Excel needs the BOM");
    let rows = parse_csv(std::str::from_utf8(&csv[3..]).unwrap());
    let (head, rows) = rows.split_last().unwrap();
    check_rows(rows, "csv");
    assert_eq!(
        (head[0].as_str(), head.len()),
        ("# 監査ログ 最終記録", HEADER.len()),
        "the audit log's head closes the CSV as a full-width row marked as a comment"
    );
    assert!(head[1].starts_with("No."), "{head:?}");
    assert!(String::from_utf8_lossy(&csv).contains("\r\n"));

    // Shift_JIS CSV: 𠮷 is not in CP932 and becomes 〓.
    let sjis = export(&url, "csv-sjis", &dir);
    let (decoded, _, bad) = encoding_rs::SHIFT_JIS.decode(&sjis);
    assert!(!bad, "valid Shift_JIS");
    let rows = parse_csv(&decoded);
    assert_eq!(rows.last().unwrap()[0], "# 監査ログ 最終記録");
    let want: Vec<Vec<String>> = expected_a()
        .into_iter()
        .map(|r| r.into_iter().map(|c| c.replace('𠮷', "〓")).collect())
        .collect();
    let a: Vec<Vec<String>> = rows[1..].iter().filter(|r| r[0] == "a").cloned().collect();
    assert_eq!(a, want);
    assert_eq!(rows[0], HEADER);

    // XLSX: the rows, and the totals per division.
    let xlsx = export(&url, "xlsx", &dir);
    // It prints from Excel or LibreOffice as a report: A4 landscape, one page wide, the
    // header row on every page, the institution and the year at the top of each page.
    let part = |name: &str| -> String {
        let mut zip = zip::ZipArchive::new(Cursor::new(xlsx.clone())).expect("zip");
        let mut f = zip.by_name(name).expect(name);
        let mut text = String::new();
        std::io::Read::read_to_string(&mut f, &mut text).unwrap();
        text
    };
    for sheet in ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"] {
        let xml = part(sheet);
        assert!(
            xml.contains("<pageSetUpPr fitToPage=\"1\"/>"),
            "{sheet}: {xml}"
        );
        assert!(
            xml.contains("paperSize=\"9\"")
                && xml.contains("orientation=\"landscape\"")
                && xml.contains("fitToHeight=\"0\""),
            "{sheet}"
        );
        assert!(
            xml.contains("<oddHeader>&amp;Lテスト市 令和7年度 研修受講状況報告書</oddHeader>"),
            "{sheet}: {xml}"
        );
        assert!(xml.contains("<oddFooter>&amp;C&amp;P / &amp;N</oddFooter>"));
    }
    let workbook = part("xl/workbook.xml");
    assert!(
        workbook.contains("_xlnm.Print_Titles") && workbook.contains("$1:$1"),
        "the header row repeats: {workbook}"
    );
    check_rows(&xlsx_sheet(&xlsx, "受講状況"), "xlsx");
    let mut summary = xlsx_sheet(&xlsx, "課室別集計");
    let head = summary.pop().unwrap();
    assert!(head[0].starts_with("監査ログ 最終記録 No."), "{head:?}");
    let explained = summary.pop().unwrap();
    assert!(
        explained[0].starts_with("対象者は、この年度に受講割当が1件以上ある職員です"),
        "the figures explained in the words of the overview page: {explained:?}"
    );
    summary.retain(|r| r.iter().any(|c| !c.is_empty()));
    assert_eq!(
        summary,
        vec![
            vec![
                "所属コード",
                "所属",
                "対象者（名）",
                "受講割当（件）",
                "修了",
                "うち集合研修",
                "期限超過",
                "免除",
                "未受講・受講中",
                "修了率"
            ],
            vec!["a", "A課", "5", "15", "5", "1", "6", "1", "3", "35.7%"],
            vec!["b", "B課", "4", "13", "0", "0", "13", "0", "0", "0.0%"],
            vec!["", "合計", "9", "28", "5", "1", "19", "1", "3", "18.5%"],
        ]
        .into_iter()
        .map(|r| r.into_iter().map(String::from).collect::<Vec<_>>())
        .collect::<Vec<_>>()
    );

    // HTML: 和暦, the seal box, the leaver.
    let html = String::from_utf8(export(&url, "html", &dir)).unwrap();
    assert!(html.contains("研修受講状況報告書"));
    assert!(html.contains("令和7年度"));
    assert!(html.contains("令和7年6月10日"), "completion dates in 和暦");
    assert!(html.contains("退職 令和7年10月15日"), "the October leaver");
    assert!(html.contains("id=\"seal\"") && html.contains("総括責任者") && html.contains(">印<"));
    assert!(html.contains("@page{size:A4"));
    assert!(html.contains("再受講期限 令和8年2月28日・期限後修了"));

    // Every format prints the audit log's head as the export began (the export's own entry
    // follows it), and the export leaves a checkpoint of the head after it.
    let (seq, hash): (i64, Vec<u8>) =
        sqlx::query_as("select seq, hash from audit_log order by seq desc limit 1")
            .fetch_one(app.pool())
            .await
            .unwrap();
    let printed: Vec<u8> = sqlx::query_scalar("select hash from audit_log where seq = $1")
        .bind(seq - 1)
        .fetch_one(app.pool())
        .await
        .unwrap();
    let want = format!(
        "<p class=\"note\" id=\"audit-head\">監査ログ 最終記録 No.{} ハッシュ {}</p>",
        seq - 1,
        hex(&printed)
    );
    assert!(html.contains(&want), "{want}");
    let checkpoints = std::fs::read_to_string(app.db.data_dir().join("audit-checkpoints/test.log"))
        .expect("the export wrote a checkpoint");
    assert!(
        checkpoints
            .lines()
            .last()
            .unwrap()
            .ends_with(&format!("institution=test seq={seq} hash={}", hex(&hash))),
        "{checkpoints}"
    );

    // Bad input: one line each.
    for (args, want) in [
        (
            vec!["--institution", "nope", "--fy", "2025", "--format", "csv"],
            "unknown institution 'nope'",
        ),
        (
            vec!["--institution", "test", "--fy", "2019", "--format", "csv"],
            "no approved training plan",
        ),
        (
            vec!["--institution", "test", "--fy", "2025", "--format", "pdf"],
            "unknown format 'pdf'",
        ),
    ] {
        let out = dir.join("bad.csv");
        let mut all = vec!["report", "annual"];
        all.extend(args);
        all.extend(["-o", out.to_str().unwrap()]);
        let o = kenshu(&url, &all, None);
        assert!(!o.status.success());
        assert!(text(&o).contains(want), "{}", text(&o));
        assert!(!out.exists(), "no file on failure");
    }

    // The attendance list of the clerk course: the untrained marked.
    let list = dir.join("list.html");
    let o = kenshu(
        &url,
        &[
            "report",
            "attendance",
            "--institution",
            "test",
            "--fy",
            "2025",
            "--course",
            "clerk",
            "--division",
            "a",
            "-o",
            list.to_str().unwrap(),
        ],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    let list = std::fs::read_to_string(list).unwrap();
    assert!(list.contains("研修出欠リスト 事務取扱担当者研修"));
    assert!(
        list.contains("<td>修了 令和7年6月10日（eラーニング）</td>"),
        "{list}"
    );
    assert!(list.contains("<td>修了 令和7年7月1日（集合研修）</td>"));
    assert!(
        list.contains("<td class=\"untrained\">未受講</td>"),
        "the leaver, untrained"
    );
    assert!(list.contains("<td>免除</td>"));
    assert!(list.contains("対象 5名　うち未受講 1名"), "{list}");
    assert!(!list.contains("9003"), "division a only");

    // The same list in English for a reader who asks for it (`--lang en`).
    let english = dir.join("list-en.html");
    let o = kenshu(
        &url,
        &[
            "report",
            "attendance",
            "--institution",
            "test",
            "--fy",
            "2025",
            "--course",
            "clerk",
            "--division",
            "a",
            "--lang",
            "en",
            "-o",
            english.to_str().unwrap(),
        ],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    let english = std::fs::read_to_string(english).unwrap();
    assert!(english.contains("<html lang=\"en\""), "{english}");
    assert!(english.contains("Attendance list: "), "{english}");
    assert!(!english.contains("研修出欠リスト"), "{english}");
    let o = kenshu(
        &url,
        &[
            "report",
            "attendance",
            "--institution",
            "test",
            "--fy",
            "2025",
            "--course",
            "clerk",
            "--lang",
            "fr",
            "-o",
            dir.join("fr.html").to_str().unwrap(),
        ],
        None,
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("unknown language 'fr'"), "{}", text(&o));
    let exports: Vec<(String, String, String)> = sqlx::query_as(
        "select actor, subject, detail from audit_log where action = 'exported' order by seq",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert!(
        exports.len() >= 5
            && exports
                .iter()
                .all(|(actor, _, _)| actor.starts_with("cli:"))
            && exports
                .iter()
                .any(|(_, what, detail)| what == "annual_report"
                    && detail.starts_with("2025 xlsx rows=")),
        "every command-line export is in the audit log: {exports:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn the_chief_downloads_from_the_web_and_staff_get_403() {
    let app = TestApp::spawn().await;
    setup(&app).await;

    let mut chief = app.signed_in("9001").await;
    let page = chief.get("/reports?fy=2025").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("/reports/annual?fy=2025&amp;format=xlsx")
    );
    assert!(
        page.body
            .contains("/reports/annual?fy=2025&amp;format=csv-sjis")
    );

    let res = chief
        .client
        .get(app.url("/reports/annual?fy=2025&format=xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cd = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cd.contains("filename*=UTF-8''%E7%A0%94%E4%BF%AE%E5%8F%97%E8%AC%9B%E7%8A%B6%E6%B3%81_%E4%BB%A4%E5%92%8C7%E5%B9%B4%E5%BA%A6.xlsx"),
        "研修受講状況_令和7年度.xlsx: {cd}"
    );
    let bytes = res.bytes().await.unwrap();
    check_rows(&xlsx_sheet(&bytes, "受講状況"), "web xlsx");

    let res = chief
        .client
        .get(app.url("/reports/annual?fy=2025&format=csv-sjis"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body = res.bytes().await.unwrap();
    let (decoded, _, bad) = encoding_rs::SHIFT_JIS.decode(&body);
    assert!(!bad);
    assert!(decoded.contains("1005,試験 1005"));

    let bad = chief.get("/reports/annual?fy=2025&format=pdf").await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("出力形式が正しくありません"));
    let no_plan = chief.get("/reports/annual?fy=2019&format=csv").await;
    assert_eq!(no_plan.status, 400);
    assert!(no_plan.body.contains("承認済みの研修計画がありません"));

    let list = chief
        .get("/reports/attendance?fy=2025&course=clerk&division=a&format=html")
        .await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("<td class=\"untrained\">未受講</td>"));
    let auditor = app
        .signed_in("9002")
        .await
        .get("/reports/annual?fy=2025&format=csv")
        .await;
    assert_eq!(auditor.status, 200, "the audit officer exports too");

    for login in ["9003", "9004"] {
        let mut b = app.signed_in(login).await;
        for path in [
            "/reports",
            "/reports/annual?fy=2025&format=xlsx",
            "/reports/attendance?fy=2025&course=clerk",
        ] {
            assert_eq!(b.get(path).await.status, 403, "{login} {path}");
        }
    }
    let exporters: Vec<String> = sqlx::query_scalar(
        "select distinct actor from audit_log where action = 'exported' order by actor",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(
        exporters,
        ["9001", "9002"],
        "web exports are in the audit log under who made them; refused ones are not"
    );
}

/// Browsers ask for compressed responses (`Accept-Encoding: gzip, deflate, br`). Every download
/// must then arrive whole: the streamed body used to break under compression (curl exit 18).
#[tokio::test]
async fn every_download_arrives_whole_when_the_browser_asks_for_compression() {
    let app = TestApp::spawn().await;
    setup(&app).await;
    let chief = app.signed_in("9001").await;
    for (path, check) in [
        ("/reports/annual?fy=2025&format=xlsx", "xlsx"),
        ("/reports/annual?fy=2025&format=csv", "1005,試験 1005"),
        ("/reports/annual?fy=2025&format=csv-sjis", "sjis"),
        ("/reports/annual?fy=2025&format=html", "</html>"),
        (
            "/reports/attendance?fy=2025&course=clerk&format=html",
            "</html>",
        ),
        (
            "/reports/attendance?fy=2025&course=clerk&format=csv",
            "未受講",
        ),
    ] {
        let res = chief
            .client
            .get(app.url(path))
            .header("accept-encoding", "gzip, deflate, br")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let body = res
            .bytes()
            .await
            .unwrap_or_else(|e| panic!("{path}: the body broke off: {e}"));
        match check {
            "xlsx" => check_rows(&xlsx_sheet(&body, "受講状況"), "xlsx with gzip asked"),
            "sjis" => {
                let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&body);
                assert!(!bad && text.contains("1005,試験 1005"), "{path}");
            }
            needle => {
                let text = String::from_utf8(body.to_vec()).unwrap();
                assert!(text.contains(needle), "{path}: {needle} missing");
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
