//! Roster import in the browser: dry run first, then exactly that file applied.

use kenshu_core::person::Role;
use kenshu_tests::{Browser, TestApp, user};

const CSV: &str = "職員番号,氏名,所属コード,所属名\n5001,新人 一郎,a,A課\n5002,新人 花子,c,C課\n";

async fn upload(b: &mut Browser, csv: &str, csrf: Option<&str>, complete: bool) -> (u16, String) {
    let part = reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("roster.csv");
    let mut form = reqwest::multipart::Form::new().part("file", part);
    if complete {
        form = form.text("complete", "1");
    }
    let token = csrf
        .map(str::to_string)
        .or(b.csrf.clone())
        .unwrap_or_default();
    let res = b
        .client
        .post(format!("{}/roster/preview?csrf={token}", b.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn users(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from users")
        .fetch_one(app.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn an_upload_shows_its_dry_run_and_applies_only_when_asked() {
    let app = TestApp::spawn().await;
    user(app.pool(), "admin", Role::PortalAdmin).await;
    let mut b = app.signed_in("admin").await;
    assert_eq!(b.get("/roster").await.status, 200);
    let before = users(&app).await;
    let (status, body) = upload(&mut b, CSV, None, false).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("+ 5002 新人 花子（c）") && body.contains("+ c C課"),
        "{body}"
    );
    assert!(body.contains("new=2 transfers=0 leavers=0 changed=0 errors=0"));
    assert!(body.contains("取込前の確認"));
    assert_eq!(users(&app).await, before, "a dry run writes nothing");

    let upload_id = body
        .split("name=\"upload\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let applied = b.post("/roster/apply", &[("upload", &upload_id)]).await;
    assert!(
        applied.body.contains("名簿を反映しました"),
        "{}",
        applied.body
    );
    assert_eq!(users(&app).await, before + 2);
    let tree = b.get("/roster").await;
    assert!(
        tree.body.contains("id=\"tree\"") && tree.body.contains("<code>c</code> C課"),
        "{}",
        tree.body
    );
    // Applying the same upload again finds nothing to do.
    let again = b.post("/roster/apply", &[("upload", &upload_id)]).await;
    assert!(
        again.body.contains("すでにこのファイルと一致"),
        "{}",
        again.body
    );
    assert_eq!(users(&app).await, before + 2);
}

#[tokio::test]
async fn a_bad_file_shows_every_error_and_offers_nothing_to_apply() {
    let app = TestApp::spawn().await;
    user(app.pool(), "chief", Role::ChiefOfficer).await;
    let mut b = app.signed_in("chief").await;
    let bad = "職員番号,氏名,所属コード,所属名\n5001,,a,A課\n5001,二重 登録,a,A課\n";
    let (status, body) = upload(&mut b, bad, None, false).await;
    assert_eq!(status, 200);
    assert!(body.contains("2行目「氏名」"), "{body}");
    assert!(
        body.contains("id=\"error-counts\""),
        "errors are counted by kind: {body}"
    );
    assert!(body.contains("何も書き込んでいません"));
    assert!(!body.contains("name=\"upload\""), "no apply button");
}

#[tokio::test]
async fn only_the_chief_officer_and_portal_admin_import_and_the_form_needs_its_token() {
    let app = TestApp::spawn().await;
    user(app.pool(), "officer", Role::ProtectionOfficer).await;
    user(app.pool(), "admin", Role::PortalAdmin).await;
    let mut o = app.signed_in("officer").await;
    assert_eq!(o.get("/roster").await.status, 403);
    assert_eq!(upload(&mut o, CSV, None, false).await.0, 403);
    let mut a = app.signed_in("admin").await;
    assert_eq!(upload(&mut a, CSV, Some("forged"), false).await.0, 403);
    let before = users(&app).await;
    assert_eq!(before, 2);
}

fn upload_id(body: &str) -> Option<String> {
    body.split("name=\"upload\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(str::to_string)
}

/// Twelve people at work and a complete file naming five: seven would leave. The page says so,
/// in Japanese, and applies only with the box ticked.
#[tokio::test]
async fn a_mass_change_is_shown_and_applied_only_when_confirmed() {
    let app = TestApp::spawn().await;
    user(app.pool(), "chief", Role::ChiefOfficer).await;
    for n in 0..11 {
        user(app.pool(), &format!("60{n:02}"), Role::Staff).await;
    }
    let mut b = app.signed_in("chief").await;
    let csv: String = [
        "職員番号,氏名,所属コード,所属名\n".to_string(),
        "chief,試験 chief,a,A課\n".to_string(),
    ]
    .into_iter()
    .chain((0..4).map(|n| format!("60{n:02},試験 60{n:02},a,A課\n")))
    .collect();
    let (status, body) = upload(&mut b, &csv, None, true).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("id=\"mass-change\"")
            && body.contains("在職者12人に対して、新規0人・退職7人"),
        "{body}"
    );
    assert!(body.contains("name=\"confirm_mass_change\""), "{body}");
    let id = upload_id(&body).expect("the upload can be applied once confirmed");
    let refused = b.post("/roster/apply", &[("upload", &id)]).await;
    assert!(
        refused.body.contains("何も書き込んでいません") && refused.body.contains("大量の変更"),
        "{}",
        refused.body
    );
    let active: i64 = sqlx::query_scalar("select count(*) from users where active")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(active, 12, "nothing was written without the confirmation");
    let id = upload_id(&refused.body).expect("asked again");
    let applied = b
        .post(
            "/roster/apply",
            &[("upload", &id), ("confirm_mass_change", "1")],
        )
        .await;
    assert!(
        applied.body.contains("名簿を反映しました"),
        "{}",
        applied.body
    );
    let active: i64 = sqlx::query_scalar("select count(*) from users where active")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(active, 5);
}
