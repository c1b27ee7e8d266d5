//! 教材の管理: an institution's own course, brought in as a package (zip) by the chief officer,
//! checked as a draft shown as staff will see it, published as a version (in the audit log),
//! seen and taken only in that institution, exported, and brought into a second institution
//! under another code; the shipped courses export byte for byte and come back unchanged.

use std::io::Read;

use kenshu_core::person::Role;
use kenshu_tests::{Browser, PASSWORD, Scenario, TestApp, package_files, repo_root, user};

fn system_admin_zip() -> Vec<u8> {
    let dir = repo_root().join("content/packages/system-admin");
    kenshu_app::package::write_zip("system-admin", &package_files(&dir)).unwrap()
}

/// The files of a zip, by name.
fn unzip(bytes: &[u8]) -> Vec<(String, String)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a zip");
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut text = String::new();
            f.read_to_string(&mut text).unwrap();
            (f.name().unwrap().to_string(), text)
        })
        .collect()
}

/// Uploads `zip` (with `code`, if any) as a browser's form does; (status, location, body).
async fn upload(
    b: &mut Browser,
    zip: Vec<u8>,
    code: Option<&str>,
) -> (u16, Option<String>, String) {
    // The form's page first, as a browser has it (and its CSRF token).
    b.get("/manage/courses").await;
    let part = reqwest::multipart::Part::bytes(zip).file_name("course.zip");
    let mut form = reqwest::multipart::Form::new().part("file", part);
    if let Some(code) = code {
        form = form.text("code", code.to_string());
    }
    let page = b.post_multipart("/manage/courses/upload", form).await;
    (page.status.as_u16(), page.location, page.body)
}

