//! The authorization matrix: every role against every page, answered by the one policy.

use kenshu_core::person::Role;
use kenshu_core::plan::DesignationKind;
use kenshu_tests::{Scenario, TestApp, user};
use reqwest::StatusCode;

/// (path, who may open it). Everyone else signed in gets 403; strangers are sent to sign-in.
/// Course material is open to every signed-in person (self-study); the plan decides what is
/// required of whom.
fn expected(path: &str, role: Role) -> StatusCode {
    match path {
        "/admin/content" | "/admin/mail" | "/admin/sign-in" if role != Role::PortalAdmin => {
            StatusCode::FORBIDDEN
        }
        "/manage/courses" | "/manage/courses/new" | "/manage/courses/clerk/export.zip"
            if !matches!(role, Role::ChiefOfficer | Role::PortalAdmin) =>
        {
            StatusCode::FORBIDDEN
        }
        "/plans" | "/plans/FY/document" if role == Role::Staff => StatusCode::FORBIDDEN,
        "/roster" if !matches!(role, Role::ChiefOfficer | Role::PortalAdmin) => {
            StatusCode::FORBIDDEN
        }
        "/officer" | "/insights" | "/insights.csv" | "/insights.xlsx"
            if !matches!(
                role,
                Role::ChiefOfficer | Role::ProtectionOfficer | Role::AuditOfficer
            ) =>
        {
            StatusCode::FORBIDDEN
        }
        "/manage/rules" if !matches!(role, Role::ChiefOfficer | Role::AuditOfficer) => {
            StatusCode::FORBIDDEN
        }
        "/audit" if !matches!(role, Role::ChiefOfficer | Role::AuditOfficer) => {
            StatusCode::FORBIDDEN
        }
        "/designations" if !matches!(role, Role::ChiefOfficer | Role::ProtectionOfficer) => {
            StatusCode::FORBIDDEN
        }
        "/officer/sessions" if !matches!(role, Role::ChiefOfficer | Role::ProtectionOfficer) => {
            StatusCode::FORBIDDEN
        }
        "/officer/digests" if !matches!(role, Role::ChiefOfficer | Role::ProtectionOfficer) => {
            StatusCode::FORBIDDEN
        }
        "/drills/new" if !matches!(role, Role::ChiefOfficer | Role::ProtectionOfficer) => {
            StatusCode::FORBIDDEN
        }
        "/drills"
            if !matches!(
                role,
                Role::ChiefOfficer | Role::ProtectionOfficer | Role::AuditOfficer
            ) =>
        {
            StatusCode::FORBIDDEN
        }
        "/officer/deputies" if !matches!(role, Role::ChiefOfficer | Role::AuditOfficer) => {
            StatusCode::FORBIDDEN
        }
        _ => StatusCode::OK,
    }
}

const PAGES: [&str; 31] = [
    "/officer",
    "/officer/digests",
    "/officer/deputies",
    "/insights",
    "/insights.csv",
    "/insights.xlsx",
    "/officer/sessions",
    "/sessions",
    "/roster",
    "/designations",
    "/plans",
    "/plans/FY/document",
    "/my",
    "/password",
    "/second-factor",
    "/rules",
    "/manage/rules",
    "/drills",
    "/drills/new",
    "/report-mail",
    "/courses/clerk",
    "/courses/clerk/sections/system-overview",
    "/courses/final-test/test",
    "/courses/protection-officer",
    "/admin/content",
    "/admin/mail",
    "/admin/sign-in",
    "/manage/courses",
    "/manage/courses/new",
    "/manage/courses/clerk/export.zip",
    "/audit",
];

