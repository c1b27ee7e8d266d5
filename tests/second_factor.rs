//! A second factor for the people who see others' records (issue 16, item 4): anyone sets up an
//! authenticator app from a QR code and gets recovery codes once; a sign-in then opens no
//! session until the code of now is typed, each code works once, recovery codes work once,
//! wrong codes are throttled like passwords and audited; where the institution requires it,
//! officers set it up at their next sign-in and cannot turn it off, and staff are not asked.

use kenshu_core::person::Role;
use kenshu_core::totp::TotpSecret;
use kenshu_tests::http::Page;
use kenshu_tests::{Browser, TestApp};
use time::OffsetDateTime;

fn now() -> u64 {
    u64::try_from(OffsetDateTime::now_utc().unix_timestamp()).unwrap()
}

/// The secret from the key the page shows (base32 in groups of four), as an app reads it.
fn secret_on(page: &Page) -> TotpSecret {
    let start = page
        .body
        .find("class=\"totp-key\" lang=\"en\">")
        .unwrap_or_else(|| panic!("no key on the page: {}", page.body))
        + "class=\"totp-key\" lang=\"en\">".len();
    let end = page.body[start..].find('<').unwrap() + start;
    let text: String = page.body[start..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let mut bits = 0u64;
    let mut n = 0;
    let mut bytes = Vec::new();
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            other => panic!("not base32: {}", other as char),
        };
        bits = (bits << 5) | u64::from(v);
        n += 5;
        if n >= 8 {
            n -= 8;
            bytes.push((bits >> n) as u8);
        }
    }
    TotpSecret::from_bytes(bytes).expect("a 20-byte secret")
}

/// The recovery codes a page shows.
fn codes_on(page: &Page) -> Vec<String> {
    page.body
        .split("<li><code>")
        .skip(1)
        .map(|s| s[..s.find('<').unwrap()].to_string())
        .collect()
}

async fn audit(app: &TestApp, action: &str) -> Vec<(String, String)> {
    sqlx::query_as("select actor, detail from audit_log where action = $1 order by seq")
        .bind(action)
        .fetch_all(app.pool())
        .await
        .unwrap()
}

/// Signs in with the password; the portal answers with the second step, and no session yet.
async fn first_step(app: &TestApp, login: &str) -> Browser {
    let mut b = app.browser();
    let res = b.sign_in(login, kenshu_tests::PASSWORD).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location.as_deref(), Some("/login/second-factor"));
    let mine = b.get("/my").await;
    assert_eq!(mine.status, 303, "no session before the code");
    assert!(mine.location.unwrap().starts_with("/login"));
    b
}

