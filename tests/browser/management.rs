//! The officers' pages in the browser: the training plan (研修計画) and its printed document,
//! designations (指定), a person's page, the roster import (職員名簿の取込), the one-time
//! password link (/welcome) and "My training" with deadlines, 期限超過 and 個別研修.

use std::path::PathBuf;
use std::time::Instant;

use kenshu_core::FiscalYear;
use kenshu_core::fiscal_year::japanese_date;
use kenshu_core::person::Role;
use kenshu_core::plan::DesignationKind;
use kenshu_tests::{Scenario, TestApp, user};
use serde_json::json;
use time::{Date, Duration, Month};

use super::checks::{axe_source, pdf_link_pages, phone_overflow, snap};
use super::driver::Session;
use crate::{sign_in, sign_in_with};

/// A roster from HR: one new person in A課, one in a new division, staff1 moved to B課.
const ROSTER: &str = "職員番号,氏名,所属コード,所属名\n\
                      5001,新人 一郎,a,A課\n\
                      5002,新人 花子,c,C課（情報政策・デジタル推進担当）\n\
                      staff1,試験 staff1,b,B課\n";

/// A roster with mistakes: a missing name and a number given twice.
const BAD_ROSTER: &str = "職員番号,氏名,所属コード,所属名\n5001,,a,A課\n5001,二重 登録,a,A課\n";

/// This fiscal year (its plan is approved) and the next (no plan yet).
fn years() -> (FiscalYear, FiscalYear) {
    let now = FiscalYear::of(kenshu_core::japan_today());
    (now, now.next())
}

/// Staff member `login`, a clerk from the start of the year (with a note) and a file handler
/// until the day before, so that the designations page shows both kinds of line.
fn staff_designated<'p>(story: Scenario<'p>, login: &str) -> Scenario<'p> {
    let (now, _) = years();
    story
        .person(login, Role::Staff)
        .designated(DesignationKind::Clerk, now.start())
        .note("窓口の応援")
        .designated(
            DesignationKind::FileHandler,
            now.start() - Duration::days(90),
        )
        .until(now.start() - Duration::days(1))
}

/// A one-time sign-in link for `login`, as `kenshu links` issues them: the raw token.
async fn welcome_token(app: &TestApp, login: &str) -> String {
    let inst = kenshu_tests::institution(app.pool()).await.0;
    let mut conn = app.pool().acquire().await.expect("conn");
    let links = kenshu_db::person::issue_links(
        &mut conn,
        inst,
        &[login.into()],
        14,
        kenshu_db::token::pair,
    )
    .await
    .expect("issue a link");
    assert_eq!(links.len(), 1, "one link for {login}");
    links[0].3.clone()
}

async fn sign_out(b: &Session) {
    b.click_to_next_page("header.site form[action='/logout'] button", "#login")
        .await;
}

/// A CSV file on disk for the browser's file chooser; removed when dropped.
struct CsvFile {
    dir: PathBuf,
    path: PathBuf,
}

impl CsvFile {
    fn new(tag: &str, text: &str) -> CsvFile {
        let dir = std::env::temp_dir().join(format!(
            "kenshu-roster-{}-{tag}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        let path = dir.join("roster.csv");
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        CsvFile { dir, path }
    }
}

impl Drop for CsvFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Opens /roster, chooses `csv` in the real file input and asks for the dry run; returns
/// the report's text once it shows.
async fn upload_roster(b: &Session, app: &TestApp, tag: &str, csv: &str) -> String {
    let file = CsvFile::new(tag, csv);
    b.goto(&app.url("/roster")).await;
    b.type_into("input#file[type=file]", &file.path.display().to_string())
        .await;
    let report = b
        .click_to_next_page(
            "form[action^='/roster/preview'] button[type=submit]",
            "#report",
        )
        .await;
    let text = report.text().await.expect("report text");
    let url = b.current_url().await;
    assert!(
        url.contains("/roster/preview"),
        "the dry run answers the upload itself, at {url}"
    );
    text
}

/// axe-core over pages as they are now, collecting serious and critical violations.
struct Axe<'a> {
    b: &'a Session,
    source: String,
    serious: Vec<String>,
    pages: usize,
}

impl Axe<'_> {
    async fn check(&mut self, label: &str) {
        self.pages += 1;
        let found = self.b.axe(&self.source).await;
        for v in &found {
            println!("axe {label}: {v}");
            if v.starts_with("[critical]") || v.starts_with("[serious]") {
                self.serious.push(format!("{label}: {v}"));
            }
        }
        super::checks::record(self.b, &format!("officers {label}"), Some(&found), None).await;
    }

