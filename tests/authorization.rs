//! The authorization matrix: every role against every page, answered by the one policy.

use kenshu_core::people::Role;
use kenshu_tests::{TestApp, user};
use reqwest::StatusCode;

/// (path, who may open it). Everyone else signed in gets 403; strangers are sent to sign-in.
/// Course material is open to every signed-in person (self-study); the plan decides what is
/// required of whom.
fn expected(path: &str, role: Role) -> StatusCode {
    match path {
        "/admin/content" | "/admin/mail" if role != Role::PortalAdmin => StatusCode::FORBIDDEN,
        "/plans" | "/plans/FY/document" if role == Role::Staff => StatusCode::FORBIDDEN,
        "/roster" if !matches!(role, Role::ChiefOfficer | Role::PortalAdmin) => {
            StatusCode::FORBIDDEN
        }
        "/officer"
            if !matches!(
                role,
                Role::ChiefOfficer | Role::ProtectionOfficer | Role::AuditOfficer
            ) =>
        {
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
        _ => StatusCode::OK,
    }
}

const PAGES: [&str; 16] = [
    "/officer",
    "/officer/sessions",
    "/sessions",
    "/roster",
    "/designations",
    "/plans",
    "/plans/FY/document",
    "/my",
    "/password",
    "/courses/clerk",
    "/courses/clerk/sections/system-overview",
    "/courses/final-test/test",
    "/courses/protection-officer",
    "/admin/content",
    "/admin/mail",
    "/audit",
];

#[tokio::test]
async fn every_role_gets_exactly_the_pages_the_policy_allows() {
    let app = TestApp::spawn().await;
    for role in Role::ALL {
        user(app.pool(), role.as_str(), role).await;
    }
    let fy = kenshu_core::FiscalYear::of(kenshu_core::japan_today())
        .0
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
