//! Signing in against a directory (issue 16, item 1, the client): a real OpenLDAP server with a
//! generated tree and a self-signed CA, reached over ldaps:// and over ldap:// with StartTLS.
//! A good password gives the employee number (leading zeros kept); a wrong one, a disabled
//! entry, someone outside the group, a name that is not there or that tries to widen the search,
//! a server that is down and a certificate nobody vouched for are each told apart.

use std::time::Duration;

use kenshu_app::directory::{DirectoryConfig, DirectoryError, authenticate};
use kenshu_tests::slapd::{SUFFIX, Slapd};

/// Staff of a town office: 山田 (in the group), 鈴木 (not in the group), 佐藤 (disabled), 加藤
/// (in the group, not on the roster of the sign-in test), an entry without an employee number,
/// and the portal's read-only look-up account.
fn tree() -> String {
    format!(
        "dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: uid=portal-reader,ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: portal-reader\n\
         cn: portal reader\nsn: reader\nuserPassword: reader-secret\n\n\
         dn: uid=yamada,ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: yamada\n\
         cn: 山田 太郎\nsn: 山田\nemployeeNumber: 000123\nuserPassword: yamada-pass-2026\n\n\
         dn: uid=suzuki,ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: suzuki\n\
         cn: 鈴木 花子\nsn: 鈴木\nemployeeNumber: 000456\nuserPassword: suzuki-pass-2026\n\n\
         dn: uid=sato,ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: sato\n\
         cn: 佐藤 一郎\nsn: 佐藤\nemployeeNumber: 000789\ndescription: disabled\n\
         userPassword: sato-pass-2026\n\n\
         dn: uid=kato,ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: kato\n\
         cn: 加藤 次郎\nsn: 加藤\nemployeeNumber: 000999\nuserPassword: kato-pass-2026\n\n\
         dn: uid=nonumber,ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: nonumber\n\
         cn: 番号 なし\nsn: なし\nuserPassword: nonumber-pass-2026\n\n\
         dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n\n\
         dn: cn=kenshu-users,ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: kenshu-users\n\
         member: uid=yamada,ou=people,{SUFFIX}\nmember: uid=sato,ou=people,{SUFFIX}\n\
         member: uid=nonumber,ou=people,{SUFFIX}\nmember: uid=kato,ou=people,{SUFFIX}\n"
    )
}

fn config(server: &Slapd, url: &str) -> DirectoryConfig {
    DirectoryConfig {
        url: url.to_string(),
        ca_pem: Some(server.ca_pem.clone()),
        bind_dn: format!("uid=portal-reader,ou=people,{SUFFIX}"),
        bind_password: "reader-secret".into(),
        base_dn: format!("ou=people,{SUFFIX}"),
        login_attribute: "uid".into(),
        employee_attribute: "employeeNumber".into(),
        filter: Some("(!(description=disabled))".into()),
        group_dn: Some(format!("cn=kenshu-users,ou=groups,{SUFFIX}")),
        timeout: Duration::from_secs(5),
    }
}

