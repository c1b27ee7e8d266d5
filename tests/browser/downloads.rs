//! Downloads as a person gets them: the chief officer clicks each report link on `/reports` in
//! headless Chromium, which asks for compressed responses by itself, and every saved file is
//! read back whole (XLSX with calamine, the CSVs decoded, the HTML with its tables). A body
//! that breaks off under compression leaves Chromium with a failed `.crdownload` and no file.

use std::path::Path;
use std::time::{Duration, Instant};

use kenshu_core::FiscalYear;
use kenshu_tests::TestApp;
use kenshu_tests::reports::{FY, HEADER, parse_csv, setup, xlsx_sheet};
use serde_json::Value;

use super::driver::{Options, Session};
use crate::sign_in;

/// How long a download may take before the test says it never completed.
const DOWNLOAD_WAIT: Duration = Duration::from_secs(15);

/// Rows of the annual report: 28 assignments in the fixture, and the header.
const ANNUAL_ROWS: usize = 28 + 1;

/// Waits until Chromium has saved `name` in `dir` and nothing is still being written there
/// (no `.crdownload`), then returns its bytes.
async fn downloaded(dir: &Path, name: &str) -> Vec<u8> {
    let started = Instant::now();
    loop {
        let mut names = Vec::new();
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                names.push(e.file_name().to_string_lossy().to_string());
            }
        }
        let partial = names.iter().any(|n| n.ends_with(".crdownload"));
        if !partial && names.iter().any(|n| n == name) {
            let path = dir.join(name);
            return std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        }
        assert!(
            started.elapsed() < DOWNLOAD_WAIT,
            "{name} was not downloaded completely within {} s; the download folder holds \
             {names:?} (a download that broke off leaves a .crdownload, or nothing)",
            DOWNLOAD_WAIT.as_secs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The checks every annual table shares: the Japanese header, every row there (a truncated
/// file loses its last ones), the people of the fixture in them.
fn check_annual(rows: &[Vec<String>], what: &str, yoshida: &str) {
    assert_eq!(
        rows.first().map(Vec::as_slice),
        Some(&HEADER.map(String::from)[..]),
        "{what}: the header row is the Japanese one"
    );
    assert_eq!(
        rows.len(),
        ANNUAL_ROWS,
        "{what}: every row of the report is there, rows {rows:?}"
    );
    let person = |login: &str| {
        rows.iter()
            .filter(|r| r.get(2).is_some_and(|c| c == login))
            .collect::<Vec<_>>()
    };
    let yamada = person("1001");
    assert!(
        yamada.len() == 3 && yamada.iter().all(|r| r[3] == "山田 太郎" && r[6] == "修了"),
        "{what}: 山田 太郎 completed his three courses, rows {yamada:?}"
    );
    let hanako = person("1002");
    assert!(
        hanako.len() == 3 && hanako.iter().all(|r| r[3] == yoshida),
        "{what}: 1002 is {yoshida}, rows {hanako:?}"
    );
    let leaver = person("1005");
    assert!(
        leaver.len() == 3 && leaver.iter().all(|r| r[12] == "2025-10-15"),
        "{what}: the October leaver is in it with the day she left, rows {leaver:?}"
    );
    assert!(
        person("1006").is_empty(),
        "{what}: who left before the year is not in it"
    );
}

/// A CSV download: complete lines (CRLF after the last), the UTF-8 BOM when `bom`.
/// The CSV's rows without its last one, which must be the audit log's head
/// (`# 監査ログ 最終記録`, No.N, hash).
fn without_audit_head(mut rows: Vec<Vec<String>>, what: &str) -> Vec<Vec<String>> {
    let last = rows.pop();
    assert!(
        last.as_ref()
            .is_some_and(|r| r[0] == "# 監査ログ 最終記録" && r[1].starts_with("No.")),
        "{what}: the last row is the audit log's head: {last:?}"
    );
    rows
}

fn check_csv_bytes(bytes: &[u8], what: &str, bom: bool) {
    assert_eq!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        bom,
        "{what}: the UTF-8 CSV starts with a BOM (Excel needs it), the Shift_JIS one does not"
    );
    assert!(
        bytes.ends_with(b"\r\n"),
        "{what}: the file ends with a whole line"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chief_officer_downloads_every_report_in_chromium_and_each_file_reads_back_whole() {
    let test = "chief_officer_downloads_every_report_in_chromium_and_each_file_reads_back_whole";
    let Some(b) = Session::launch_with(test, Options { network_log: true }).await else {
        return;
    };
    let app = TestApp::spawn().await;
    setup(&app).await;
    sign_in(&b, &app, "9001").await;
    let year = FiscalYear::stored(FY).japanese();
    b.goto(&app.url(&format!("/reports?fy={FY}"))).await;
    b.wait_for("#annual-links").await;
    b.save_full_page_screenshot("reports").await;
    let dir = b.downloads().to_path_buf();

    b.click("#annual-links a[href$='format=xlsx']").await;
    let xlsx = downloaded(&dir, &format!("研修受講状況_{year}.xlsx")).await;
    check_annual(&xlsx_sheet(&xlsx, "受講状況"), "xlsx", "𠮷田 花子");
    let summary = xlsx_sheet(&xlsx, "課室別集計");
    assert_eq!(
        summary
            .iter()
            .find(|r| r.get(1).is_some_and(|c| c == "合計"))
            .map(|r| r[..5].join(",")),
        Some(",合計,9,28,5".to_string()),
        "xlsx: the division totals end with the institution's, sheet {summary:?}"
    );
    assert!(
        summary
            .last()
            .is_some_and(|r| r[0].starts_with("監査ログ 最終記録 No.")),
        "xlsx: the audit log's head under the totals, sheet {summary:?}"
    );

    b.click("#annual-links a[href$='format=csv']").await;
    let csv = downloaded(&dir, &format!("研修受講状況_{year}.csv")).await;
    check_csv_bytes(&csv, "csv", true);
    let text = std::str::from_utf8(&csv[3..])
        .unwrap_or_else(|e| panic!("csv: the UTF-8 CSV does not decode: {e}"));
    check_annual(
        &without_audit_head(parse_csv(text), "csv"),
        "csv",
        "𠮷田 花子",
    );

    b.click("#annual-links a[href$='format=csv-sjis']").await;
    let sjis = downloaded(&dir, &format!("研修受講状況_{year}_SJIS.csv")).await;
    check_csv_bytes(&sjis, "csv-sjis", false);
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&sjis);
    assert!(
        !bad,
        "csv-sjis: the file decodes as Shift_JIS without errors"
    );
    // 𠮷 is not in CP932: the Shift_JIS file shows 〓.
    check_annual(
        &without_audit_head(parse_csv(&text), "csv-sjis"),
        "csv-sjis",
        "〓田 花子",
    );

    b.click("#annual-links a[href$='format=html']").await;
    let html = downloaded(&dir, &format!("研修受講状況_{year}.html")).await;
    let html = String::from_utf8(html).expect("the HTML report is UTF-8");
    assert!(
        html.contains("研修受講状況報告書") && html.contains(&year) && html.ends_with("</html>\n"),
        "html: the whole report, titled and dated in the era"
    );

    // The attendance list of the clerk course in division a, in both formats, as the form
    // on the page asks for it.
    b.set_value("#course", "clerk").await;
    b.set_value("#division", "a").await;
    b.set_value("#format", "html").await;
    b.click("#attendance-form button[type=submit]").await;
    let list = downloaded(&dir, &format!("研修出欠リスト_{year}_clerk.html")).await;
    let list = String::from_utf8(list).expect("the attendance list is UTF-8");
    assert!(
        list.contains("研修出欠リスト 事務取扱担当者研修")
            && list.contains("<table id=\"attendance\">")
            && list.contains("<td class=\"untrained\">未受講</td>")
            && list.contains("対象 5名　うち未受講 1名")
            && list.ends_with("</html>\n"),
        "the attendance list's table, with the untrained marked, whole: {list}"
    );
    b.set_value("#format", "csv").await;
    b.click("#attendance-form button[type=submit]").await;
    let list = downloaded(&dir, &format!("研修出欠リスト_{year}_clerk.csv")).await;
    check_csv_bytes(&list, "attendance csv", true);
    let rows = parse_csv(std::str::from_utf8(&list[3..]).expect("the attendance CSV is UTF-8"));
    assert_eq!(
        rows.first().map(|r| r.join(",")).as_deref(),
        Some("所属,職員番号,氏名,出欠,得点,受講期限,備考"),
        "attendance csv: the Japanese header"
    );
    let logins: Vec<&str> = rows[1..].iter().map(|r| r[1].as_str()).collect();
    assert_eq!(
        logins,
        ["1001", "1002", "1003", "1004", "1005"],
        "attendance csv: division a's five people, in order"
    );

    // 設問別の正答率 of the final test, and its CSV as Chromium saves it.
    b.goto(&app.url(&format!("/insights?fy={FY}&course=final-test")))
        .await;
    b.wait_for("#questions").await;
    b.save_full_page_screenshot("insights").await;
    b.click("a[href^='/insights.csv']").await;
    let insights = downloaded(&dir, &format!("設問別正答率_final-test_{FY}.csv")).await;
    check_csv_bytes(&insights, "insights csv", true);
    let rows = parse_csv(std::str::from_utf8(&insights[3..]).expect("the insights CSV is UTF-8"));
    assert_eq!(
        rows.first().map(|r| r.join(",")).as_deref(),
        Some("研修,設問,全体,解答者（名）,正答率,前年度,増減（ポイント）,見直し候補"),
        "insights csv: the Japanese header"
    );
    assert!(
        rows.get(1)
            .is_some_and(|r| r[..3].join(",") == "まとめテスト,1,全体"),
        "insights csv: question 1 for everyone first, rows {rows:?}"
    );
    b.click("a[href^='/insights.xlsx']").await;
    let book = downloaded(&dir, &format!("設問別正答率_final-test_{FY}.xlsx")).await;
    let sheet = xlsx_sheet(&book, "設問別の正答率");
    assert_eq!(
        sheet.len(),
        rows.len(),
        "insights xlsx: the CSV's lines, sheet {sheet:?}"
    );

    // Chromium asked for compression itself, and got it (but for the zipped XLSX).
    let log = b.network_log().await;
    for (query, compressed) in [
        ("format=xlsx", false),
        ("format=csv", true),
        ("format=csv-sjis", true),
        ("format=html", true),
    ] {
        let path = format!("/reports/annual?fy={FY}&{query}");
        check_exchange(&log, &path, compressed);
    }
    check_exchange(&log, "division=a&format=html", true);
    check_exchange(&log, "division=a&format=csv", true);

    // Opened from the download folder, the printable report shows every row.
    b.goto(&file_url(&dir.join(format!("研修受講状況_{year}.html"))))
        .await;
    b.wait_for("section#summary table").await;
    assert_eq!(
        b.count("section.division:not(#summary) tbody tr").await,
        ANNUAL_ROWS - 1,
        "the downloaded HTML report, opened in the browser, lists every row"
    );
    b.save_full_page_screenshot("report-annual-downloaded")
        .await;
    b.close().await;
}

/// Checks the one exchange for the URL ending in `tail`: Chromium asked for gzip, the answer
/// was 200 and, when `compressed`, gzip-encoded.
fn check_exchange(log: &[Value], tail: &str, compressed: bool) {
    let responses: Vec<&Value> = log
        .iter()
        .filter(|e| e["method"] == "Network.responseReceived")
        .filter(|e| {
            e["params"]["response"]["url"]
                .as_str()
                .is_some_and(|u| u.ends_with(tail))
        })
        .collect();
    let [response] = responses[..] else {
        panic!(
            "one response for …{tail} in the network log, found {}",
            responses.len()
        )
    };
    let id = &response["params"]["requestId"];
    let sent = log
        .iter()
        .find(|e| {
            e["method"] == "Network.requestWillBeSentExtraInfo" && e["params"]["requestId"] == *id
        })
        .map(|e| header(&e["params"]["headers"], "accept-encoding"))
        .unwrap_or_default();
    assert!(
        sent.contains("gzip"),
        "…{tail}: Chromium asks for compressed answers by itself, sent Accept-Encoding {sent:?}"
    );
    let r = &response["params"]["response"];
    assert_eq!(r["status"], 200, "…{tail}: status");
    let encoding = header(&r["headers"], "content-encoding");
    assert_eq!(
        encoding == "gzip",
        compressed,
        "…{tail}: Content-Encoding {encoding:?} (compressed expected: {compressed})"
    );
}

/// A header's value from DevTools' header object, whatever the case of its name.
fn header(headers: &Value, name: &str) -> String {
    headers
        .as_object()
        .into_iter()
        .flatten()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
        .unwrap_or_default()
        .to_string()
}

/// `file://` URL of a local path (its bytes percent-encoded where URLs need it).
fn file_url(path: &Path) -> String {
    let mut url = String::from("file://");
    for b in path.display().to_string().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}
