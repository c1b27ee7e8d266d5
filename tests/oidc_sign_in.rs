//! Signing in to the portal through the institution's OpenID Connect provider (issue 16, items
//! 2 to 4), over HTTP as a browser does, against a real provider (`oidc-provider` on Node.js):
//! the sign-in page offers the button only where the institution uses a provider; a good
//! sign-in opens a session for the roster's person the claim names; a replayed or forged state,
//! a token for another client, a token from a provider with a wrong clock, someone the roster
//! does not have and a provider that went down are each refused with their own message and
//! audited; the provider's own second factor (amr) counts only where the institution says so;
//! signing out ends the session at the provider too.

use kenshu_core::person::Role;
use kenshu_tests::oidc::{Account, CLIENT_ID, Misbehave, Provider, portal_and_provider};
use kenshu_tests::{Browser, TestApp};

fn accounts() -> Vec<Account> {
    vec![
        Account::new(
            "yamada",
            "yamada-pass-2026",
            &[("employee_number", "000123")],
        ),
        Account::new(
            "tanaka",
            "tanaka-pass-2026",
            &[("employee_number", "000321")],
        )
        .amr(&["pwd", "otp"]),
        Account::new(
            "suzuki",
            "suzuki-pass-2026",
            &[("employee_number", "000123")],
        )
        .misbehave(Misbehave::Audience),
        Account::new("sato", "sato-pass-2026", &[("employee_number", "000123")])
            .misbehave(Misbehave::Clock),
        Account::new("kato", "kato-pass-2026", &[("employee_number", "000999")]),
    ]
}

async fn setup() -> Option<(TestApp, Provider, kenshu_tests::Built)> {
    portal_and_provider(&accounts()).await
}

/// Presses the button on the sign-in page and signs in at the provider; the portal's callback
/// address with the code and state the provider sent back.
async fn at_provider(app: &TestApp, provider: &Provider, b: &mut Browser, login: &str) -> String {
    let page = b.get("/login").await;
    assert!(
        page.body.contains("組織のアカウントでサインイン"),
        "{}",
        page.body
    );
    let started = b.post("/login/oidc", &[("next", "/my")]).await;
    // A page that moves on by itself (the sign-in page's CSP lets no form redirect elsewhere).
    assert_eq!(started.status, 200, "{}", started.body);
    let refresh = started.headers["refresh"].to_str().unwrap().to_string();
    let href = "id=\"oidc-continue\" href=\"";
    let at = started.body.find(href).unwrap() + href.len();
    let authorize =
        started.body[at..at + started.body[at..].find('"').unwrap()].replace("&#38;", "&");
    assert_eq!(refresh, format!("0; url={authorize}"));
    assert!(authorize.starts_with(&provider.issuer), "{authorize}");
    assert!(authorize.contains("code_challenge_method=S256"));
    let callback = format!("{}/login/oidc/callback", app.url(""));
    let back = provider
        .sign_in(&authorize, &callback, login, &format!("{login}-pass-2026"))
        .await
        .unwrap();
    format!(
        "/login/oidc/callback?code={}&state={}",
        back.code, back.state
    )
}

