//! The room's QR code links to the portal's configured address (`KENSHU_PUBLIC_URL`), never
//! to the name a request came in under: a forged `Host` header cannot send people elsewhere.

use std::time::Duration;

use kenshu_core::person::Role;
use kenshu_tests::{Browser, Scenario, TestApp};
use uuid::Uuid;

use crate::schedule;

const PUBLIC_URL: &str = "https://kenshu.city.example.lg.jp";

/// The link under the room's QR code, as `host` (None: the real one) asked for the page.
async fn shown_link(officer: &Browser, session: Uuid, host: Option<&str>) -> String {
    let mut request = officer
        .client
        .get(format!("{}/officer/sessions/{session}/qr", officer.base));
    if let Some(host) = host {
        request = request
            .header("host", host)
            .header("x-forwarded-host", host)
            .header("x-forwarded-proto", "http");
    }
    let page = request
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    let marker = "<code id=\"checkin-url\">";
    let start = page.find(marker).expect("a link") + marker.len();
    let end = page[start..].find("</code>").expect("end") + start;
    page[start..end].replace("&amp;", "&").replace("&#38;", "&")
}

#[tokio::test]
async fn the_qr_code_links_to_the_public_address_whatever_host_the_request_names() {
    let db = kenshu_tests::test_db().await;
    let pool = db.app_pool(8, Duration::from_secs(10)).await;
    let settings = kenshu_web::Settings {
        public_url: PUBLIC_URL.into(),
        ..Default::default()
    };
    let app = TestApp::spawn_with(db, pool, settings).await;
    Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .build()
        .await;
    let mut o = app.signed_in("officer-a").await;
    let id = schedule(&mut o, "cybersecurity", "a", "大会議室", "10").await;

    let honest = shown_link(&o, id, None).await;
    assert!(
        honest.starts_with(&format!("{PUBLIC_URL}/checkin/{id}?")),
        "{honest}"
    );
    let forged = shown_link(&o, id, Some("evil.example.com")).await;
    assert!(
        forged.starts_with(&format!("{PUBLIC_URL}/checkin/{id}?")) && !forged.contains("evil"),
        "a forged Host changed the link: {forged}"
    );
}