#[tokio::test]
async fn an_officer_sets_up_an_app_and_then_signs_in_with_each_code_once() {
    let app = TestApp::spawn().await;
    kenshu_tests::Scenario::new(app.pool())
        .person("officer", Role::ProtectionOfficer)
        .person("staff01", Role::Staff)
        .build()
        .await;

    // Offered to everyone, required of nobody yet: the officer signs in with a password alone
    // and sets the factor up from the account page.
    let mut b = app.signed_in("officer").await;
    let setup = b.get("/second-factor").await;
    assert_eq!(setup.status, 200);
    assert!(setup.body.contains("<svg role=\"img\" class=\"qr\""));
    assert!(setup.body.contains("二要素認証を設定すると"));
    let secret = secret_on(&setup);
    // Reloading shows the same secret until it is confirmed.
    assert_eq!(secret_on(&b.get("/second-factor").await), secret);
    let wrong = b
        .post("/second-factor/confirm", &[("code", "000000")])
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("確認コードが正しくありません"));
    let confirmed = b
        .post(
            "/second-factor/confirm",
            &[("code", &secret.code_at(now()))],
        )
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    assert!(confirmed.body.contains("この画面でのみ表示されます"));
    let codes = codes_on(&confirmed);
    assert_eq!(codes.len(), 10, "{}", confirmed.body);
    assert_eq!(audit(&app, "second_factor_enrolled").await.len(), 1);
    let status = b.get("/second-factor").await;
    assert!(status.body.contains("二要素認証は有効です"));
    assert!(status.body.contains("<dd id=\"recovery-left\">10</dd>"));
    // The secret is kept sealed: its bytes are nowhere in the row.
    let sealed: Vec<u8> = sqlx::query_scalar("select secret_sealed from user_totp")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert!(!sealed.windows(20).any(|w| w == secret.as_bytes()));

    // The next sign-in stops at the code.
    let mut b = first_step(&app, "officer").await;
    let step = b.get("/login/second-factor").await;
    assert_eq!(step.status, 200);
    assert!(
        step.body
            .contains("認証アプリの確認コードを入力してください")
    );
    assert!(
        !step.body.contains("class=\"qr\""),
        "no QR code to a person set up"
    );
    let wrong = b.post("/login/second-factor", &[("code", "123456")]).await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("確認コードが正しくありません"));
    let failed = audit(&app, "sign_in_failed").await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].0, "officer");
    assert!(failed[0].1.contains("second step"), "{failed:?}");
    // The code of the next step (an app a few seconds ahead): the one the set-up used is spent.
    let code = secret.code_at(now() + 30);
    let done = b.post("/login/second-factor", &[("code", &code)]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some("/my"));
    let mine = b.get("/my").await;
    assert_eq!(mine.status, 200);
    let signed: Vec<(String, String)> = audit(&app, "sign_in").await;
    assert_eq!(
        signed.last().unwrap(),
        &(
            "officer".to_string(),
            "password; second factor: app code".to_string()
        )
    );

    // The same code again, on another sign-in: refused (someone who saw it over a shoulder).
    let mut again = first_step(&app, "officer").await;
    again.get("/login/second-factor").await;
    let replay = again.post("/login/second-factor", &[("code", &code)]).await;
    assert_eq!(replay.status, 422, "a code works once");
    // A recovery code works once, typed in capitals and without its hyphen too.
    let typed = codes[3].replace('-', "").to_uppercase();
    let recovered = again
        .post("/login/second-factor", &[("code", &typed)])
        .await;
    assert_eq!(recovered.status, 303, "{}", recovered.body);
    let mut third = first_step(&app, "officer").await;
    third.get("/login/second-factor").await;
    let spent = third
        .post("/login/second-factor", &[("code", &codes[3])])
        .await;
    assert_eq!(spent.status, 422, "a recovery code works once");
    let left = again.get("/second-factor").await;
    assert!(left.body.contains("<dd id=\"recovery-left\">9</dd>"));

    // Guessing is throttled like passwords: after five wrong codes, a wait.
    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(
            third
                .post("/login/second-factor", &[("code", "999999")])
                .await
                .status
                .as_u16(),
        );
    }
    assert_eq!(&statuses[..4], &[422, 422, 422, 422], "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
    // Held back, even the right code waits.
    let held = third
        .post("/login/second-factor", &[("code", &secret.code_at(now()))])
        .await;
    assert_eq!(held.status, 429);
    assert!(held.body.contains("秒"), "{}", held.body);

    // Staff without a factor are never asked.
    let staff = app.signed_in("staff01").await;
    drop(staff);

    // The wait over (as if fifteen minutes passed): new recovery codes and turning it off each
    // need a code of the app; then a password alone signs in again.
    sqlx::query("delete from sign_in_throttle")
        .execute(app.pool())
        .await
        .unwrap();
    // And the steps used so far long past.
    sqlx::query("update user_totp set last_step = last_step - 10")
        .execute(app.pool())
        .await
        .unwrap();
    let renewed = again
        .post("/second-factor/recovery-codes", &[("code", "000000")])
        .await;
    assert_eq!(renewed.status, 422);
    let off = again
        .post("/second-factor/off", &[("code", &secret.code_at(now()))])
        .await;
    assert_eq!(off.status, 200, "{}", off.body);
    assert!(off.body.contains("二要素認証を解除しました"));
    assert_eq!(audit(&app, "second_factor_removed").await.len(), 1);
    app.signed_in("officer").await;
}