async fn failures(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar("select detail from audit_log where action = 'sign_in_failed' order by seq")
        .fetch_all(app.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn staff_sign_in_through_the_provider_and_every_bad_return_is_refused() {
    let Some((app, provider, _s)) = setup().await else {
        return;
    };

    // A good sign-in: the session is the roster's 000123.
    let mut b = app.browser();
    let back = at_provider(&app, &provider, &mut b, "yamada").await;
    let done = b.get(&back).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some("/my"));
    let mine = b.get("/my").await;
    assert_eq!(mine.status, 200);
    assert!(mine.body.contains("試験 000123"), "{}", mine.body);
    let signed: Vec<(String, String)> =
        sqlx::query_as("select actor, detail from audit_log where action = 'sign_in' order by seq")
            .fetch_all(app.pool())
            .await
            .unwrap();
    assert_eq!(signed, [("000123".to_string(), "oidc".to_string())]);

    // The same return again (a replayed state, from history or a leaked address): refused.
    let mut other = app.browser();
    other.get("/login").await;
    let replayed = other.get(&back).await;
    assert_eq!(replayed.status, 400);
    assert!(
        replayed
            .body
            .contains("期限が切れたか、すでに使われています")
    );
    assert_eq!(other.get("/my").await.status, 303, "no session");
    // A state the portal never gave out: refused the same way.
    let forged = other
        .get("/login/oidc/callback?code=x&state=made-up-state")
        .await;
    assert_eq!(forged.status, 400);

    // A token for another client, and one from a provider whose clock is wrong: refused.
    for login in ["suzuki", "sato"] {
        let mut c = app.browser();
        let back = at_provider(&app, &provider, &mut c, login).await;
        let refused = c.get(&back).await;
        assert_eq!(refused.status, 403, "{login}: {}", refused.body);
        assert!(
            refused
                .body
                .contains("組織のアカウントでのサインインを完了できませんでした"),
            "{login}"
        );
        assert_eq!(c.get("/my").await.status, 303, "{login}: no session");
    }
    let logged = failures(&app).await;
    assert_eq!(logged.len(), 2, "{logged:?}");
    assert!(
        logged[0].contains("audience") || logged[0].contains("aud"),
        "{logged:?}"
    );
    assert!(logged[1].starts_with("oidc: "), "{logged:?}");

    // Someone the provider knows and the roster does not: told whom to ask.
    let mut c = app.browser();
    let back = at_provider(&app, &provider, &mut c, "kato").await;
    let nobody = c.get(&back).await;
    assert_eq!(nobody.status, 403);
    assert!(
        nobody
            .body
            .contains("総括責任者（研修の担当）に、名簿への登録を依頼")
    );
    assert!(failures(&app).await[2].contains("000999"));

    // Signing out ends the provider's session too: the browser goes to its end-session page.
    let out = b.post("/logout", &[]).await;
    assert_eq!(out.status, 200);
    assert!(
        out.body
            .contains("組織のアカウントからのサインアウト画面へ移動しています")
    );
    let to = out.headers["refresh"]
        .to_str()
        .unwrap()
        .replace("0; url=", "");
    assert!(to.starts_with(&provider.issuer), "{to}");
    assert!(to.contains("post_logout_redirect_uri="), "{to}");
    assert!(to.contains(CLIENT_ID), "{to}");
    assert_eq!(b.get("/my").await.status, 303);
}

#[tokio::test]
async fn a_provider_that_goes_down_is_said_so_and_passwords_still_work() {
    let Some((app, mut provider, _s)) = setup().await else {
        return;
    };
    let mut b = app.browser();
    let back = at_provider(&app, &provider, &mut b, "yamada").await;
    provider.stop();
    let down = b.get(&back).await;
    assert_eq!(down.status, 503, "{}", down.body);
    assert!(down.body.contains("認証サービスに接続できない"));
    // The institution also allows passwords: those still sign in.
    app.signed_in("000123").await;
}

#[tokio::test]
async fn the_providers_second_factor_counts_only_where_the_institution_says_so() {
    let Some((app, provider, s)) = setup().await else {
        return;
    };
    // The chief officer (000321, tanaka at the provider, who did a second factor there) has an
    // app too; the institution requires one.
    let key = kenshu_tests::audit_key();
    let inst = s.institution();
    let chief = s.id("000321");
    let secret = kenshu_core::totp::TotpSecret::new([7u8; 20]);
    sqlx::query(
        "insert into user_totp (institution_id, user_id, secret_sealed, confirmed_at)
         values ($1, $2, $3, now())",
    )
    .bind(inst)
    .bind(chief)
    .bind(kenshu_db::second_factor::seal_secret(
        &key, inst, chief, &secret,
    ))
    .execute(app.pool())
    .await
    .unwrap();
    let mut conn = app.pool().acquire().await.unwrap();
    let policy = |trust_amr| kenshu_db::second_factor::Policy {
        required: true,
        trust_amr,
    };
    kenshu_db::second_factor::set_policy(&mut conn, inst, policy(false))
        .await
        .unwrap();

    // Not trusted: the portal asks for its own code after the provider.
    let mut b = app.browser();
    let back = at_provider(&app, &provider, &mut b, "tanaka").await;
    let first = b.get(&back).await;
    assert_eq!(first.status, 303);
    assert_eq!(first.location.as_deref(), Some("/login/second-factor"));
    b.get("/login/second-factor").await;
    let now = u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap();
    let done = b
        .post("/login/second-factor", &[("code", &secret.code_at(now))])
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(b.get("/my").await.status, 200);
    let detail: String = sqlx::query_scalar(
        "select detail from audit_log where action = 'sign_in' order by seq desc limit 1",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(detail, "oidc; second factor: app code");
    // The session begun after the second step still signs out at the provider.
    let out = b.post("/logout", &[]).await;
    let to = out.headers["refresh"].to_str().unwrap().to_string();
    assert!(
        to.starts_with(&format!("0; url={}", provider.issuer)),
        "{to}"
    );

    // Trusted: the provider's otp is enough.
    kenshu_db::second_factor::set_policy(&mut conn, inst, policy(true))
        .await
        .unwrap();
    let mut c = app.browser();
    let back = at_provider(&app, &provider, &mut c, "tanaka").await;
    let done = c.get(&back).await;
    assert_eq!(done.location.as_deref(), Some("/my"), "{}", done.body);
    // A password is no second factor: yamada's provider said only pwd, and staff with no
    // factor are not asked anyway; the chief's own password sign-in is still asked.
    let mut d = app.browser();
    let first = d.sign_in("000321", kenshu_tests::PASSWORD).await;
    assert_eq!(first.location.as_deref(), Some("/login/second-factor"));
}

#[tokio::test]
async fn without_a_provider_the_page_offers_no_button_and_the_start_is_refused() {
    let app = TestApp::spawn().await;
    kenshu_tests::Scenario::new(app.pool())
        .person("staff1", Role::Staff)
        .build()
        .await;
    let mut b = app.browser();
    let page = b.get("/login").await;
    assert!(!page.body.contains("/login/oidc"));
    let refused = b.post("/login/oidc", &[("next", "/my")]).await;
    assert_eq!(refused.status, 422);
    assert!(
        refused
            .body
            .contains("組織のアカウントでのサインインは使えません")
    );
    // No CSRF token: refused before anything.
    let mut c = app.browser();
    let forged = c.post_raw("/login/oidc", &[("next", "/my")]).await;
    assert_eq!(forged.status, 403);
}

#[tokio::test]
async fn the_operator_sets_checks_and_removes_a_provider_from_the_command_line() {
    let Some(provider) = Provider::start(
        &[kenshu_tests::oidc::Client {
            client_id: CLIENT_ID.into(),
            client_secret: kenshu_tests::oidc::SECRET.into(),
            redirect_uris: vec!["http://127.0.0.1:8080/login/oidc/callback".into()],
            post_logout_redirect_uris: vec!["http://127.0.0.1:8080/login".into()],
        }],
        &accounts(),
    )
    .await
    else {
        return;
    };
    let db = kenshu_tests::empty_db().await;
    let url = db.url();
    let run = |args: &[&str], stdin: Option<&str>| kenshu_tests::kenshu(&url, args, stdin);
    let text = |o: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    assert!(
        run(&["institution", "add", "town", "町"], None)
            .status
            .success()
    );
    let set = |issuer: &str| {
        run(
            &[
                "institution",
                "oidc",
                "set",
                "--institution",
                "town",
                "--issuer",
                issuer,
                "--client-id",
                CLIENT_ID,
                "--claim",
                "employee_number",
                "--client-secret-stdin",
            ],
            Some(kenshu_tests::oidc::SECRET),
        )
    };
    // oidc cannot be chosen before a provider is set.
    let early = run(&["institution", "auth", "town", "password,oidc"], None);
    assert!(!early.status.success());
    assert!(
        text(&early).contains("no OpenID Connect provider"),
        "{}",
        text(&early)
    );
    // A mistyped issuer is found now, and nothing is kept.
    let wrong = set("http://127.0.0.1:9/not-there");
    assert!(!wrong.status.success());
    assert!(text(&wrong).contains("was not set"), "{}", text(&wrong));
    let kept: i64 = sqlx::query_scalar("select count(*) from institution_oidc_providers")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(kept, 0);

    let ok = set(&provider.issuer);
    assert!(ok.status.success(), "{}", text(&ok));
    let said = text(&ok);
    assert!(
        said.contains("town signs in with: password, oidc"),
        "{said}"
    );
    assert!(
        said.contains("redirect URI http://127.0.0.1:8080/login/oidc/callback"),
        "{said}"
    );
    let sealed: Vec<u8> =
        sqlx::query_scalar("select client_secret_sealed from institution_oidc_providers")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let secret = kenshu_tests::oidc::SECRET.as_bytes();
    assert!(!sealed.windows(secret.len()).any(|w| w == secret));
    let shown = text(&run(
        &["institution", "oidc", "show", "--institution", "town"],
        None,
    ));
    assert!(
        shown.contains(&format!("issuer: {}", provider.issuer)),
        "{shown}"
    );
    assert!(shown.contains("(secret sealed)"));
    assert!(!shown.contains(kenshu_tests::oidc::SECRET));
    let only = run(&["institution", "auth", "town", "oidc"], None);
    assert!(only.status.success(), "{}", text(&only));

    let removed = run(
        &["institution", "oidc", "remove", "--institution", "town"],
        None,
    );
    assert!(removed.status.success());
    assert!(text(&removed).contains("town signs in with: password"));
    let logged: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'sign_in_methods_changed'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(logged, 3, "set, auth, remove");
}

#[tokio::test]
async fn the_portal_administrator_turns_the_provider_on_and_off_on_the_page() {
    let Some((app, _provider, _s)) = setup().await else {
        return;
    };
    kenshu_tests::user(app.pool(), "admin", Role::PortalAdmin).await;
    let mut admin = app.signed_in("admin").await;
    let page = admin.get("/admin/sign-in").await;
    assert!(
        page.body.contains("name=\"oidc\" value=\"on\" checked"),
        "{}",
        page.body
    );
    let saved = admin
        .post("/admin/sign-in/test", &[("password", "on")])
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let mut b = app.browser();
    assert!(!b.get("/login").await.body.contains("/login/oidc"));
    let saved = admin.post("/admin/sign-in/test", &[("oidc", "on")]).await;
    assert_eq!(saved.status, 303);
    let mut conn = app.pool().acquire().await.unwrap();
    let methods = kenshu_db::institution::sign_in_methods(&mut conn, _s.institution())
        .await
        .unwrap();
    assert_eq!(methods.names(), ["oidc"]);
    assert!(b.get("/login").await.body.contains("/login/oidc"));
}

#[tokio::test]
async fn the_sign_in_page_says_what_applies_in_every_combination_of_methods() {
    let Some((app, _provider, s)) = setup().await else {
        return;
    };
    kenshu_tests::user(app.pool(), "admin", Role::PortalAdmin).await;
    let inst = s.institution();
    let key = kenshu_tests::audit_key();
    let mut conn = app.pool().acquire().await.unwrap();
    // A directory that does not answer (nothing listens on port 9).
    kenshu_db::directory::set(
        &mut conn,
        inst,
        &kenshu_db::directory::StoredDirectory {
            url: "ldaps://127.0.0.1:9".into(),
            ca_pem: None,
            bind_dn: "cn=reader".into(),
            bind_password_sealed: kenshu_db::directory::seal_password(&key, inst, "x"),
            base_dn: "dc=example".into(),
            login_attribute: "uid".into(),
            employee_attribute: "employeeNumber".into(),
            filter: None,
            group_dn: None,
            timeout_secs: 1,
        },
    )
    .await
    .unwrap();
    let hint = "組織のパソコンにサインインするときのユーザー名";
    for list in [
        "password",
        "directory",
        "oidc",
        "password,directory",
        "password,oidc",
        "directory,oidc",
        "password,directory,oidc",
    ] {
        let m = kenshu_core::sign_in::SignInMethods::parse(list).unwrap();
        kenshu_db::institution::set_sign_in_methods(&mut conn, inst, &m)
            .await
            .unwrap();
        let mut b = app.browser();
        let page = b.get("/login").await;
        assert_eq!(page.body.contains(hint), m.directory, "{list}: the hint");
        assert_eq!(
            page.body.contains("action=\"/login/oidc\""),
            m.oidc,
            "{list}: the button"
        );
        // A portal password counts only where allowed; otherwise the directory is asked (and
        // is down) or the sign-in fails.
        let staff = b.sign_in("000123", kenshu_tests::PASSWORD).await;
        let expected = match (m.password, m.directory) {
            (true, _) => 303,
            (false, true) => 503,
            (false, false) => 200,
        };
        assert_eq!(
            staff.status, expected,
            "{list}: staff with a portal password"
        );
        // The portal administrator's password always counts.
        let mut a = app.browser();
        let admin = a.sign_in("admin", kenshu_tests::PASSWORD).await;
        assert_eq!(admin.status, 303, "{list}: the administrator");
        // The provider's button works exactly where it is shown.
        let mut c = app.browser();
        c.get("/login").await;
        let started = c.post("/login/oidc", &[("next", "/my")]).await;
        assert_eq!(
            started.status,
            if m.oidc { 200 } else { 422 },
            "{list}: the provider"
        );
    }
}