#[tokio::test]
async fn a_directory_sign_in_is_told_apart_from_every_way_it_can_fail() {
    let Some(server) = Slapd::start(&tree()) else {
        return;
    };
    for url in [&server.ldaps_url, &server.ldap_url] {
        let cfg = config(&server, url);
        let ok = authenticate(&cfg, "yamada", "yamada-pass-2026").await;
        assert_eq!(
            ok.ok().as_deref(),
            Some("000123"),
            "{url}: leading zeros kept"
        );
        let cases: Vec<(&str, &str, &str)> = vec![
            ("yamada", "wrong-password", "BadPassword"),
            ("yamada", "", "BadPassword"),
            ("suzuki", "suzuki-pass-2026", "NotInGroup"),
            ("sato", "sato-pass-2026", "NotFound"),
            ("tanaka", "whatever-2026", "NotFound"),
            ("*", "yamada-pass-2026", "NotFound"),
            ("yamada)(uid=*", "yamada-pass-2026", "NotFound"),
            ("nonumber", "nonumber-pass-2026", "NoEmployeeNumber"),
        ];
        for (login, password, expected) in cases {
            let got = authenticate(&cfg, login, password).await;
            let name = format!("{got:?}");
            assert!(
                name.starts_with(&format!("Err({expected}")),
                "{url} {login:?}: {name}"
            );
        }
    }

    // The look-up account's password changed and nobody told the portal.
    let mut cfg = config(&server, &server.ldaps_url);
    cfg.bind_password = "old-secret".into();
    assert!(matches!(
        authenticate(&cfg, "yamada", "yamada-pass-2026").await,
        Err(DirectoryError::LookupRefused)
    ));

    // Without the directory's CA the self-signed certificate is not trusted, over either way
    // in: nothing is sent to a server the portal cannot vouch for.
    for url in [&server.ldaps_url, &server.ldap_url] {
        let mut cfg = config(&server, url);
        cfg.ca_pem = None;
        let got = authenticate(&cfg, "yamada", "yamada-pass-2026").await;
        assert!(
            matches!(got, Err(DirectoryError::Certificate(_))),
            "{url}: {got:?}"
        );
    }

    // A plain URL of another scheme is a setup error, not a connection attempt.
    let mut cfg = config(&server, &server.ldaps_url);
    cfg.url = server.ldaps_url.replace("ldaps://", "http://");
    assert!(matches!(
        authenticate(&cfg, "yamada", "yamada-pass-2026").await,
        Err(DirectoryError::Setup(_))
    ));

    // The server goes down: a clear "cannot be reached", soon.
    let url = server.ldaps_url.clone();
    let cfg = config(&server, &url);
    drop(server);
    let started = std::time::Instant::now();
    let got = authenticate(&cfg, "yamada", "yamada-pass-2026").await;
    assert!(
        matches!(got, Err(DirectoryError::Unavailable(_))),
        "{got:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(6));
}

/// `kenshu institution directory set|show|check|remove`: the settings are checked against the
/// directory before they are kept, the look-up password is kept sealed (not in the row, not
/// printed), and `check` signs one person in as the portal would.
#[tokio::test]
async fn the_administrator_sets_and_checks_a_directory_from_the_command_line() {
    let Some(server) = Slapd::start(&tree()) else {
        return;
    };
    let db = kenshu_tests::empty_db().await;
    let url = db.url();
    let ca = std::env::temp_dir().join(format!("kenshu-ca-{}.pem", uuid::Uuid::new_v4().simple()));
    std::fs::write(&ca, &server.ca_pem).unwrap();
    let run = |args: &[&str], stdin: Option<&str>| kenshu_tests::kenshu(&url, args, stdin);
    assert!(
        run(&["institution", "add", "town", "町"], None)
            .status
            .success()
    );
    let bind_dn = format!("uid=portal-reader,ou=people,{SUFFIX}");
    let base_dn = format!("ou=people,{SUFFIX}");
    let group = format!("cn=kenshu-users,ou=groups,{SUFFIX}");
    let ca_arg = ca.display().to_string();
    let set = |password: &'static str, with_ca: bool| {
        let mut args = vec![
            "institution",
            "directory",
            "set",
            "--institution",
            "town",
            "--url",
            &server.ldap_url,
            "--bind-dn",
            &bind_dn,
            "--base-dn",
            &base_dn,
            "--login-attribute",
            "uid",
            "--employee-attribute",
            "employeeNumber",
            "--filter",
            "(!(description=disabled))",
            "--group",
            &group,
            "--bind-password-stdin",
        ];
        if with_ca {
            args.extend(["--ca-file", &ca_arg]);
        }
        run(&args, Some(password))
    };

    // A wrong look-up password, or a certificate nobody vouched for: refused, nothing kept.
    let wrong = set("not-the-secret", true);
    assert!(!wrong.status.success());
    assert!(
        kenshu_tests::text(&wrong).contains("look-up account was refused"),
        "{}",
        kenshu_tests::text(&wrong)
    );
    let untrusted = set("reader-secret", false);
    assert!(!untrusted.status.success());
    assert!(
        kenshu_tests::text(&untrusted).contains("certificate"),
        "{}",
        kenshu_tests::text(&untrusted)
    );
    let kept: i64 = sqlx::query_scalar("select count(*) from institution_directories")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(kept, 0);

    let ok = set("reader-secret", true);
    assert!(ok.status.success(), "{}", kenshu_tests::text(&ok));
    let sealed: Vec<u8> =
        sqlx::query_scalar("select bind_password_sealed from institution_directories")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(
        !sealed.windows(13).any(|w| w == b"reader-secret"),
        "the password is not in the row"
    );
    assert!(
        kenshu_tests::text(&ok).contains("town signs in with: password, directory"),
        "setting a directory turns it on: {}",
        kenshu_tests::text(&ok)
    );
    let auth = |methods: Option<&str>| {
        let mut args = vec!["institution", "auth", "town"];
        args.extend(methods);
        run(&args, None)
    };
    let only = auth(Some("directory"));
    assert!(only.status.success(), "{}", kenshu_tests::text(&only));
    assert!(kenshu_tests::text(&only).contains("portal administrators still sign in"));
    assert!(kenshu_tests::text(&auth(None)).contains("town signs in with: directory"));
    let changes: Vec<String> = sqlx::query_scalar(
        "select detail from audit_log where action = 'sign_in_methods_changed' order by seq",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert!(
        changes[0].starts_with("password, directory; directory ldap://"),
        "{changes:?}"
    );
    assert_eq!(changes[1], "directory");
    let oidc = auth(Some("password,oidc"));
    assert!(!oidc.status.success());
    assert!(kenshu_tests::text(&oidc).contains("no OpenID Connect provider"));
    let typo = auth(Some("passwd"));
    assert!(kenshu_tests::text(&typo).contains("unknown sign-in method 'passwd'"));
    let show = run(
        &["institution", "directory", "show", "--institution", "town"],
        None,
    );
    let shown = kenshu_tests::text(&show);
    assert!(
        shown.contains(&server.ldap_url) && shown.contains("password sealed"),
        "{shown}"
    );
    assert!(!shown.contains("reader-secret"), "{shown}");

    let check = |login: &str, password: &'static str| {
        run(
            &[
                "institution",
                "directory",
                "check",
                "--institution",
                "town",
                "--login",
                login,
                "--password-stdin",
            ],
            Some(password),
        )
    };
    let good = check("yamada", "yamada-pass-2026");
    assert!(good.status.success(), "{}", kenshu_tests::text(&good));
    assert!(kenshu_tests::text(&good).contains("employee number 000123"));
    let bad = check("yamada", "wrong-password");
    assert!(!bad.status.success());
    assert!(kenshu_tests::text(&bad).contains("refused the password"));
    let outside = check("suzuki", "suzuki-pass-2026");
    assert!(kenshu_tests::text(&outside).contains("not in the group"));

    let removed = run(
        &[
            "institution",
            "directory",
            "remove",
            "--institution",
            "town",
        ],
        None,
    );
    assert!(kenshu_tests::text(&removed).contains("directory of town removed"));
    assert!(
        kenshu_tests::text(&removed).contains("town signs in with: password"),
        "without its directory the institution signs in with passwords again"
    );
    let none = auth(Some("password,directory"));
    assert!(kenshu_tests::text(&none).contains("has no directory"));
    let _ = std::fs::remove_file(&ca);
}

