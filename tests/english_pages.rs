//! Every page in English (issue 13, item 6): each role signs in, chooses English on the settings
//! page (their browser still asks for Japanese first), and reads every page of `routes.rs`;
//! outside the course material and the names the data holds, no page shows Japanese.

use std::collections::{BTreeMap, BTreeSet};

use kenshu_core::i18n::EN;
use kenshu_core::person::Role;
use kenshu_tests::http::Page;
use kenshu_tests::{Browser, Scenario, TestApp, repo_root};
use uuid::Uuid;

/// The final test's answers from the seed.
const FINAL_KEY: [&str; 10] = ["x", "o", "o", "x", "x", "o", "x", "x", "x", "o"];

/// Japanese written on purpose in an English page, and why.
const ALLOWED: &[(&str, &str)] = &[
    // The switch names each language in itself, and so does the settings page's choice.
    ("日本語", "a language is named in itself"),
];

/// GET routes that answer machines, not people: no page to read.
const NOT_PAGES: &[&str] = &["/healthz", "/readyz", "/metrics", "/static/{name}"];

/// The signed-in people of the story, one per role.
const PEOPLE: [(&str, Role); 5] = [
    ("staff1", Role::Staff),
    ("officer1", Role::ProtectionOfficer),
    ("chief1", Role::ChiefOfficer),
    ("auditor1", Role::AuditOfficer),
    ("admin1", Role::PortalAdmin),
];

/// Kana, kanji, Japanese punctuation and full-width forms.
fn is_japanese(c: char) -> bool {
    matches!(c as u32, 0x3000..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF)
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The course material, as one text: what a page may show in Japanese as course content.
fn material() -> String {
    let mut text = String::new();
    let mut dirs = vec![repo_root().join("content")];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir).expect("content dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "toml" || x == "md")
                && p.file_name().is_some_and(|n| n != "README.md")
            {
                text.push_str(&std::fs::read_to_string(&p).expect("content file"));
                text.push('\n');
            }
        }
    }
    collapse(&text)
}

/// The one-line texts of the material (`key = "…"` in `course.toml`: titles, statements,
/// references): they appear inside sentences of the chrome (a page's title, a certificate).
fn material_lines() -> Vec<String> {
    let mut lines = Vec::new();
    let shipped = std::fs::read_dir(repo_root().join("content")).expect("content dir");
    let packages = std::fs::read_dir(repo_root().join("content/packages")).expect("packages");
    for e in shipped.chain(packages).flatten() {
        let Ok(toml) = std::fs::read_to_string(e.path().join("course.toml")) else {
            continue;
        };
        for line in toml.lines() {
            if let Some((_, v)) = line.split_once(" = \"")
                && let Some(v) = v.strip_suffix('"')
                && v.chars().any(is_japanese)
            {
                lines.push(collapse(v));
            }
        }
    }
    lines
}

/// What a person reads of a page: its text between tags and the attributes said aloud or
/// shown (`aria-label`, `title`, `placeholder`, `alt`), without the rendered sections of the
/// course material (`<article class="prose">`) and the text an author edits (`<textarea>`).
fn readable(html: &str) -> Vec<String> {
    let mut html = html.to_string();
    for (open, close) in [
        ("<article class=\"prose\"", "</article>"),
        ("<textarea", "</textarea>"),
    ] {
        while let Some(start) = html.find(open) {
            let end = html[start..]
                .find(close)
                .map_or(html.len(), |e| start + e + close.len());
            html.replace_range(start..end, "");
        }
    }
    let mut out = Vec::new();
    let mut rest = html.as_str();
    while let Some(open) = rest.find('<') {
        out.push(rest[..open].to_string());
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let tag = &rest[open..open + close];
        for attr in ["aria-label=\"", "title=\"", "placeholder=\"", "alt=\""] {
            if let Some(at) = tag.find(attr) {
                let v = &tag[at + attr.len()..];
                out.push(v[..v.find('"').unwrap_or(v.len())].to_string());
            }
        }
        rest = &rest[open + close + 1..];
    }
    out.push(rest.to_string());
    out.into_iter()
        .map(|s| collapse(&s))
        .filter(|s| s.chars().any(is_japanese))
        .collect()
}

