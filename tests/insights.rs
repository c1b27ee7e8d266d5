//! 設問別の正答率: the share of people right on their first attempt, per question, for the chief
//! officer (every division) and a protection officer (theirs), by division and designation,
//! with the questions missed most; no one's answers, no figure of fewer than three people.

use kenshu_tests::TestApp;
use kenshu_tests::exam::answers_in_two_divisions;

/// The text of the cells of `table`'s row whose header starts with `設問{n}`.
fn row(body: &str, table: &str, n: u32) -> Vec<String> {
    let start = body
        .find(&format!("id=\"{table}\""))
        .unwrap_or_else(|| panic!("no table {table}: {body}"));
    let end = start + body[start..].find("</table>").unwrap_or(0);
    let t = &body[start..end];
    let head = format!("<th scope=\"row\">設問{n}");
    let at = t
        .find(&format!("{head}<"))
        .unwrap_or_else(|| panic!("no row 設問{n} in {table}: {t}"));
    let tr = &t[at..at + t[at..].find("</tr>").unwrap_or(0)];
    tr.split("<td")
        .skip(1)
        .filter(|c| !c.starts_with(" class=\"statement"))
        .map(|c| {
            let c = &c[c.find('>').map_or(0, |i| i + 1)..];
            c[..c.find("</td>").unwrap_or(c.len())].to_string()
        })
        .collect()
}

#[tokio::test]
async fn the_chief_sees_each_questions_first_attempt_share_by_division_and_designation() {
    let app = TestApp::spawn().await;
    answers_in_two_divisions(&app).await;
    let mut chief = app.signed_in("chief").await;
    let page = chief.get("/insights?course=final-test").await;
    assert_eq!(page.status, 200);
    let body = &page.body;
    // Question 1 (×): the 3 of division b, of 7; question 2 (○): the 4 of division a.
    assert_eq!(row(body, "questions", 1), ["7", "42.9%", "—", "—", ""]);
    assert_eq!(row(body, "questions", 2), ["7", "57.1%", "—", "—", ""]);
    assert_eq!(row(body, "by-division", 1), ["0.0%", "100.0%"]);
    assert_eq!(row(body, "by-division", 2), ["100.0%", "0.0%"]);
    // Clerks: a1–a3 (3 people, 4 others): shown; the other designations: nobody, withheld.
    assert_eq!(row(body, "by-designation", 1), ["0.0%", "—", "—", "—"]);
    // The most missed: the × questions (42.9%), the first three by number, with explanations.
    let missed = &body[body.find("id=\"missed\"").unwrap()..];
    let order: Vec<usize> = ["設問1（", "設問4（", "設問5（"]
        .iter()
        .map(|h| missed.find(h).unwrap_or_else(|| panic!("{h} in {missed}")))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    assert!(!missed.contains("設問2（"), "{missed}");
    assert!(missed.contains("<h4>解説</h4>") && missed.contains("掲載箇所"));
    for login in ["a1", "a4", "b1"] {
        assert!(
            !body.contains(&format!("試験 {login}")),
            "no one's name on the page: {login}"
        );
    }
}

#[tokio::test]
async fn a_protection_officer_sees_only_their_division_and_small_groups_are_withheld() {
    let app = TestApp::spawn().await;
    answers_in_two_divisions(&app).await;
    let mut o = app.signed_in("officer-a").await;
    let body = o.get("/insights?course=final-test").await.body;
    // Everyone in division a answered ○: question 1 (×) flagged as unclear, 2 (○) as too easy.
    assert_eq!(
        row(&body, "questions", 1),
        [
            "4",
            "0.0%",
            "—",
            "—",
            "分かりにくい・未習の可能性（40%未満）"
        ]
    );
    assert_eq!(
        row(&body, "questions", 2),
        ["4", "100.0%", "—", "—", "易しすぎる（95%超）"]
    );
    assert!(
        !body.contains("id=\"by-division\""),
        "one division: no breakdown"
    );
    // 3 clerks of 4: the one who is not would be given away, so clerks are withheld too.
    assert_eq!(row(&body, "by-designation", 1), ["—", "—", "—", "—"]);
    assert!(!body.contains("B課"), "nothing of division b");

    let csv = o.get("/insights.csv?course=final-test").await;
    assert_eq!(csv.status, 200);
    let text = csv.body.trim_start_matches('\u{feff}');
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + 10 * (1 + 1 + 4), "{text}");
    assert_eq!(
        lines[1],
        "まとめテスト,1,全体,4,0.0%,,,分かりにくい・未習の可能性（40%未満）"
    );
    assert_eq!(lines[2], "まとめテスト,1,A課,4,0.0%,,,");
    assert_eq!(lines[3], "まとめテスト,1,事務取扱担当者,,,,,", "withheld");

    // The workbook, fetched as a browser asks (compressed): counts as numbers, shares as
    // percentages, withheld cells empty.
    let res = o
        .client
        .get(app.url("/insights.xlsx?course=final-test"))
        .header("accept-encoding", "gzip, deflate, br")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body = res.bytes().await.expect("the workbook arrives whole");
    let sheet = kenshu_tests::reports::xlsx_sheet(&body, "設問別の正答率");
    assert_eq!(sheet.len(), lines.len(), "the same lines as the CSV");
    assert_eq!(sheet[0].join(","), lines[0]);
    assert_eq!(
        sheet[1],
        [
            "まとめテスト",
            "1",
            "全体",
            "4",
            "0",
            "",
            "",
            "分かりにくい・未習の可能性（40%未満）"
        ]
    );
    assert_eq!(
        sheet[3],
        ["まとめテスト", "1", "事務取扱担当者", "", "", "", "", ""]
    );
    assert_eq!(sheet[7][..5], ["まとめテスト", "2", "全体", "4", "1"]);

    let mut staff = app.signed_in("a4").await;
    for path in [
        "/insights",
        "/insights.csv?course=final-test",
        "/insights.xlsx?course=final-test",
    ] {
        let r = staff.get(path).await;
        assert_eq!(r.status, 403, "{path}");
        assert!(!r.body.contains("0.0%"), "{path} leaks nothing");
    }
}

#[tokio::test]
async fn last_years_first_attempts_give_the_change_in_points() {
    let app = TestApp::spawn().await;
    answers_in_two_divisions(&app).await;
    // Division b's attempts were last year's: this year only division a's four count.
    kenshu_tests::simulate::behind_the_portals_back(
        app.pool(),
        "update test_attempts set fiscal_year = fiscal_year - 1 where user_id in
           (select id from users where login_id in ('b1', 'b2', 'b3'))",
    )
    .await;
    let mut chief = app.signed_in("chief").await;
    let body = chief.get("/insights?course=final-test").await.body;
    // Question 1 (×): none of a's 4 this year, all of b's 3 last year.
    assert_eq!(
        row(&body, "questions", 1),
        [
            "4",
            "0.0%",
            "100.0%",
            "-100.0",
            "分かりにくい・未習の可能性（40%未満）"
        ]
    );
    assert_eq!(
        row(&body, "questions", 2),
        ["4", "100.0%", "0.0%", "+100.0", "易しすぎる（95%超）"]
    );
    let fy = kenshu_core::FiscalYear::of(kenshu_core::japan_today()).previous();
    let last = chief
        .get(&format!("/insights?course=final-test&fy={}", fy.year()))
        .await;
    assert_eq!(
        row(&last.body, "questions", 1),
        ["3", "100.0%", "—", "—", "易しすぎる（95%超）"],
        "last year's page: division b's three"
    );
}