    /// Opens `path`, waits for `ready` and checks the page.
    async fn open(&mut self, app: &TestApp, path: &str, ready: &str, who: &str) {
        self.b.goto(&app.url(path)).await;
        self.b.wait_for(ready).await;
        self.check(&format!("{path} ({who})")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_no_serious_problems_on_the_officers_pages() {
    let Some(source) = axe_source() else {
        return;
    };
    let Some(b) = Session::launch("axe_finds_no_serious_problems_on_the_officers_pages").await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    // This year's courses were all due on its first day: everyone who was there is overdue
    // (期限超過) from the second day of the year, and the newcomer, who arrives today, gets a
    // course period of their own (個別研修). Whether both can show depends on the date: on
    // 1 April nothing is overdue yet.
    let (now, next) = years();
    let story = Scenario::new(app.pool())
        .plan(now)
        .every_course()
        .starts(now.start())
        .deadline(now.start())
        .retake_until(Some(now.end()))
        .approved()
        .person("chief", Role::ChiefOfficer)
        .person("officer", Role::ProtectionOfficer)
        .in_division("b");
    staff_designated(story, "staff1")
        .person("newcomer", Role::Staff)
        .arrived(kenshu_core::japan_today())
        .build()
        .await;
    let dated = kenshu_core::japan_today() > now.start();
    let token = welcome_token(&app, "newcomer").await;
    let started = Instant::now();
    let mut axe = Axe {
        b: &b,
        source,
        serious: Vec::new(),
        pages: 0,
    };

    // The check itself can fail: an image without a text alternative is a critical problem.
    b.goto(&app.url("/login")).await;
    b.wait_for("#login").await;
    b.execute(
        "document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"/static/favicon.svg\">'); return null;",
    )
    .await;
    let planted = b.axe(&axe.source).await;
    assert!(
        planted
            .iter()
            .any(|v| v.starts_with("[critical] image-alt")),
        "axe-core should report a planted image without alt text, reported {planted:?}"
    );

    // The newcomer chooses a password through the one-time link, once wrongly.
    let welcome = format!("/welcome/{token}");
    axe.open(&app, &welcome, "#new", "anonymous").await;
    b.type_into("#new", "kenshu-newcomer-1").await;
    b.type_into("#confirm", "kenshu-newcomer-2").await;
    let error = b
        .click_to_next_page("form.stack button[type=submit]", "p.notice.error")
        .await
        .text()
        .await
        .expect("error text");
    assert!(
        error.contains("一致しません"),
        "two different passwords are refused, the page says {error:?}"
    );
    axe.check("/welcome/… with a mismatch (anonymous)").await;
    b.type_into("#new", "kenshu-newcomer-1").await;
    b.type_into("#confirm", "kenshu-newcomer-1").await;
    let done = b
        .click_to_next_page("form.stack button[type=submit]", "p.notice.ok")
        .await
        .text()
        .await
        .expect("notice text");
    assert!(
        done.contains("パスワードを設定しました"),
        "after setting a password the sign-in page says so, shows {done:?}"
    );
    axe.check("/login?welcome=1 (anonymous)").await;
    sign_in_with(&b, &app, "newcomer", "kenshu-newcomer-1").await;
    if dated {
        let badges = b.texts("ul.cards .badge").await;
        assert!(
            badges.iter().any(|t| t == "個別研修"),
            "a newcomer's courses are 個別研修, badges {badges:?}"
        );
        let own = japanese_date(kenshu_core::japan_today() + Duration::days(30));
        let deadlines = b.texts("ul.cards .deadline").await;
        assert!(
            !deadlines.is_empty() && deadlines.iter().all(|d| *d == own),
            "a newcomer is due 30 days after arriving ({own}), deadlines {deadlines:?}"
        );
    }
    axe.check("/my (newcomer)").await;
    sign_out(&b).await;

    // A protection officer sees their own division only.
    sign_in(&b, &app, "officer").await;
    axe.open(&app, "/designations", "#designations", "protection officer")
        .await;
    assert_eq!(
        b.count("select#division").await,
        0,
        "a protection officer has no division to choose"
    );
    axe.open(&app, "/plans", "#plan-status", "protection officer")
        .await;
    sign_out(&b).await;

    // The chief officer sees the rest.
    sign_in(&b, &app, "chief").await;
    if dated {
        let badges = b.texts("ul.cards .badge").await;
        assert!(
            badges.iter().any(|t| t == "期限超過"),
            "past the deadline the chief officer's courses are 期限超過, badges {badges:?}"
        );
        let due = japanese_date(now.start());
        let deadlines = b.texts("ul.cards .deadline").await;
        assert!(
            !deadlines.is_empty() && deadlines.iter().all(|d| *d == due),
            "the plan's deadline shows in the Japanese era ({due}), deadlines {deadlines:?}"
        );
    }
    axe.check("/my (chief officer, overdue)").await;
    axe.open(&app, "/plans", "#plan-status", "chief officer")
        .await;
    axe.open(
        &app,
        &format!("/plans/{}/document", now.year()),
        "article.document",
        "chief officer",
    )
    .await;
    let next_path = format!("/plans?fy={}", next.year());
    axe.open(
        &app,
        &next_path,
        "form[action='/plans'] button[value=standard]",
        "chief officer, no plan",
    )
    .await;
    b.click_to_next_page(
        "form[action='/plans'] button[value=standard]",
        "form#edit-clerk",
    )
    .await;
    axe.check(&format!(
        "{next_path} (chief officer, draft with edit forms)"
    ))
    .await;
    axe.open(
        &app,
        &format!("/plans/{}/document", next.year()),
        "article.document",
        "chief officer, draft",
    )
    .await;
    axe.open(&app, "/designations", "#designations", "chief officer")
        .await;
    axe.open(
        &app,
        "/designations?division=b",
        "#designations",
        "chief officer",
    )
    .await;
    b.goto(&app.url("/people/staff1")).await;
    b.wait_for("#assignments").await;
    b.type_into("#reason", "前年度に同等の研修を修了済み").await;
    b.click_to_next_page(
        "form[action='/people/staff1/exemptions'] button[type=submit]",
        "#assignments",
    )
    .await;
    axe.check("/people/staff1 (chief officer, with an exemption)")
        .await;
    axe.open(&app, "/people/newcomer", "#assignments", "chief officer")
        .await;
    axe.open(&app, "/roster", "#tree", "chief officer").await;
    let report = upload_roster(&b, &app, "axe", ROSTER).await;
    assert!(
        report.contains("new=2 transfers=1"),
        "the dry run counts 2 new people and 1 transfer, shows {report:?}"
    );
    axe.check("/roster/preview (chief officer, dry run)").await;
    upload_roster(&b, &app, "axe-bad", BAD_ROSTER).await;
    b.wait_for("#report p.notice.error").await;
    b.wait_for("#error-counts").await;
    axe.check("/roster/preview (chief officer, errors)").await;
    axe.open(&app, "/officer", "#counts", "chief officer").await;
    axe.open(&app, "/overview", "#divisions", "chief officer")
        .await;
    axe.open(&app, "/reports", "main h1", "chief officer").await;
    axe.open(
        &app,
        "/insights?course=final-test",
        "#questions",
        "chief officer",
    )
    .await;
    axe.open(&app, "/audit?verify=1", "#verify-result", "chief officer")
        .await;

    println!(
        "axe: {} officers' pages in {:.1} s",
        axe.pages,
        started.elapsed().as_secs_f64()
    );
    let serious = std::mem::take(&mut axe.serious);
    b.close().await;
    assert!(
        serious.is_empty(),
        "axe-core found serious problems:\n{}",
        serious.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chief_officer_drafts_edits_approves_and_prints_next_years_plan() {
    let Some(b) =
        Session::launch("chief_officer_drafts_edits_approves_and_prints_next_years_plan").await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    user(app.pool(), "chief", Role::ChiefOfficer).await;
    // Protection officers in six divisions: the printed document's officers' table is long
    // enough to straddle a page break unless it is kept whole.
    let mut officers = Scenario::new(app.pool());
    for d in ["a", "b", "c", "d", "e", "f"] {
        if !matches!(d, "a" | "b") {
            officers = officers.division(d, &format!("{}課", d.to_uppercase()));
        }
        officers = officers
            .person(&format!("officer-{d}"), Role::ProtectionOfficer)
            .in_division(d);
    }
    officers.build().await;
    let (_, next) = years();
    sign_in(&b, &app, "chief").await;

    // The navigation leads to this year's plan; next year has none yet.
    b.click_to_next_page("header.site nav a[href='/plans']", "#plan-status")
        .await;
    b.click_to_next_page(
        &format!("p.crumbs a[href='/plans?fy={}']", next.year()),
        "main h1",
    )
    .await;
    let notice = b.text("main p.notice").await;
    assert!(
        notice.contains("まだありません"),
        "next year has no plan yet, the page says {notice:?}"
    );
    let draft = "form[action='/plans'] button[name=from][value=standard]";
    let label = b.text(draft).await;
    assert_eq!(
        label, "標準の計画で起案する",
        "the button that drafts the plan"
    );

    // Draft the standard plan: a draft with an edit form per course and an approve button.
    b.click_to_next_page(draft, "form#edit-clerk").await;
    let status = b.text("#plan-status").await;
    assert!(
        status.contains("起案中"),
        "a new plan is a draft, #plan-status shows {status:?}"
    );
    let deadline = "form#edit-clerk input[name=deadline]";
    let old = Date::from_calendar_date(next.year(), Month::December, 31).expect("date");
    assert_eq!(
        b.value(deadline).await,
        old.to_string(),
        "the standard plan is due on 31 December"
    );

    // A new deadline for the clerk course, saved through its own form.
    let new = Date::from_calendar_date(next.year(), Month::November, 30).expect("date");
    b.set_value(deadline, &new.to_string()).await;
    b.click_to_next_page(
        "form#edit-clerk button[type=submit]:not([formaction])",
        "form#edit-clerk",
    )
    .await;
    assert_eq!(
        b.value(deadline).await,
        new.to_string(),
        "the saved deadline shows in the edit form"
    );
    let rows = b.texts("table.data tbody tr").await;
    let clerk = rows
        .iter()
        .find(|r| r.contains("事務取扱担当者研修"))
        .unwrap_or_else(|| panic!("the plan lists the clerk course, rows {rows:?}"));
    assert!(
        clerk.contains(&japanese_date(new)),
        "the clerk course's period ends on the new deadline {}, row {clerk:?}",
        japanese_date(new)
    );
    let others: Vec<_> = rows.iter().filter(|r| *r != clerk).collect();
    assert!(
        others.iter().all(|r| r.contains(&japanese_date(old))),
        "the other courses keep 31 December, rows {others:?}"
    );
    b.save_full_page_screenshot("plan-draft").await;

    // Approve: the plan is in force and no longer editable.
    b.click_to_next_page(
        &format!("form[action='/plans/{}/approve'] button", next.year()),
        "#plan-status",
    )
    .await;
    let status = b.text("#plan-status").await;
    assert!(
        status.contains("承認済み") && status.contains("試験 chief"),
        "the approved plan names who approved it, #plan-status shows {status:?}"
    );
    assert_eq!(
        b.count("form.course-edit").await,
        0,
        "no edit forms once approved"
    );
    assert_eq!(
        b.count(&format!("form[action='/plans/{}/approve']", next.year()))
            .await,
        0,
        "no approve button once approved"
    );

    // The printable 研修計画書 shows the new deadline in the Japanese era.
    b.click_to_next_page(
        &format!("a.button[href='/plans/{}/document']", next.year()),
        "article.document",
    )
    .await;
    let title = b.text("article.document h1").await;
    assert!(
        title.contains("研修計画書"),
        "the document's title, shows {title:?}"
    );
    let wareki = japanese_date(new);
    assert!(
        wareki.starts_with("令和"),
        "{new} is in 令和, formatted {wareki:?}"
    );
    let rows = b.texts("article.document table.data tbody tr").await;
    let clerk = rows
        .iter()
        .find(|r| r.contains("事務取扱担当者研修"))
        .unwrap_or_else(|| panic!("the document lists the clerk course, rows {rows:?}"));
    assert!(
        clerk.contains(&format!("〜 {wareki}")),
        "the document gives the clerk course's deadline as {wareki}, row {clerk:?}"
    );
    assert!(
        !clerk.contains(&new.to_string()) && !clerk.contains(&new.year().to_string()),
        "the document gives dates in the era only, row {clerk:?}"
    );
    let approval = b.text("article.document table.approval").await;
    assert!(
        approval.contains("試験 chief") && approval.contains("令和"),
        "the approval box names the approver and the date, shows {approval:?}"
    );
    let print = b.text("button[data-print]").await;
    assert_eq!(print, "印刷する", "the document offers to print");
    b.save_full_page_screenshot("plan-document").await;

    // On paper: no site header, navigation, buttons or forms; the document itself stays.
    b.cdp("Emulation.setEmulatedMedia", json!({ "media": "print" }))
        .await;
    let shown = b
        .execute(
            "const shown = el => !!el && el.checkVisibility();
             return {
               header: shown(document.querySelector('header.site')),
               footer: shown(document.querySelector('footer.site')),
               button: shown(document.querySelector('button[data-print]')),
               crumbs: shown(document.querySelector('p.crumbs')),
               document: shown(document.querySelector('article.document')),
             };",
        )
        .await;
    b.save_full_page_screenshot("plan-document-print").await;
    b.cdp("Emulation.setEmulatedMedia", json!({ "media": "" }))
        .await;
    assert_eq!(
        shown,
        json!({ "header": false, "footer": false, "button": false, "crumbs": false, "document": true }),
        "printed, only the document shows"
    );

    // On A4, wherever the officers' table falls, it is not split across two pages: a mark
    // (a link) in each of its rows, and space of growing height above it, printed each time.
    let rows = b
        .execute(
            "const rows = document.querySelectorAll('#officers tbody tr');
             rows.forEach((tr, i) => {
               const a = document.createElement('a');
               a.href = `https://officer-row-${i}.invalid/`;
               a.textContent = '.';
               tr.lastElementChild.append(a);
             });
             const spacer = document.createElement('div');
             spacer.id = 'spacer';
             document.getElementById('officers').before(spacer);
             return rows.length;",
        )
        .await;
    assert_eq!(rows, json!(7), "the chief and six protection officers");
    let mut pages_seen = Vec::new();
    for step in 0..10 {
        b.execute(&format!(
            "document.getElementById('spacer').style.height = '{}px';",
            step * 110
        ))
        .await;
        let pdf = b.print_pdf(&format!("plan-document-{step}")).await;
        let links = pdf_link_pages(&pdf);
        let pages: Vec<usize> = links
            .iter()
            .filter(|(uri, _)| uri.contains("officer-row-"))
            .map(|(_, page)| *page)
            .collect();
        assert_eq!(pages.len(), 7, "every row's mark is in the PDF: {links:?}");
        assert!(
            pages.iter().all(|p| *p == pages[0]),
            "with {} px above it the officers' table is split over pages {pages:?}",
            step * 110
        );
        pages_seen.push(pages[0]);
    }
    pages_seen.dedup();
    assert!(
        pages_seen.len() > 1,
        "the space above moved the table across a page break: {pages_seen:?}"
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officers_pages_fit_a_phone_screen_without_sideways_scrolling() {
    let Some(b) =
        Session::launch("officers_pages_fit_a_phone_screen_without_sideways_scrolling").await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    let (now, next) = years();
    let story = Scenario::new(app.pool())
        .plan(next)
        .person("chief", Role::ChiefOfficer);
    staff_designated(story, "staff1").build().await;
    b.phone(390, 844).await;
    sign_in(&b, &app, "chief").await;

    let mut problems = Vec::new();
    let mut check = async |shot: &str| {
        let url = b.current_url().await;
        if let Some(o) = phone_overflow(&b).await {
            problems.push(format!("{url}: {o}"));
        }
        b.save_full_page_screenshot(&format!("phone-{shot}")).await;
    };
    for (path, ready, shot) in [
        ("/plans".to_string(), "#plan-status", "plans"),
        (
            format!("/plans?fy={}", next.year()),
            "form#edit-clerk",
            "plans-draft",
        ),
        (
            format!("/plans/{}/document", now.year()),
            "article.document",
            "plan-document",
        ),
        ("/designations".to_string(), "#designations", "designations"),
        (
            "/people/staff1".to_string(),
            "#assignments",
            "people-staff1",
        ),
        ("/roster".to_string(), "#tree", "roster"),
    ] {
        b.goto(&app.url(&path)).await;
        b.wait_for(ready).await;
        check(shot).await;
    }
    upload_roster(&b, &app, "phone", ROSTER).await;
    check("roster-report").await;
    upload_roster(&b, &app, "phone-bad", BAD_ROSTER).await;
    b.wait_for("#error-counts").await;
    check("roster-errors").await;
    b.close().await;
    assert!(
        problems.is_empty(),
        "pages scroll sideways at 390 px:\n{}",
        problems.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chief_reads_which_questions_are_missed_on_desktop_and_phone() {
    let Some(b) =
        Session::launch("the_chief_reads_which_questions_are_missed_on_desktop_and_phone").await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    kenshu_tests::exam::answers_in_two_divisions(&app).await;
    let mut problems = Vec::new();
    sign_in(&b, &app, "chief").await;
    b.click_to_next_page("header.site nav a[href='/insights']", "#questions")
        .await;
    b.click_to_next_page("nav.filters a[href$='course=final-test']", "#questions")
        .await;
    let shares = b.texts("#questions td.share").await;
    assert_eq!(
        shares,
        [
            "42.9%", "57.1%", "57.1%", "42.9%", "42.9%", "57.1%", "42.9%", "42.9%", "42.9%",
            "57.1%"
        ],
        "each question's share right on the first attempt, 7 people"
    );
    let missed = b.texts("#missed h3").await;
    assert_eq!(
        missed,
        [
            "設問1（正答率 42.9%）",
            "設問4（正答率 42.9%）",
            "設問5（正答率 42.9%）"
        ],
        "the three missed most, with their explanations below"
    );
    snap(&b, &axe_source(), "insights-chief", &mut problems).await;
    b.close().await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