#[tokio::test]
async fn where_the_institution_requires_it_officers_set_it_up_at_sign_in_and_keep_it() {
    let app = TestApp::spawn().await;
    let s = kenshu_tests::Scenario::new(app.pool())
        .person("admin", Role::PortalAdmin)
        .person("chief", Role::ChiefOfficer)
        .person("staff01", Role::Staff)
        .build()
        .await;

    // The portal administrator turns it on for the institution on the sign-in page.
    let mut admin = app.signed_in("admin").await;
    let page = admin.get("/admin/sign-in").await;
    assert!(page.body.contains("name=\"second_factor\""));
    let saved = admin
        .post(
            "/admin/sign-in/test",
            &[("password", "on"), ("second_factor", "on")],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let logged = audit(&app, "second_factor_policy_changed").await;
    assert_eq!(logged.len(), 1);
    assert!(
        logged[0]
            .1
            .contains("required for those who see others' records: yes")
    );
    assert!(
        audit(&app, "sign_in_methods_changed").await.is_empty(),
        "the methods did not change"
    );

    // Staff are not asked.
    app.signed_in("staff01").await;

    // The chief officer sets it up before the session begins.
    let mut chief = first_step(&app, "chief").await;
    let step = chief.get("/login/second-factor").await;
    assert_eq!(step.status, 200);
    assert!(step.body.contains("二要素認証が必要です"), "{}", step.body);
    let secret = secret_on(&step);
    let wrong = chief
        .post("/login/second-factor", &[("code", "111111")])
        .await;
    assert_eq!(wrong.status, 422);
    assert_eq!(secret_on(&wrong), secret, "the same QR code again");
    let done = chief
        .post("/login/second-factor", &[("code", &secret.code_at(now()))])
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(codes_on(&done).len(), 10);
    assert!(done.body.contains("href=\"/my\""));
    assert_eq!(chief.get("/my").await.status, 200, "signed in now");
    let enrolled = audit(&app, "second_factor_enrolled").await;
    assert_eq!(enrolled, [("chief".to_string(), "on sign-in".to_string())]);

    // Required: no way to turn it off, on the page or by posting.
    let account = chief.get("/second-factor").await;
    assert!(account.body.contains("あなたの役割に二要素認証が必須です"));
    assert!(!account.body.contains("/second-factor/off"));
    let off = chief
        .post(
            "/second-factor/off",
            &[("code", &secret.code_at(now() + 30))],
        )
        .await;
    assert_eq!(off.status, 422);
    assert!(off.body.contains("解除できません"));

    // A half-done sign-in ends after ten minutes: back to the start, told why.
    let mut late = first_step(&app, "chief").await;
    late.get("/login/second-factor").await;
    sqlx::query("update second_factor_challenges set expires_at = now() - interval '1 second'")
        .execute(app.pool())
        .await
        .unwrap();
    let expired = late
        .post(
            "/login/second-factor",
            &[("code", &secret.code_at(now() + 30))],
        )
        .await;
    assert_eq!(expired.status, 303);
    assert_eq!(expired.location.as_deref(), Some("/login?expired=1"));
    let told = late.get("/login?expired=1").await;
    assert!(told.body.contains("10分が過ぎた"), "{}", told.body);
    assert_eq!(late.get("/my").await.status, 303);

    // A lost phone: reset on the server; the next sign-in sets a new factor up.
    let mut conn = app.pool().acquire().await.unwrap();
    let key = kenshu_tests::audit_key();
    let actor = kenshu_app::audit::Actor::command_line(&key, s.institution());
    assert!(
        kenshu_app::auth::second_factor::reset(&mut conn, &actor, s.id("chief"), "chief")
            .await
            .unwrap()
    );
    drop(conn);
    let mut chief = first_step(&app, "chief").await;
    let fresh = chief.get("/login/second-factor").await;
    assert_ne!(secret_on(&fresh), secret, "a new secret");

    // The administrator is covered too (and turning it off on the page is audited once more).
    let mut admin = first_step(&app, "admin").await;
    let step = admin.get("/login/second-factor").await;
    assert!(step.body.contains("class=\"qr\""));
}

#[tokio::test]
async fn the_operator_sets_the_rule_and_resets_a_lost_phone_from_the_command_line() {
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
    assert!(
        run(
            &["division", "add", "--institution", "town", "d1", "総務課"],
            None
        )
        .status
        .success()
    );
    let added = run(
        &[
            "user",
            "add",
            "--institution",
            "town",
            "--login",
            "chief",
            "--name",
            "総括 太郎",
            "--division",
            "d1",
            "--role",
            "chief_officer",
            "--password-stdin",
        ],
        Some("a long enough password 1"),
    );
    assert!(added.status.success(), "{}", text(&added));

    let shown = run(&["institution", "second-factor", "town"], None);
    assert!(shown.status.success());
    assert!(text(&shown).contains("required for those who see others' records: no"));
    let set = run(
        &["institution", "second-factor", "town", "--required", "yes"],
        None,
    );
    assert!(set.status.success(), "{}", text(&set));
    assert!(text(&set).contains("required for those who see others' records: yes"));
    assert!(text(&set).contains("provider's amr counts: no"));
    let (required, logged): (bool, i64) = sqlx::query_as(
        "select second_factor_required,
                (select count(*) from audit_log where action = 'second_factor_policy_changed')
         from institutions where code = 'town'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(required);
    assert_eq!(logged, 1);
    let bad = run(
        &[
            "institution",
            "second-factor",
            "town",
            "--required",
            "maybe",
        ],
        None,
    );
    assert!(!bad.status.success());

    let none = run(
        &[
            "user",
            "reset-second-factor",
            "--institution",
            "town",
            "--login",
            "chief",
        ],
        None,
    );
    assert!(none.status.success());
    assert!(text(&none).contains("has no second factor"));
    sqlx::query(
        "insert into user_totp (institution_id, user_id, secret_sealed, confirmed_at)
         select institution_id, id, '\\x00', now() from users where login_id = 'chief'",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let reset = run(
        &[
            "user",
            "reset-second-factor",
            "--institution",
            "town",
            "--login",
            "chief",
        ],
        None,
    );
    assert!(reset.status.success(), "{}", text(&reset));
    assert!(text(&reset).contains("removed the second factor of chief"));
    let left: i64 = sqlx::query_scalar("select count(*) from user_totp")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
    let nobody = run(
        &[
            "user",
            "reset-second-factor",
            "--institution",
            "town",
            "--login",
            "nobody",
        ],
        None,
    );
    assert!(!nobody.status.success());
    assert!(text(&nobody).contains("nobody with the login ID 'nobody'"));
}