async fn sign_in_at(app: &TestApp, institution: &str, login: &str) -> Browser {
    let mut b = app.browser();
    b.get("/login").await;
    let res = b
        .post(
            "/login",
            &[
                ("institution", institution),
                ("login", login),
                ("password", PASSWORD),
                ("next", "/my"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{login}@{institution}: {}", res.body);
    b
}

async fn zip_download(b: &Browser, path: &str) -> (u16, Vec<u8>) {
    let res = b
        .client
        .get(format!("{}{path}", b.base))
        .header("accept-encoding", "gzip, deflate, br")
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn a_chief_brings_in_publishes_and_exports_an_own_course_that_only_their_institution_sees() {
    let app = TestApp::spawn().await;
    user(app.pool(), "chief", Role::ChiefOfficer).await;
    user(app.pool(), "staff", Role::Staff).await;
    Scenario::institution(app.pool(), "other", "別の町")
        .division("x", "X課")
        .person("chief", Role::ChiefOfficer)
        .person("staff", Role::Staff)
        .build()
        .await;
    let mut chief = sign_in_at(&app, "test", "chief").await;

    // The upload is a draft: nothing is published yet.
    let (status, location, body) = upload(&mut chief, system_admin_zip(), None).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(
        location.as_deref(),
        Some("/manage/courses/drafts/system-admin")
    );
    let versions: i64 = sqlx::query_scalar(
        "select count(*) from content_versions where course_code = 'system-admin'",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(versions, 0, "a draft is not a version");
    let draft = chief.get("/manage/courses/drafts/system-admin").await;
    assert_eq!(draft.status, 200);
    for shown in [
        "新しい研修として第1版が公開されます。",
        "<h2>1-2 利用者IDとアクセス権限</h2>",
        "Kenshu（研修ポータル）が例として用意した独自の教材です",
        "毎回5問を出題",
        "異動のその日のうちに外す <strong>（正答）</strong>",
    ] {
        assert!(draft.body.contains(shown), "{shown}: {}", draft.body);
    }
    let mut staff = sign_in_at(&app, "test", "staff").await;
    assert_eq!(
        staff.get("/courses/system-admin").await.status,
        404,
        "not before publishing"
    );

    let published = chief
        .post("/manage/courses/drafts/system-admin/publish", &[])
        .await;
    assert_eq!(published.status, 303, "{}", published.body);
    let list = chief.get("/manage/courses").await;
    assert!(list.body.contains("教材を公開しました。"), "{}", list.body);
    let row = &list.body[list
        .body
        .find("id=\"course-system-admin\"")
        .expect("listed")..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains("当機関の教材") && row.contains(">1</a></td>"),
        "{row}"
    );
    let (action, subject): (String, String) = sqlx::query_as(
        "select action, subject from audit_log where action = 'content_loaded' order by seq desc limit 1",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(
        (action.as_str(), subject.as_str()),
        ("content_loaded", "system-admin v1")
    );

    // Staff of this institution take it; the other institution does not see it at all.
    let course = staff.get("/courses/system-admin").await;
    assert_eq!(course.status, 200);
    assert!(course.body.contains("第1節 利用者IDとアクセス権限"));
    let mut other_chief = sign_in_at(&app, "other", "chief").await;
    let mut other_staff = sign_in_at(&app, "other", "staff").await;
    for path in [
        "/courses/system-admin",
        "/courses/system-admin/sections/accounts",
        "/courses/system-admin/test",
    ] {
        let page = other_staff.get(path).await;
        assert_eq!(page.status, 404, "{path}");
        assert!(
            !page.body.contains("利用者IDとアクセス権限"),
            "{path} leaks nothing"
        );
    }
    let other_list = other_chief.get("/manage/courses").await;
    assert!(
        !other_list.body.contains("id=\"course-system-admin\""),
        "{}",
        other_list.body
    );
    assert!(!other_list.body.contains("情報システム管理者向け研修"));
    assert_eq!(
        zip_download(&other_chief, "/manage/courses/system-admin/export.zip")
            .await
            .0,
        404
    );
    let plan = other_chief.get("/plans").await;
    assert!(
        !plan.body.contains("情報システム管理者向け研修"),
        "not offered to another plan"
    );

    // Exported, it is the package as written; the other institution brings it in under a
    // code of its own (the same code is taken), and it becomes that institution's course.
    let (status, zip) = zip_download(&chief, "/manage/courses/system-admin/export.zip").await;
    assert_eq!(status, 200);
    let dir = repo_root().join("content/packages/system-admin");
    let expected: Vec<(String, String)> = package_files(&dir)
        .into_iter()
        .map(|(p, t)| (format!("system-admin/{p}"), t))
        .collect();
    assert_eq!(unzip(&zip), expected);
    let (status, _, body) = upload(&mut other_chief, zip.clone(), None).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("研修の記号 &#39;system-admin&#39; はほかの研修が使っています"),
        "{body}"
    );
    let (status, location, body) = upload(&mut other_chief, zip, Some("system-admin-other")).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(
        location.as_deref(),
        Some("/manage/courses/drafts/system-admin-other")
    );
    let published = other_chief
        .post("/manage/courses/drafts/system-admin-other/publish", &[])
        .await;
    assert_eq!(published.status, 303);
    let course = other_staff.get("/courses/system-admin-other").await;
    assert_eq!(course.status, 200);
    assert_eq!(staff.get("/courses/system-admin-other").await.status, 404);
    // Its questions link to its own sections under the new code.
    let test = other_staff.get("/courses/system-admin-other/test").await;
    assert_eq!(test.status, 200, "{}", test.body);

    // A second version: one question reworded. The draft names it; the history keeps both
    // versions and compares them.
    let files: Vec<(String, String)> = package_files(&dir)
        .into_iter()
        .map(|(p, t)| {
            (
                p,
                t.replace(
                    "一つの利用者IDを共用してよい。",
                    "一つの利用者IDを共用してもよい。",
                ),
            )
        })
        .collect();
    let zip = kenshu_app::package::write_zip("system-admin", &files).unwrap();
    let (status, _, body) = upload(&mut chief, zip, None).await;
    assert_eq!(status, 303, "{body}");
    let draft = chief.get("/manage/courses/drafts/system-admin").await;
    assert!(
        draft.body.contains("公開すると新しい版になります: 第2版"),
        "{}",
        draft.body
    );
    assert!(
        draft.body.contains("<dt>変更される問題</dt><dd>問1 </dd>"),
        "{}",
        draft.body
    );
    chief
        .post("/manage/courses/drafts/system-admin/publish", &[])
        .await;
    let history = chief.get("/manage/courses/system-admin/versions").await;
    assert_eq!(history.status, 200);
    assert!(history.body.contains("id=\"v2\"") && history.body.contains("id=\"v1\""));
    assert!(
        history.body.contains("第1版から第2版への変更"),
        "{}",
        history.body
    );
    assert!(history.body.contains("<dd>問1 </dd>"), "{}", history.body);
    let same = chief
        .get("/manage/courses/system-admin/versions?from=2&to=2")
        .await;
    assert!(
        !same.body.contains("id=\"compared\""),
        "a version is not compared with itself"
    );
    // The first completion's version stays what it was: versions never change.
    let changed =
        sqlx::query("update content_versions set sha256 = 'x' where course_code = 'system-admin'")
            .execute(app.pool())
            .await;
    assert!(changed.is_err(), "a stored version cannot change");
    assert_eq!(
        other_chief
            .get("/manage/courses/system-admin/versions")
            .await
            .status,
        404,
        "nor can another institution read its history"
    );
}

#[tokio::test]
async fn a_shipped_course_exports_byte_for_byte_and_comes_back_unchanged() {
    let app = TestApp::spawn().await;
    user(app.pool(), "admin", Role::PortalAdmin).await;
    let mut admin = app.signed_in("admin").await;
    for code in ["clerk", "final-test"] {
        let (status, zip) =
            zip_download(&admin, &format!("/manage/courses/{code}/export.zip")).await;
        assert_eq!(status, 200, "{code}");
        let expected: Vec<(String, String)> =
            package_files(&repo_root().join("content").join(code))
                .into_iter()
                .map(|(p, t)| (format!("{code}/{p}"), t))
                .collect();
        assert_eq!(unzip(&zip), expected, "{code}");
        let (status, location, body) = upload(&mut admin, zip, None).await;
        assert_eq!(status, 303, "{body}");
        let draft = admin.get(location.as_deref().unwrap()).await;
        assert!(
            draft.body.contains("現在公開中の版と同じ内容です"),
            "{code}: {}",
            draft.body
        );
        assert_eq!(
            admin
                .post(&format!("/manage/courses/drafts/{code}/publish"), &[])
                .await
                .status,
            303
        );
    }
    let versions: i64 = sqlx::query_scalar(
        "select count(*) from content_versions where course_code in ('clerk', 'final-test')",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(versions, 2, "no new version of an unchanged course");
}

#[tokio::test]
async fn a_hostile_package_is_refused_or_shown_as_text_and_changes_nothing() {
    let app = TestApp::spawn().await;
    user(app.pool(), "chief", Role::ChiefOfficer).await;
    let mut chief = app.signed_in("chief").await;
    // Not a zip.
    let (status, _, body) = upload(&mut chief, b"<html>".to_vec(), None).await;
    assert_eq!(status, 422);
    assert!(
        body.contains("取り込めませんでした") && body.contains("zip ファイルではありません"),
        "{body}"
    );
    // A shared course's code: an institution cannot replace what every institution reads.
    let clerk = package_files(&repo_root().join("content/clerk"));
    let zip = kenshu_app::package::write_zip("clerk", &clerk).unwrap();
    let (status, _, body) = upload(&mut chief, zip, None).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("研修の記号 &#39;clerk&#39; はほかの研修が使っています"),
        "{body}"
    );
    // Markup in the Markdown and the questions is shown as text, never run.
    let dir = repo_root().join("content/packages/system-admin");
    let files: Vec<(String, String)> = package_files(&dir)
        .into_iter()
        .map(|(p, t)| {
            let t = if p.ends_with("01-accounts.md") {
                format!("{t}\n<script>alert(1)</script>\n\n[x](javascript:alert(2))\n\n<img src=x onerror=alert(3)>\n")
            } else {
                t.replace(
                    "作業を効率よく進めるため",
                    "<img src=x onerror=alert(4)>作業を効率よく進めるため",
                )
            };
            (p, t)
        })
        .collect();
    let zip = kenshu_app::package::write_zip("system-admin", &files).unwrap();
    let (status, _, body) = upload(&mut chief, zip, None).await;
    assert_eq!(status, 303, "{body}");
    let draft = chief.get("/manage/courses/drafts/system-admin").await;
    for live in [
        "<script>alert(1)",
        "javascript:alert(2)",
        "<img src=x onerror",
    ] {
        assert!(!draft.body.contains(live), "{live} must not reach the page");
    }
    assert!(
        draft.body.contains("&#60;img src=x onerror=alert(4)&#62;"),
        "{}",
        draft.body
    );
    // A My Number in the text is refused like everywhere else.
    let files: Vec<(String, String)> = package_files(&dir)
        .into_iter()
        .map(|(p, t)| {
            (
                p,
                t.replace(
                    "1-3 パスワードと認証",
                    "1-3 パスワード（例: 番号 123456789018）",
                ),
            )
        })
        .collect();
    let zip = kenshu_app::package::write_zip("system-admin", &files).unwrap();
    let (status, _, body) = upload(&mut chief, zip, None).await;
    assert_eq!(status, 422);
    assert!(
        body.contains("sections/01-accounts.md の本文にマイナンバーと思われる数字"),
        "{body}"
    );
    // Staff cannot upload at all.
    user(app.pool(), "staff", Role::Staff).await;
    let mut staff = app.signed_in("staff").await;
    let (status, _, _) = upload(&mut staff, system_admin_zip(), None).await;
    assert_eq!(status, 403);
    let drafts: i64 = sqlx::query_scalar("select count(*) from course_drafts")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(drafts, 1, "only the chief's checked draft is kept");
}

/// The yearly refresh: next year's version starts as a draft of this year's bank, each question
/// showing this year's first-attempt share and flagged for review over 95% or under 40%.
#[tokio::test]
async fn next_years_draft_keeps_the_bank_and_flags_the_questions_to_review() {
    let app = TestApp::spawn().await;
    user(app.pool(), "chief", Role::ChiefOfficer).await;
    for login in ["s1", "s2", "s3"] {
        user(app.pool(), login, Role::Staff).await;
    }
    let mut chief = app.signed_in("chief").await;
    let (status, _, body) = upload(&mut chief, system_admin_zip(), None).await;
    assert_eq!(status, 303, "{body}");
    chief
        .post("/manage/courses/drafts/system-admin/publish", &[])
        .await;
    // Three people's first attempts this year: question 1 right by all, question 2 by none,
    // question 3 by two of three.
    kenshu_tests::simulate::behind_the_portals_back(
        app.pool(),
        &format!(
            "with a as (
                 insert into test_attempts (institution_id, id, user_id, course_code, content_version_id,
                                            fiscal_year, total, pass_mark, submitted_at, score, passed)
                 select u.institution_id, gen_random_uuid(), u.id, 'system-admin', c.current_version_id,
                        {fy}, 3, 3, now(), 0, false
                 from users u, courses c where u.login_id in ('s1', 's2', 's3') and c.code = 'system-admin'
                 returning institution_id, id, user_id
             )
             insert into test_answers (institution_id, attempt_id, question_number, chosen, correct)
             select a.institution_id, a.id, q.n, '{{0}}',
                    case q.n when 1 then true when 2 then false
                             else u.login_id <> 's3' end
             from a join users u on u.id = a.user_id, (values (1), (2), (3)) q(n)",
            fy = kenshu_core::FiscalYear::of(kenshu_core::japan_today()).year()
        ),
    )
    .await;
    let history = chief.get("/manage/courses/system-admin/versions").await;
    assert!(
        history.body.contains("新年度版の下書きを作る"),
        "{}",
        history.body
    );
    let renewed = chief.post("/manage/courses/system-admin/renew", &[]).await;
    assert_eq!(renewed.status, 303, "{}", renewed.body);
    let draft = chief.get("/manage/courses/drafts/system-admin").await;
    let line = |n: u32| {
        let at = draft
            .body
            .find(&format!("id=\"review-{n}\""))
            .unwrap_or_else(|| panic!("no figure for question {n}: {}", draft.body));
        let rest = &draft.body[at..];
        rest[..rest.find("</p>").unwrap_or(rest.len())].to_string()
    };
    assert!(
        line(1).contains("100.0%") && line(1).contains("易しすぎる"),
        "{}",
        line(1)
    );
    assert!(
        line(2).contains("0.0%") && line(2).contains("分かりにくい"),
        "{}",
        line(2)
    );
    assert!(
        line(3).contains("66.7%") && !line(3).contains("見直し候補"),
        "{}",
        line(3)
    );
    assert!(
        draft.body.contains("現在公開中の版と同じ内容です"),
        "the same bank"
    );
    // The draft downloads as it is, to be changed and brought in again.
    let (status, zip) = zip_download(&chief, "/manage/courses/drafts/system-admin/files.zip").await;
    assert_eq!(status, 200);
    let expected: Vec<(String, String)> =
        package_files(&repo_root().join("content/packages/system-admin"))
            .into_iter()
            .map(|(p, t)| (format!("system-admin/{p}"), t))
            .collect();
    assert_eq!(unzip(&zip), expected);
    // A shared course is not the chief's to renew.
    assert_eq!(
        chief.post("/manage/courses/clerk/renew", &[]).await.status,
        404
    );
}

/// A section's form as the editor's page sends it: title, Markdown, and an image (if any).
fn section_form(
    title: &str,
    markdown: &str,
    image: Option<(&str, Vec<u8>)>,
) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new()
        .text("title", title.to_string())
        .text("markdown", markdown.to_string())
        .text("action", "save");
    if let Some((name, bytes)) = image {
        form = form.part(
            "image",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
        );
    }
    form
}

fn fixture_image(name: &str) -> Vec<u8> {
    std::fs::read(repo_root().join("tests/fixtures/images").join(name)).unwrap()
}

/// The editor's question form: the question's own fields (kind, topic, statement, answer or
/// choices and the right ones), with an explanation, 掲載箇所 and the first section.
async fn write_question(
    b: &mut Browser,
    at: &str,
    own: &[(&str, &str)],
) -> kenshu_tests::http::Page {
    b.get(&format!("/manage/courses/drafts/own-rules/questions/{at}"))
        .await;
    let mut fields: Vec<(&str, &str)> = vec![
        ("explanation", "規程の**該当箇所**を確かめます。"),
        ("reference", "当町の取扱規程 第1節"),
        ("sections", "own-rules/section-1"),
    ];
    fields.extend_from_slice(own);
    b.post(
        &format!("/manage/courses/drafts/own-rules/questions/{at}"),
        &fields,
    )
    .await
}

#[tokio::test]
async fn a_chief_writes_a_course_in_the_browser_with_a_drawn_bank_and_staff_take_it() {
    let app = TestApp::spawn().await;
    user(app.pool(), "chief", Role::ChiefOfficer).await;
    user(app.pool(), "staff", Role::Staff).await;
    Scenario::institution(app.pool(), "other", "別の町")
        .division("x", "X課")
        .person("chief", Role::ChiefOfficer)
        .build()
        .await;
    let mut chief = sign_in_at(&app, "test", "chief").await;
    let list = chief.get("/manage/courses").await;
    assert!(
        list.body.contains("href=\"/manage/courses/new\""),
        "{}",
        list.body
    );

    // A new course: a code, a title and its first section.
    chief.get("/manage/courses/new").await;
    let bad = chief
        .post(
            "/manage/courses/new",
            &[
                ("code", "Own Rules"),
                ("title", "当町の取扱規程"),
                ("section", "第1節 規程の要点"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("記号は半角の英小文字"), "{}", bad.body);
    assert!(
        bad.body.contains("value=\"当町の取扱規程\""),
        "the form keeps what was typed"
    );
    let made = chief
        .post(
            "/manage/courses/new",
            &[
                ("code", "own-rules"),
                ("title", "当町の取扱規程"),
                (
                    "description",
                    "当町の特定個人情報取扱規程の要点を学びます。",
                ),
                ("section", "第1節 規程の要点"),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    assert_eq!(
        made.location.as_deref(),
        Some("/manage/courses/drafts/own-rules/edit")
    );
    let again = chief
        .post(
            "/manage/courses/new",
            &[("code", "own-rules"), ("title", "x"), ("section", "y")],
        )
        .await;
    assert_eq!(again.status, 422, "the code is taken by the draft");
    let edit = chief.get("/manage/courses/drafts/own-rules/edit").await;
    assert_eq!(edit.status, 200);
    assert!(edit.body.contains("第1節 規程の要点"), "{}", edit.body);

    // The first section, written with hostile text and an image; what staff will see is
    // shown beside it, with the script removed and the image served by the portal.
    let section = "/manage/courses/drafts/own-rules/sections/section-1";
    chief.get(section).await;
    let hostile = "## 規程の要点\n\n<script>alert(1)</script>\n\n[罠](javascript:alert(1)) \
                   ![外](https://evil.example/track.png)\n\n- 取扱区域を定める\n";
    let saved = chief
        .post_multipart(
            section,
            section_form(
                "第1節 規程の要点",
                hostile,
                Some(("窓口の案内.png", fixture_image("窓口の案内.png"))),
            ),
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let page = chief.get(section).await;
    assert!(
        page.body.contains("下書きに保存しました。"),
        "{}",
        page.body
    );
    let preview = &page.body[page.body.find("id=\"s-preview\"").unwrap()..];
    assert!(!preview.contains("<script>"), "{preview}");
    assert!(
        preview.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{preview}"
    );
    assert!(!preview.contains("javascript:"), "{preview}");
    assert!(
        preview.contains("<a href=\"https://evil.example/track.png\">外</a>"),
        "an outside image is a link, never loaded: {preview}"
    );
    let media = regex::Regex::new(r#"<img src="(/media/[0-9a-f]{64})" alt="窓口の案内""#).unwrap();
    let image_url = media
        .captures(preview)
        .unwrap_or_else(|| panic!("the image is shown: {preview}"))[1]
        .to_string();
    let png = chief
        .client
        .get(format!("{}{image_url}", chief.base))
        .send()
        .await
        .unwrap();
    assert_eq!(png.status(), 200);
    assert_eq!(png.headers()["content-type"], "image/png");
    assert_eq!(png.headers()["x-content-type-options"], "nosniff");
    assert!(
        png.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
    assert_eq!(
        png.bytes().await.unwrap().to_vec(),
        fixture_image("窓口の案内.png")
    );
    // Not to strangers: they are sent to sign in.
    let anon = kenshu_tests::http::browser_like()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = anon.get(app.url(&image_url)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert!(!res.bytes().await.unwrap().starts_with(b"\x89PNG"));

    // Hostile uploads are refused by what they are, naming the file; nothing is saved.
    for (name, bytes, says) in [
        (
            "evil.svg",
            fixture_image("evil.svg"),
            "evil.svg は PNG・JPEG・GIF・WebP の画像ではありません",
        ),
        (
            "page-as.png",
            fixture_image("page-as.png"),
            "page-as.png は PNG・JPEG・GIF・WebP の画像ではありません",
        ),
    ] {
        let refused = chief
            .post_multipart(
                section,
                section_form("第1節 規程の要点", "差し替え", Some((name, bytes))),
            )
            .await;
        assert_eq!(refused.status, 422, "{name}");
        assert!(refused.body.contains(says), "{name}: {}", refused.body);
        assert!(
            refused.body.contains(">差し替え</textarea>"),
            "the text typed is kept"
        );
    }
    let my_number = chief
        .post_multipart(
            section,
            section_form("第1節 規程の要点", "例: 123456789018", None),
        )
        .await;
    assert_eq!(my_number.status, 422);
    assert!(
        my_number
            .body
            .contains("sections/01-section-1.md の本文にマイナンバーと思われる数字"),
        "{}",
        my_number.body
    );
    let page = chief.get(section).await;
    assert!(
        page.body.contains("取扱区域を定める"),
        "the saved text stands"
    );

    // The live preview renders what is typed, sanitized, without saving it.
    let live = chief
        .post(
            "/manage/courses/drafts/own-rules/preview",
            &[(
                "markdown",
                "# 見出し\n\n<img src=x onerror=alert(1)>\n\n![無い](images/none.png)",
            )],
        )
        .await;
    assert_eq!(live.status, 200);
    assert!(live.body.contains("<h1>見出し</h1>"), "{}", live.body);
    assert!(
        live.body.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{}",
        live.body
    );
    assert!(
        live.body
            .contains("images/none.png はこの研修の画像にありません"),
        "{}",
        live.body
    );

    // A second section, and a bank of twelve questions of three kinds over two topics.
    chief.get("/manage/courses/drafts/own-rules/edit").await;
    let added = chief
        .post(
            "/manage/courses/drafts/own-rules/sections",
            &[("title", "第2節 相談窓口")],
        )
        .await;
    assert_eq!(
        added.location.as_deref(),
        Some("/manage/courses/drafts/own-rules/sections/section-2")
    );
    chief
        .get("/manage/courses/drafts/own-rules/sections/section-2")
        .await;
    let saved = chief
        .post_multipart(
            "/manage/courses/drafts/own-rules/sections/section-2",
            section_form(
                "第2節 相談窓口",
                "## 相談窓口\n\n総務課（内線 1234）に連絡します。\n",
                None,
            ),
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    for i in 1..=12 {
        let topic = if i % 2 == 0 { "規程" } else { "窓口" };
        // The first question carries markup in every text field: shown as text everywhere.
        let statement = if i == 1 {
            format!("問題{i}: <img src=x onerror=alert(5)>規程に沿った扱いはどれですか。")
        } else {
            format!("問題{i}: 規程に沿った扱いはどれですか。")
        };
        let common = [("topic", topic), ("statement", statement.as_str())];
        let own: Vec<(&str, &str)> = match i % 3 {
            0 => vec![("kind", "true_false"), ("answer", "○")],
            1 if i == 1 => vec![
                ("kind", "single"),
                ("choice1", "正しい<script>alert(7)</script>"),
                ("choice2", "誤り"),
                ("choice3", "誤り2"),
                ("right", "1"),
                ("explanation", "<iframe src=//evil.example></iframe>解説"),
                ("reference", "<b onmouseover=alert(8)>第1節</b>"),
            ],
            1 => vec![
                ("kind", "single"),
                ("choice1", "正しい"),
                ("choice2", "誤り"),
                ("choice3", ""),
                ("choice4", "誤り2"),
                ("right", "1"),
            ],
            _ => vec![
                ("kind", "multiple"),
                ("choice1", "正しいA"),
                ("choice2", "誤り"),
                ("choice3", "正しいB"),
                ("right", "1"),
                ("right", "3"),
            ],
        };
        let page = write_question(&mut chief, "new", &[&common[..], &own[..]].concat()).await;
        assert_eq!(page.status, 303, "question {i}: {}", page.body);
    }
    // A choice question without enough choices is refused, naming it; the form keeps it.
    let refused = write_question(
        &mut chief,
        "new",
        &[
            ("kind", "single"),
            ("statement", "選択肢が足りない"),
            ("choice1", "一つ"),
            ("right", "1"),
        ],
    )
    .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused
            .body
            .contains("問13: 選択肢は3〜5個にしてください（いまは1個）。"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("value=\"一つ\""), "{}", refused.body);

    // Five drawn per attempt, 80% to pass; a draw the bank cannot give is refused.
    chief.get("/manage/courses/drafts/own-rules/edit").await;
    let too_many = chief
        .post(
            "/manage/courses/drafts/own-rules/test",
            &[
                ("title", "確認テスト"),
                ("kind", "final"),
                ("draw", "13"),
                ("pass_share", "80"),
                ("per_topic", ""),
            ],
        )
        .await;
    assert_eq!(too_many.status, 422, "{}", too_many.body);
    let set = chief
        .post(
            "/manage/courses/drafts/own-rules/test",
            &[
                ("title", "確認テスト"),
                ("kind", "final"),
                ("draw", "5"),
                ("pass_share", "80"),
                ("per_topic", "規程: 2\n窓口: 3"),
            ],
        )
        .await;
    assert_eq!(set.status, 303, "{}", set.body);

    // Another institution's chief cannot open or change the draft.
    let mut other = sign_in_at(&app, "other", "chief").await;
    assert_eq!(
        other
            .get("/manage/courses/drafts/own-rules/edit")
            .await
            .status,
        404
    );
    other.get("/manage/courses").await;
    let forged = other
        .post(
            "/manage/courses/drafts/own-rules/edit",
            &[("title", "乗っ取り"), ("description", "")],
        )
        .await;
    assert_eq!(forged.status, 404);

    // Published: the first version, in the audit log; staff draw five of the twelve.
    let draft = chief.get("/manage/courses/drafts/own-rules").await;
    let edit = chief.get("/manage/courses/drafts/own-rules/edit").await;
    for page in [&draft.body, &edit.body] {
        for live in [
            "<img src=x",
            "<script>alert(7)",
            "<iframe",
            "<b onmouseover",
        ] {
            assert!(
                !page.contains(live),
                "{live} must not reach the page: {page}"
            );
        }
    }
    for shown in [
        "&#60;img src=x onerror=alert(5)&#62;",
        "正しい&#60;script&#62;alert(7)&#60;/script&#62;",
        "&lt;iframe src=//evil.example&gt;&lt;/iframe&gt;解説",
        "&#60;b onmouseover=alert(8)&#62;第1節&#60;/b&#62;",
    ] {
        assert!(draft.body.contains(shown), "{shown}: {}", draft.body);
    }
    assert!(draft.body.contains("毎回5問を出題"), "{}", draft.body);
    let published = chief
        .post("/manage/courses/drafts/own-rules/publish", &[])
        .await;
    assert_eq!(published.status, 303, "{}", published.body);
    let subject: String = sqlx::query_scalar(
        "select subject from audit_log where action = 'content_loaded' order by seq desc limit 1",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(subject, "own-rules v1");
    let mut staff = sign_in_at(&app, "test", "staff").await;
    let section = staff.get("/courses/own-rules/sections/section-1").await;
    assert_eq!(section.status, 200);
    assert!(
        section.body.contains(&format!("<img src=\"{image_url}\"")),
        "{}",
        section.body
    );
    assert!(!section.body.contains("<script>alert"), "{}", section.body);
    let test = staff.get("/courses/own-rules/test").await;
    assert_eq!(test.status, 200, "{}", test.body);
    assert_eq!(
        test.body.matches("class=\"question\"").count(),
        5,
        "{}",
        test.body
    );

    // Edited again: a published question's number is never given to a new one.
    chief.get("/manage/courses").await;
    let reopened = chief.post("/manage/courses/own-rules/edit", &[]).await;
    assert_eq!(
        reopened.location.as_deref(),
        Some("/manage/courses/drafts/own-rules/edit")
    );
    chief.get("/manage/courses/drafts/own-rules/edit").await;
    assert_eq!(
        chief
            .post("/manage/courses/drafts/own-rules/questions/12/remove", &[])
            .await
            .status,
        303
    );
    let added = write_question(
        &mut chief,
        "new",
        &[
            ("kind", "true_false"),
            ("topic", "規程"),
            ("statement", "新しい問い"),
            ("answer", "×"),
        ],
    )
    .await;
    assert_eq!(added.status, 303, "{}", added.body);
    let edit = chief.get("/manage/courses/drafts/own-rules/edit").await;
    assert!(edit.body.contains("id=\"q13\""), "{}", edit.body);
    assert!(!edit.body.contains("id=\"q12\""), "{}", edit.body);
}
