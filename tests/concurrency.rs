//! A busy morning: every GET page of every role, with twice as many simultaneous requests as
//! the pool has connections (4). No request may hold one connection while it waits for
//! another, so none may fail or wait out the pool's acquire timeout.

use std::time::{Duration, Instant};

use kenshu_core::person::Role;
use kenshu_tests::TestApp;

const POOL: u32 = 4;
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// Every page a person opens, with the roles that open it.
fn pages(fy: &str, attempt: Option<&str>, image: &str) -> Vec<(String, &'static [Role])> {
    use Role::*;
    const ALL: &[Role] = &[
        Staff,
        ProtectionOfficer,
        ChiefOfficer,
        AuditOfficer,
        PortalAdmin,
    ];
    const OFFICERS: &[Role] = &[ProtectionOfficer, ChiefOfficer, AuditOfficer];
    const MANAGERS: &[Role] = &[ProtectionOfficer, ChiefOfficer];
    const CHIEFS: &[Role] = &[ChiefOfficer, AuditOfficer];
    let mut v: Vec<(String, &'static [Role])> = vec![
        ("/".into(), ALL),
        ("/my".into(), ALL),
        ("/password".into(), ALL),
        ("/second-factor".into(), ALL),
        ("/rules".into(), ALL),
        ("/manage/rules".into(), CHIEFS),
        ("/sessions".into(), ALL),
        ("/courses/clerk".into(), ALL),
        ("/courses/clerk/sections/system-overview".into(), ALL),
        ("/courses/clerk/test".into(), ALL),
        ("/courses/final-test/test".into(), ALL),
        ("/certificates/clerk".into(), ALL),
        ("/officer".into(), OFFICERS),
        ("/officer?division=a&show=all".into(), OFFICERS),
        ("/people/staff".into(), OFFICERS),
        ("/insights".into(), OFFICERS),
        ("/insights?course=final-test".into(), OFFICERS),
        ("/insights.csv?course=final-test".into(), OFFICERS),
        ("/insights.xlsx?course=final-test".into(), OFFICERS),
        ("/designations".into(), MANAGERS),
        ("/officer/sessions".into(), MANAGERS),
        ("/officer/digests".into(), MANAGERS),
        ("/drills".into(), OFFICERS),
        ("/drills/new".into(), MANAGERS),
        ("/report-mail".into(), ALL),
        ("/officer/deputies".into(), CHIEFS),
        (
            "/plans".into(),
            &[ProtectionOfficer, ChiefOfficer, AuditOfficer, PortalAdmin],
        ),
        (
            format!("/plans/{fy}/document"),
            &[ChiefOfficer, PortalAdmin],
        ),
        ("/overview".into(), CHIEFS),
        ("/audit".into(), CHIEFS),
        ("/reports".into(), CHIEFS),
        (format!("/reports/annual?fy={fy}&format=csv"), CHIEFS),
        (
            format!("/reports/attendance?fy={fy}&course=clerk&format=html"),
            CHIEFS,
        ),
        ("/roster".into(), &[ChiefOfficer, PortalAdmin]),
        ("/admin/content".into(), &[PortalAdmin]),
        ("/manage/courses".into(), &[ChiefOfficer, PortalAdmin]),
        ("/manage/courses/new".into(), &[ChiefOfficer, PortalAdmin]),
        // The chief's draft in the editor, and the image it shows.
        (
            "/manage/courses/drafts/system-admin".into(),
            &[ChiefOfficer],
        ),
        (
            "/manage/courses/drafts/system-admin/edit".into(),
            &[ChiefOfficer],
        ),
        (
            "/manage/courses/drafts/system-admin/sections/accounts".into(),
            &[ChiefOfficer],
        ),
        (
            "/manage/courses/drafts/system-admin/questions/3".into(),
            &[ChiefOfficer],
        ),
        (format!("/media/{image}"), ALL),
        (
            "/manage/courses/clerk/export.zip".into(),
            &[ChiefOfficer, PortalAdmin],
        ),
        ("/admin/mail".into(), &[PortalAdmin]),
        ("/admin/sign-in".into(), &[PortalAdmin]),
    ];
    if let Some(id) = attempt {
        v.push((format!("/courses/final-test/attempts/{id}"), &[Staff]));
    }
    v
}

/// A draft of the chief's own course (the example package) whose first section shows an
/// image; the image's address.
async fn chiefs_draft_with_an_image(app: &TestApp) -> String {
    let root = kenshu_tests::repo_root();
    let png = std::fs::read(root.join("tests/fixtures/images/窓口の案内.png")).expect("png");
    let mut files = kenshu_tests::package_files(&root.join("content/packages/system-admin"));
    files[1].1.push_str("\n![窓口](images/desk.png)\n");
    files.push((
        "images/desk.png".into(),
        kenshu_core::content::image::encode(&png),
    ));
    let (institution, _, _) = kenshu_tests::institution(app.pool()).await;
    let chief: uuid::Uuid =
        sqlx::query_scalar("select id from users where login_id = 'chief_officer'")
            .fetch_one(app.pool())
            .await
            .expect("the chief");
    let mut conn = app.pool().acquire().await.expect("connection");
    kenshu_app::package::upload_draft(
        &mut conn,
        &kenshu_db::content::Catalog::new(),
        Some(institution),
        chief,
        &kenshu_app::package::Upload {
            folder: "system-admin".into(),
            files,
        },
    )
    .await
    .expect("the draft");
    kenshu_core::content::image::check_image("desk.png", png)
        .expect("an image")
        .sha256
}

#[tokio::test]
async fn every_page_of_every_role_answers_at_twice_the_pool_size() {
    let db = kenshu_tests::test_db().await;
    let pool = db.app_pool(POOL, ACQUIRE_TIMEOUT).await;
    let app = TestApp::spawn_with(db, pool, kenshu_web::Settings::default()).await;
    // Everyone has completed the clerk course: its certificate is a page to open.
    let mut people = kenshu_tests::Scenario::new(app.pool());
    for role in Role::ALL {
        people = people
            .person(role.as_str(), role)
            .completed(role.as_str(), "clerk");
    }
    people.build().await;
    let fy = kenshu_core::FiscalYear::of(kenshu_core::japan_today())
        .year()
        .to_string();
    let attempt: Option<String> = None;
    let image = chiefs_draft_with_an_image(&app).await;

    let mut failures = Vec::new();
    for role in Role::ALL {
        let signed_in = app.signed_in(role.as_str()).await;
        for (path, roles) in pages(&fy, attempt.as_deref(), &image) {
            if !roles.contains(&role) {
                continue;
            }
            let mut tasks = Vec::new();
            for _ in 0..(2 * POOL) {
                let client = signed_in.client.clone();
                let url = app.url(&path);
                tasks.push(tokio::spawn(async move {
                    let t = Instant::now();
                    let res = client.get(url).send().await;
                    let status = match res {
                        Ok(r) => {
                            let s = r.status();
                            // Read the whole body: a download must arrive whole too.
                            match r.bytes().await {
                                Ok(_) => s.as_u16(),
                                Err(_) => 599,
                            }
                        }
                        Err(_) => 599,
                    };
                    (status, t.elapsed())
                }));
            }
            for t in tasks {
                let (status, took) = t.await.unwrap();
                // The roles listed open the page: anything but an answer (or a redirect) fails.
                if status >= 400 || took >= ACQUIRE_TIMEOUT {
                    failures.push(format!("{role} GET {path}: {status} in {took:?}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