/// The Japanese text of an English page that is neither course material nor data.
fn japanese_chrome(html: &str, material: &str, data: &[String]) -> Vec<String> {
    let mut left = Vec::new();
    for node in readable(html) {
        // A whole text of the material (a course's or a section's title, a question): content.
        if node.chars().count() >= 4 && material.contains(&node) {
            continue;
        }
        let mut rest = node.clone();
        for d in data
            .iter()
            .map(String::as_str)
            .chain(ALLOWED.iter().map(|a| a.0))
        {
            rest = rest.replace(d, "");
        }
        if rest.chars().any(is_japanese) {
            left.push(node);
        }
    }
    left
}

/// Signs in and chooses English on the settings page.
async fn english(app: &TestApp, login: &str) -> Browser {
    let mut b = app.signed_in(login).await;
    b.get("/settings").await;
    let saved = b.post("/settings", &[("language", "en")]).await;
    assert_eq!(saved.status, 303, "{login}: {}", saved.body);
    b
}

/// The `get(` routes of `routes.rs`, by their templates.
fn get_routes() -> BTreeSet<String> {
    let source = std::fs::read_to_string(repo_root().join("crates/kenshu-web/src/routes.rs"))
        .expect("routes.rs");
    let flat = collapse(&source);
    let mut found = BTreeSet::new();
    let mut rest = flat.as_str();
    while let Some(at) = rest.find(".route(\"") {
        rest = &rest[at + ".route(\"".len()..];
        let path = &rest[..rest.find('"').unwrap_or(0)];
        let args = &rest[..rest.find(".route(").unwrap_or(rest.len())];
        if args.contains(" get(") || args.contains("\", get(") {
            found.insert(path.to_string());
        }
    }
    found
}