/// Gives the institution the test directory and these sign-in methods.
async fn use_directory(
    app: &kenshu_tests::TestApp,
    server: &Slapd,
    inst: uuid::Uuid,
    methods: &str,
) {
    let cfg = config(server, &server.ldaps_url);
    let stored = kenshu_db::directory::StoredDirectory {
        url: cfg.url.clone(),
        ca_pem: cfg.ca_pem.clone(),
        bind_dn: cfg.bind_dn.clone(),
        bind_password_sealed: kenshu_db::directory::seal_password(
            &kenshu_tests::audit_key(),
            inst,
            &cfg.bind_password,
        ),
        base_dn: cfg.base_dn.clone(),
        login_attribute: cfg.login_attribute.clone(),
        employee_attribute: cfg.employee_attribute.clone(),
        filter: cfg.filter.clone(),
        group_dn: cfg.group_dn.clone(),
        timeout_secs: 3,
    };
    let mut conn = app.pool().acquire().await.unwrap();
    kenshu_db::directory::set(&mut conn, inst, &stored)
        .await
        .unwrap();
    let methods = kenshu_core::sign_in::SignInMethods::parse(methods).unwrap();
    kenshu_db::institution::set_sign_in_methods(&mut conn, inst, &methods)
        .await
        .unwrap();
}

/// Signs in through the form as a browser does: (status, location, body).
async fn sign_in(app: &kenshu_tests::TestApp, login: &str, password: &str) -> (u16, String) {
    let mut b = app.browser();
    b.get("/login").await;
    let res = b
        .post(
            "/login",
            &[("login", login), ("password", password), ("next", "/my")],
        )
        .await;
    let body = if res.status == 303 {
        b.get("/my").await.body
    } else {
        res.body
    };
    (res.status.as_u16(), body)
}