#[tokio::test]
async fn every_role_gets_exactly_the_pages_the_policy_allows() {
    let app = TestApp::spawn().await;
    for role in Role::ALL {
        user(app.pool(), role.as_str(), role).await;
    }
    let fy = kenshu_core::FiscalYear::of(kenshu_core::japan_today())
        .year()
        .to_string();
    for role in Role::ALL {
        let mut b = app.signed_in(role.as_str()).await;
        for path in PAGES {
            let page = b.get(&path.replace("FY", &fy)).await;
            let want = expected(path, role);
            assert_eq!(page.status, want, "{role} GET {path}");
            if want == StatusCode::FORBIDDEN {
                assert!(
                    page.body.contains("権限がありません"),
                    "{role} {path}: {}",
                    page.body
                );
                assert!(
                    !page.body.contains("SHA-256") && !page.body.contains("clerk"),
                    "403 leaks nothing"
                );
            }
        }
    }
    let mut stranger = app.browser();
    for path in PAGES {
        let page = stranger.get(&path.replace("FY", &fy)).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "stranger GET {path}");
        assert!(
            page.location
                .as_deref()
                .is_some_and(|l| l.starts_with("/login")),
            "{path}"
        );
    }
}

#[test]
fn the_policy_table_itself_matches_the_design() {
    use kenshu_web::policy::{Action, allows};
    for role in Role::ALL {
        assert!(allows(role, Action::TakeTraining), "{role} takes training");
        assert_eq!(
            allows(role, Action::ManageContent),
            role == Role::PortalAdmin,
            "{role}"
        );
    }
}

/// Every route that names a division, a person or a designation: a protection officer of
/// division A gets 403 for B's, the answer names nobody of B, and nothing is written.
#[tokio::test]
async fn an_officer_of_division_a_reaches_nothing_of_division_b_on_any_route() {
    let app = TestApp::spawn().await;
    let designation = Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .person("staff-a", Role::Staff)
        .person("staff-b", Role::Staff)
        .in_division("b")
        .designated(DesignationKind::Clerk, kenshu_core::japan_today())
        .build()
        .await
        .designation("staff-b");
    let today = kenshu_core::japan_today().to_string();
    let tables = [
        "designations",
        "exemptions",
        "follow_ups",
        "retakes",
        "reminders",
        "mail_outbox",
    ];
    let counts = |pool: sqlx::PgPool| async move {
        let mut n = Vec::new();
        for t in tables {
            let c: i64 =
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("select count(*) from {t}")))
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            n.push(c);
        }
        n
    };
    let before = counts(app.pool().clone()).await;

    let mut o = app.signed_in("officer-a").await;
    let gets = [
        "/officer?division=b".to_string(),
        "/officer?division=b&show=all".into(),
        "/people/staff-b".into(),
        "/designations?division=b".into(),
    ];
    for path in &gets {
        let page = o.get(path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "GET {path}");
        assert!(!page.body.contains("staff-b"), "GET {path} leaks");
    }
    let end = format!("/designations/{designation}/end");
    let posts: [(&str, Vec<(&str, &str)>); 9] = [
        (
            "/people/staff-b/exemptions",
            vec![("course", "clerk"), ("reason", "育児休業")],
        ),
        (
            "/people/staff-b/follow-ups",
            vec![("on", &today), ("method", "oral")],
        ),
        (
            "/people/staff-b/retakes",
            vec![("course", "clerk"), ("deadline", "2099-01-01")],
        ),
        ("/people/staff-b/reminders", vec![]),
        (
            "/officer/retakes",
            vec![("pick", "staff-b|clerk"), ("deadline", "2099-01-01")],
        ),
        ("/officer/reminders", vec![("pick", "staff-b|clerk")]),
        (
            "/designations",
            vec![("login", "staff-b"), ("kind", "clerk"), ("from", &today)],
        ),
        (&end, vec![("on", &today)]),
        (
            "/designations/officers",
            vec![("division", "b"), ("login", "officer-a"), ("from", &today)],
        ),
    ];
    for (path, fields) in &posts {
        let page = o.post(path, fields).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "POST {path}");
        assert!(!page.body.contains("staff-b"), "POST {path} leaks");
    }
    assert_eq!(
        counts(app.pool().clone()).await,
        before,
        "nothing written for B"
    );
    // The same officer does reach A.
    assert_eq!(o.get("/people/staff-a").await.status, StatusCode::OK);
}
