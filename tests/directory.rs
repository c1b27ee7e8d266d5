//! Signing in against a directory (issue 16, item 1, the client): a real OpenLDAP server with a
//! generated tree and a self-signed CA, reached over ldaps:// and over ldap:// with StartTLS.
//! A good password gives the employee number (leading zeros kept); a wrong one, a disabled
//! entry, someone outside the group, a name that is not there or that tries to widen the search,
//! a server that is down and a certificate nobody vouched for are each told apart.

use std::time::Duration;

use kenshu_app::directory::{DirectoryConfig, DirectoryError, authenticate};
use kenshu_tests::slapd::{SUFFIX, Slapd};

/// Staff of a town office: 山田 (in the group), 鈴木 (not in the group), 佐藤 (disabled), and
/// the portal's read-only look-up account.
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
         dn: uid=nonumber,ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: nonumber\n\
         cn: 番号 なし\nsn: なし\nuserPassword: nonumber-pass-2026\n\n\
         dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n\n\
         dn: cn=kenshu-users,ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: kenshu-users\n\
         member: uid=yamada,ou=people,{SUFFIX}\nmember: uid=sato,ou=people,{SUFFIX}\n\
         member: uid=nonumber,ou=people,{SUFFIX}\n"
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
    let _ = std::fs::remove_file(&ca);
}