#[tokio::test]
async fn every_page_a_person_who_chose_english_reads_is_english_outside_the_material() {
    let app = TestApp::spawn().await;
    let mut s = Scenario::new(app.pool());
    for (login, role) in PEOPLE {
        s = s.person(login, role);
    }
    let s = s
        .completed("staff1", "cybersecurity")
        .exempted("officer1", "cybersecurity", "Long-term leave")
        .build()
        .await;
    assert_ne!(s.id("staff1"), Uuid::nil());
    // A draft of the chief's own course (the shipped example package), to read its page.
    // With an image in its first section, to read the address it is served from.
    let png = std::fs::read(repo_root().join("tests/fixtures/images/窓口の案内.png")).expect("png");
    let mut files = kenshu_tests::package_files(&repo_root().join("content/packages/system-admin"));
    files[1].1.push_str("\n![](images/desk.png)\n");
    files.push((
        "images/desk.png".into(),
        kenshu_core::content::image::encode(&png),
    ));
    let image_sha = kenshu_core::content::image::check_image("desk.png", png)
        .expect("an image")
        .sha256;
    let upload = kenshu_app::package::Upload {
        folder: "system-admin".into(),
        files,
    };
    let mut conn = app.pool().acquire().await.expect("connection");
    kenshu_app::package::upload_draft(
        &mut conn,
        &kenshu_db::content::Catalog::new(),
        Some(s.institution()),
        s.id("chief1"),
        &upload,
    )
    .await
    .expect("the draft");
    drop(conn);

    let mut browsers: BTreeMap<&str, Browser> = BTreeMap::new();
    for (login, _) in PEOPLE {
        browsers.insert(login, english(&app, login).await);
    }

    // A rule the chief officer published, for everyone to read.
    let chief = browsers.get_mut("chief1").expect("chief");
    chief.get("/manage/rules").await;
    let published = chief
        .post(
            "/manage/rules",
            &[
                ("code", "policy"),
                ("title", "Security policy"),
                ("min_read_secs", "0"),
                ("body", "Keep passwords secret."),
            ],
        )
        .await;
    assert_eq!(published.status, 303, "{}", published.body);

    // A mail drill the chief officer launched, written in English, and one person's link.
    let chief = browsers.get_mut("chief1").expect("chief");
    chief.get("/drills/new").await;
    let at = |minutes: i64| {
        let t = (time::OffsetDateTime::now_utc() + time::Duration::minutes(minutes))
            .to_offset(kenshu_core::fiscal_year::JST);
        format!("{}T{:02}:{:02}", t.date(), t.hour(), t.minute())
    };
    let (start, end) = (at(-1), at(180));
    let prepared = chief
        .post(
            "/drills",
            &[
                ("title", "December drill"),
                ("sender_name", "Supplier accounts"),
                ("subject", "Invoice"),
                ("body", "Dear {name}, see {link}"),
                ("clues", "A supplier you do not deal with"),
                ("audience", "all"),
                ("window_start", &start),
                ("window_end", &end),
                ("per_minute", "100"),
                ("follow_up_course", "cybersecurity"),
                ("follow_up_days", "14"),
            ],
        )
        .await;
    assert_eq!(prepared.status, 303, "{}", prepared.body);
    let drill = prepared.location.clone().expect("the drill's page");
    assert_eq!(
        chief.post(&format!("{drill}/launch"), &[]).await.status,
        303
    );
    let mail: String = sqlx::query_scalar(
        "select body from mail_outbox where drill_campaign_id is not null limit 1",
    )
    .fetch_one(app.pool())
    .await
    .expect("a drill mail");
    let link = mail[mail.find("/d/").expect("a link")..]
        .split_whitespace()
        .next()
        .expect("the link")
        .to_string();

    // An in-person session of the officer's division, today, with the staff member on it.
    let officer = browsers.get_mut("officer1").expect("officer");
    officer.get("/officer/sessions").await;
    let today = kenshu_core::japan_today().to_string();
    let made = officer
        .post(
            "/officer/sessions",
            &[
                ("course", "clerk"),
                ("division", "a"),
                ("date", &today),
                ("starts", "00:00"),
                ("ends", "23:59"),
                ("place", "Room 3"),
                ("capacity", "10"),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let session = made
        .location
        .and_then(|l| l.strip_prefix("/officer/sessions/").map(str::to_string))
        .expect("the session's page");
    officer
        .post(
            &format!("/officer/sessions/{session}/nominate"),
            &[("logins", "staff1")],
        )
        .await;

    // The staff member passes the final test online: an attempt to look back at.
    let staff = browsers.get_mut("staff1").expect("staff");
    staff.get("/courses/final-test/test").await;
    let attempt = Uuid::new_v4().to_string();
    let names: Vec<String> = (1..=10).map(|n| format!("q{n}")).collect();
    let mut fields: Vec<(&str, &str)> = vec![("attempt", attempt.as_str())];
    for (i, name) in names.iter().enumerate() {
        fields.push((name.as_str(), FINAL_KEY[i]));
    }
    let passed = staff.post("/courses/final-test/test/submit", &fields).await;
    assert_eq!(passed.status, 303, "{}", passed.body);
    let attempt_page = passed.location.expect("the attempt's page");

    let fy = kenshu_core::FiscalYear::of(kenshu_core::japan_today())
        .start()
        .year();
    // Every GET route, by its template, and the page of it read here.
    let pages: Vec<(&str, String)> = vec![
        ("/", "/".into()),
        ("/login", "/login".into()),
        ("/password", "/password".into()),
        ("/settings", "/settings".into()),
        ("/second-factor", "/second-factor".into()),
        ("/language/{code}", "/language/en".into()),
        ("/welcome/{token}", "/welcome/not-a-token".into()),
        ("/my", "/my".into()),
        ("/courses", "/courses".into()),
        ("/courses/{code}", "/courses/clerk".into()),
        // Redirects, to the section or the course to go on with.
        ("/courses/{code}/continue", "/courses/clerk/continue".into()),
        ("/my/next", "/my/next?after=clerk".into()),
        (
            "/certificates/verify",
            format!("/certificates/verify?no=TEST-{fy}-0000-0000-0000"),
        ),
        (
            "/courses/{code}/sections/{slug}",
            "/courses/clerk/sections/system-overview".into(),
        ),
        ("/courses/{code}/test", "/courses/clerk/test".into()),
        ("/courses/{code}/attempts/{id}", attempt_page.clone()),
        ("/certificates/{code}", "/certificates/cybersecurity".into()),
        ("/admin/content", "/admin/content".into()),
        ("/manage/courses", "/manage/courses".into()),
        ("/rules", "/rules".into()),
        ("/rules/{code}", "/rules/policy".into()),
        ("/manage/rules", "/manage/rules".into()),
        ("/manage/rules/{code}", "/manage/rules/policy".into()),
        (
            "/manage/courses/drafts/{code}",
            "/manage/courses/drafts/system-admin".into(),
        ),
        (
            "/manage/courses/{code}/export.zip",
            "/manage/courses/clerk/export.zip".into(),
        ),
        (
            "/manage/courses/{code}/versions",
            "/manage/courses/clerk/versions".into(),
        ),
        (
            "/manage/courses/drafts/{code}/files.zip",
            "/manage/courses/drafts/system-admin/files.zip".into(),
        ),
        ("/manage/courses/new", "/manage/courses/new".into()),
        (
            "/manage/courses/drafts/{code}/edit",
            "/manage/courses/drafts/system-admin/edit".into(),
        ),
        (
            "/manage/courses/drafts/{code}/sections/{slug}",
            "/manage/courses/drafts/system-admin/sections/accounts".into(),
        ),
        (
            "/manage/courses/drafts/{code}/questions/{at}",
            "/manage/courses/drafts/system-admin/questions/3".into(),
        ),
        ("/media/{sha256}", format!("/media/{image_sha}")),
        ("/admin/mail", "/admin/mail".into()),
        ("/admin/sign-in", "/admin/sign-in".into()),
        ("/plans", "/plans".into()),
        ("/plans/{fy}/document", format!("/plans/{fy}/document")),
        ("/designations", "/designations".into()),
        ("/officer", "/officer".into()),
        ("/officer/digests", "/officer/digests".into()),
        ("/drills", "/drills".into()),
        ("/drills/new", "/drills/new".into()),
        ("/drills/{id}", drill.clone()),
        ("/d/{token}", link.clone()),
        ("/report-mail", "/report-mail".into()),
        ("/officer/deputies", "/officer/deputies".into()),
        ("/overview", "/overview".into()),
        ("/insights", "/insights?course=final-test".into()),
        ("/insights.csv", "/insights.csv?course=final-test".into()),
        ("/insights.xlsx", "/insights.xlsx?course=final-test".into()),
        ("/people/{login}", "/people/staff1".into()),
        ("/audit", "/audit".into()),
        ("/roster", "/roster".into()),
        ("/officer/sessions", "/officer/sessions".into()),
        (
            "/officer/sessions/{id}",
            format!("/officer/sessions/{session}"),
        ),
        (
            "/officer/sessions/{id}/qr",
            format!("/officer/sessions/{session}/qr"),
        ),
        ("/sessions", "/sessions".into()),
        ("/checkin/{id}", format!("/checkin/{session}?exp=0&sig=x")),
        ("/reports", "/reports".into()),
        (
            "/reports/annual",
            format!("/reports/annual?fy={fy}&format=html"),
        ),
        (
            "/reports/attendance",
            format!("/reports/attendance?fy={fy}&course=clerk&format=html"),
        ),
        ("(none)", "/no-such-page".into()),
    ];
    let listed: BTreeSet<String> = pages.iter().map(|p| p.0.to_string()).collect();
    let missing: Vec<_> = get_routes()
        .difference(&listed)
        .filter(|r| !NOT_PAGES.contains(&r.as_str()))
        .cloned()
        .collect();
    assert!(
        missing.is_empty(),
        "GET routes this test does not read: {missing:?}"
    );

    let material = material();
    let mut data: Vec<String> = vec!["テスト市".into(), "A課".into(), "B課".into()];
    for (login, _) in PEOPLE {
        data.push(format!("試験 {login}"));
    }
    data.extend(material_lines());
    // The plans' texts are the institution's own (the standard plan's are Japanese).
    let texts: Vec<(String, String)> = sqlx::query_as("select purpose, method from training_plans")
        .fetch_all(app.pool())
        .await
        .expect("plan texts");
    for (purpose, method) in texts {
        data.push(collapse(&purpose));
        data.push(collapse(&method));
    }
    // English values that keep a legal title in Japanese on purpose (the catalogue's own
    // allow-list, `i18n::tests::KEEPS_JAPANESE`).
    for v in [
        EN.visiting_title,
        EN.overview_officers,
        EN.designations_lead,
        EN.designation_kind_fix,
    ] {
        data.push(collapse(v));
    }
    data.sort_by_key(|d| std::cmp::Reverse(d.len()));

    let mut problems = Vec::new();
    let mut seen_ok: BTreeSet<&str> = BTreeSet::new();
    for (login, _) in PEOPLE {
        let b = browsers.get_mut(login).expect("browser");
        for (route, path) in &pages {
            let page: Page = b.get(path).await;
            let html = page
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/html"));
            if page.status == 200 {
                seen_ok.insert(route);
            }
            if !html || page.body.is_empty() {
                continue;
            }
            if !page.body.contains("<html lang=\"en\">") && !page.body.contains("lang=\"en\"") {
                problems.push(format!("{login} {path}: not lang=en"));
            }
            let left = japanese_chrome(&page.body, &material, &data);
            if !left.is_empty() {
                problems.push(format!("{login} {path} ({}): {left:?}", page.status));
            }
        }
    }

    // Before sign-in, a browser that asks for English.
    let anon = kenshu_tests::http::browser_like()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for path in [
        "/login",
        "/welcome/not-a-token",
        "/no-such-page",
        "/certificates/verify?no=nonsense",
    ] {
        let res = anon
            .get(app.url(path))
            .header("accept-language", "en-US,en;q=0.9")
            .header("accept-encoding", "gzip, deflate, br")
            .send()
            .await
            .expect("GET");
        let body = res.text().await.expect("body");
        let left = japanese_chrome(&body, &material, &data);
        if !left.is_empty() {
            problems.push(format!("(signed out) {path}: {left:?}"));
        }
    }

    let never: Vec<_> = pages
        .iter()
        .map(|p| p.0)
        .filter(|r| {
            !seen_ok.contains(r)
                && !matches!(
                    *r,
                    "(none)"
                        | "/language/{code}"
                        | "/"
                        | "/login"
                        | "/welcome/{token}"
                        | "/checkin/{id}"
                        | "/courses/{code}/continue"
                        | "/my/next"
                )
        })
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(never.is_empty(), "no role read these pages: {never:?}");
}

#[test]
fn the_check_finds_japanese_chrome_but_not_material_or_data() {
    let material = collapse("title = \"事務取扱担当者研修\"\n本文の段落です。");
    let data = vec!["試験 staff1".to_string(), "事務取扱担当者研修".to_string()];
    let page = "<title>事務取扱担当者研修 | Kenshu</title>\
        <article class=\"prose\"><p>本文の段落です。</p></article>\
        <p>Hello, 試験 staff1</p><p aria-label=\"受講状況\">Status</p>\
        <a lang=\"ja\">日本語</a><p>Completed on: 1 Apr 2026・Score 10</p>";
    assert_eq!(
        japanese_chrome(page, &material, &data),
        ["受講状況", "Completed on: 1 Apr 2026・Score 10"]
    );
}