/// Staff sign in with their directory name and password; the roster says who they are. A wrong
/// password and a disabled entry are refused like any wrong password; someone the directory
/// knows and the roster does not is told whom to ask; with the directory down, people with a
/// portal password still sign in and the others are told why they cannot. Every attempt is in
/// the audit log.
#[tokio::test]
async fn staff_sign_in_with_the_directory_and_the_roster_says_who_they_are() {
    let Some(server) = Slapd::start(&tree()) else {
        return;
    };
    let app = kenshu_tests::TestApp::spawn().await;
    // On the roster: 000123 (山田 in the directory), 000789 (佐藤, disabled there), and the
    // chief officer, who also has a portal password.
    let s = kenshu_tests::Scenario::new(app.pool())
        .person("000123", kenshu_core::person::Role::Staff)
        .person("000789", kenshu_core::person::Role::Staff)
        .person("chief", kenshu_core::person::Role::ChiefOfficer)
        .build()
        .await;
    let inst = s.institution();
    use_directory(&app, &server, inst, "password,directory").await;

    let (status, my) = sign_in(&app, "yamada", "yamada-pass-2026").await;
    assert_eq!(status, 303, "{my}");
    assert!(my.contains("試験 000123"), "the roster's person: {my}");

    for (login, password) in [
        ("yamada", "wrong-password"),
        ("sato", "sato-pass-2026"),
        ("suzuki", "suzuki-pass-2026"),
        ("tanaka", "whatever-2026"),
    ] {
        let (status, page) = sign_in(&app, login, password).await;
        assert_eq!(status, 200, "{login}");
        assert!(
            page.contains("ログインID（またはメールアドレス）かパスワードが正しくありません"),
            "{login}: {page}"
        );
    }

    // 加藤 proves who he is, but the roster has no 000999: he is told whom to ask.
    let (status, page) = sign_in(&app, "kato", "kato-pass-2026").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("研修の名簿にあなたが見つかりません。総括責任者"),
        "{page}"
    );
    // An entry the roster cannot be matched with: refused, the operators told in the log.
    let (status, page) = sign_in(&app, "nonumber", "nonumber-pass-2026").await;
    assert_eq!(status, 200);
    assert!(page.contains("パスワードが正しくありません"), "{page}");

    // The portal password still works for an account that has one.
    let (status, _) = sign_in(&app, "chief", kenshu_tests::PASSWORD).await;
    assert_eq!(status, 303);

    // The directory goes down: the portal password still works; a directory name is told why.
    drop(server);
    let (status, page) = sign_in(&app, "yamada", "yamada-pass-2026").await;
    assert_eq!(status, 503, "{page}");
    assert!(
        page.contains("ディレクトリ（Active Directory など）に接続できない"),
        "{page}"
    );
    let (status, _) = sign_in(&app, "chief", kenshu_tests::PASSWORD).await;
    assert_eq!(status, 303);

    let rows: Vec<(String, String)> = sqlx::query_as(
        "select action, detail from audit_log where action in ('sign_in', 'sign_in_failed') order by seq",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    let signed_in = rows.iter().filter(|(a, _)| a == "sign_in").count();
    let failed = rows.iter().filter(|(a, _)| a == "sign_in_failed").count();
    assert_eq!((signed_in, failed), (3, 7), "{rows:?}");
    assert!(
        rows.iter().any(|(_, d)| d.contains("the roster does not")),
        "{rows:?}"
    );
    assert!(
        rows.iter().any(|(_, d)| d.contains("could not be reached")),
        "{rows:?}"
    );
}

/// Each combination of methods does what it says: directory only (the portal administrator
/// keeps a portal password), password only (a directory kept but not used), both; the sign-in
/// page says when the office account works.
#[tokio::test]
async fn the_institutions_sign_in_methods_decide_what_counts() {
    let Some(server) = Slapd::start(&tree()) else {
        return;
    };
    let app = kenshu_tests::TestApp::spawn().await;
    let s = kenshu_tests::Scenario::new(app.pool())
        .person("000123", kenshu_core::person::Role::Staff)
        .person("admin", kenshu_core::person::Role::PortalAdmin)
        .build()
        .await;
    let inst = s.institution();
    let hint = "組織のパソコンにサインインするときのユーザー名とパスワード";
    let login_page = || async { app.browser().get("/login").await.body };
    assert!(
        !login_page().await.contains(hint),
        "passwords only: no hint"
    );

    use_directory(&app, &server, inst, "directory").await;
    assert!(login_page().await.contains(hint));
    assert_eq!(sign_in(&app, "yamada", "yamada-pass-2026").await.0, 303);
    assert_eq!(
        sign_in(&app, "000123", kenshu_tests::PASSWORD).await.0,
        200,
        "the portal password does not count"
    );
    assert_eq!(
        sign_in(&app, "admin", kenshu_tests::PASSWORD).await.0,
        303,
        "except the portal administrator's"
    );

    use_directory(&app, &server, inst, "password").await;
    assert!(!login_page().await.contains(hint));
    assert_eq!(
        sign_in(&app, "yamada", "yamada-pass-2026").await.0,
        200,
        "the directory is kept but not used"
    );
    assert_eq!(sign_in(&app, "000123", kenshu_tests::PASSWORD).await.0, 303);

    use_directory(&app, &server, inst, "password,directory").await;
    assert_eq!(sign_in(&app, "yamada", "yamada-pass-2026").await.0, 303);
    assert_eq!(sign_in(&app, "000123", kenshu_tests::PASSWORD).await.0, 303);

    // 山田 leaves (the roster's leaving date has come): the directory still knows him, the
    // portal no longer lets him in.
    sqlx::query("update users set status = 'left', active = false where login_id = '000123'")
        .execute(app.pool())
        .await
        .unwrap();
    let (status, page) = sign_in(&app, "yamada", "yamada-pass-2026").await;
    assert_eq!(status, 200);
    assert!(page.contains("パスワードが正しくありません"), "{page}");
}

/// The portal administrator's page: every institution's methods, the directory only where one
/// is set, never none; nobody else may change them.
#[tokio::test]
async fn the_portal_administrator_chooses_the_methods_on_a_page() {
    let Some(server) = Slapd::start(&tree()) else {
        return;
    };
    let app = kenshu_tests::TestApp::spawn().await;
    let s = kenshu_tests::Scenario::new(app.pool())
        .person("admin", kenshu_core::person::Role::PortalAdmin)
        .person("chief", kenshu_core::person::Role::ChiefOfficer)
        .person("000123", kenshu_core::person::Role::Staff)
        .build()
        .await;
    let inst = s.institution();
    let mut admin = app.signed_in("admin").await;
    // Signed in while portal passwords still count.
    let mut chief = app.signed_in("chief").await;
    let page = admin.get("/admin/sign-in").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("未設定"),
        "no directory yet: {}",
        page.body
    );

    let refused = admin
        .post(
            "/admin/sign-in/test",
            &[("password", "on"), ("directory", "on")],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused
            .body
            .contains("この機関にはディレクトリが設定されていません"),
        "{}",
        refused.body
    );
    let none = admin.post("/admin/sign-in/test", &[]).await;
    assert_eq!(none.status, 422);
    assert!(none.body.contains("方式を少なくとも一つ選んでください"));

    use_directory(&app, &server, inst, "password").await;
    let page = admin.get("/admin/sign-in").await;
    assert!(page.body.contains(&server.ldaps_url), "{}", page.body);
    let saved = admin
        .post("/admin/sign-in/test", &[("directory", "on")])
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let mut conn = app.pool().acquire().await.unwrap();
    let now = kenshu_db::institution::sign_in_methods(&mut conn, inst)
        .await
        .unwrap();
    assert_eq!(now.names(), ["directory"]);
    drop(conn);
    let logged: (String, String) = sqlx::query_as(
        "select subject, detail from audit_log where action = 'sign_in_methods_changed'",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(logged, ("test".to_string(), "directory".to_string()));
    assert_eq!(sign_in(&app, "yamada", "yamada-pass-2026").await.0, 303);

    // The chief officer may not change them.
    chief.get("/my").await;
    let forbidden = chief
        .post("/admin/sign-in/test", &[("password", "on")])
        .await;
    assert_eq!(forbidden.status, 403);
    let mut conn = app.pool().acquire().await.unwrap();
    let still = kenshu_db::institution::sign_in_methods(&mut conn, inst)
        .await
        .unwrap();
    assert_eq!(still.names(), ["directory"]);
}
