//! Signing in through an OpenID Connect provider (issue 16, item 2, the building blocks): a real
//! provider (the certified `oidc-provider` package) with a key of the run. A good sign-in gives
//! the employee number (leading zeros kept) and how the person authenticated; a token for
//! another client, from a provider with a wrong clock, with another nonce, a code used twice or
//! redeemed without its PKCE verifier, a wrong client secret and a provider that is down are
//! each told apart. Discovery is fetched once, the keys again only when the provider rotated
//! them. The pending sign-ins and the client secret are stored as the portal serves: through the
//! application role.

use std::time::{Duration, Instant};

use kenshu_app::oidc::{self, OidcConfig, OidcError};
use kenshu_tests::oidc::{Account, Client, Misbehave, Provider};

const CLIENT_ID: &str = "kenshu-portal";
const SECRET: &str = "client-secret-of-the-test-portal-2026";
const REDIRECT: &str = "http://127.0.0.1:9/oidc/callback";
const AFTER_LOGOUT: &str = "http://127.0.0.1:9/signed-out";

fn client() -> Client {
    Client {
        client_id: CLIENT_ID.into(),
        client_secret: SECRET.into(),
        redirect_uris: vec![REDIRECT.into()],
        post_logout_redirect_uris: vec![AFTER_LOGOUT.into()],
    }
}

/// Staff of a town office: 山田 (second factor too), 鈴木 (a token for another client), 佐藤 (the
/// provider's clock is two hours behind), 加藤 (no employee number, only an e-mail), 伊藤 (a
/// token signed with a key the provider has just rotated to).
fn accounts() -> Vec<Account> {
    vec![
        Account::new(
            "yamada",
            "yamada-pass-2026",
            &[
                ("employee_number", "000123"),
                ("email", "yamada@town.example.lg.jp"),
                ("name", "山田 太郎"),
            ],
        )
        .amr(&["pwd", "otp"]),
        Account::new(
            "suzuki",
            "suzuki-pass-2026",
            &[("employee_number", "000456")],
        )
        .misbehave(Misbehave::Audience),
        Account::new("sato", "sato-pass-2026", &[("employee_number", "000789")])
            .misbehave(Misbehave::Clock),
        Account::new(
            "kato",
            "kato-pass-2026",
            &[("email", "kato@town.example.lg.jp")],
        ),
        Account::new("ito", "ito-pass-2026", &[("employee_number", "001000")])
            .misbehave(Misbehave::Rotated),
    ]
}

fn config(provider: &Provider) -> OidcConfig {
    OidcConfig {
        issuer: provider.issuer.clone(),
        client_id: CLIENT_ID.into(),
        client_secret: SECRET.into(),
        claim: "employee_number".into(),
        ca_pem: None,
        timeout: Duration::from_secs(5),
    }
}

/// Begins a sign-in, signs `login` in at the provider and returns what came back with what was
/// kept.
async fn through_provider(
    provider: &Provider,
    cfg: &OidcConfig,
    login: &str,
    password: &str,
) -> (oidc::Begun, String) {
    let begun = oidc::begin(cfg, REDIRECT).await.expect("begin");
    let back = provider
        .sign_in(&begun.authorize_url, REDIRECT, login, password)
        .await
        .unwrap_or_else(|e| panic!("{login} signs in at the provider: {e}"));
    assert_eq!(back.state, begun.state, "the state comes back unchanged");
    (begun, back.code)
}

async fn sign_in(
    provider: &Provider,
    cfg: &OidcConfig,
    login: &str,
    password: &str,
) -> Result<oidc::Identity, OidcError> {
    let (begun, code) = through_provider(provider, cfg, login, password).await;
    oidc::finish(cfg, REDIRECT, &code, &begun.nonce, &begun.pkce_verifier).await
}

#[tokio::test]
async fn an_oidc_sign_in_is_told_apart_from_every_way_it_can_fail() {
    let Some(mut provider) = Provider::start(&[client()], &accounts()).await else {
        return;
    };
    let cfg = config(&provider);

    // What is sent to the provider: the code flow, PKCE by SHA-256, state and nonce.
    let begun = oidc::begin(&cfg, REDIRECT).await.expect("begin");
    let url = reqwest::Url::parse(&begun.authorize_url).unwrap();
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.to_string())
    };
    assert_eq!(
        url.as_str().split('?').next(),
        Some(&*format!("{}/auth", provider.issuer))
    );
    assert_eq!(param("response_type").as_deref(), Some("code"));
    assert_eq!(param("client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(param("redirect_uri").as_deref(), Some(REDIRECT));
    assert_eq!(param("code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(param("state"), Some(begun.state.clone()));
    assert_eq!(param("nonce"), Some(begun.nonce.clone()));
    assert_eq!(param("scope").as_deref(), Some("openid profile email"));
    assert!(begun.pkce_verifier.len() >= 43, "{}", begun.pkce_verifier);
    let again = oidc::begin(&cfg, REDIRECT).await.expect("begin");
    assert_ne!(again.state, begun.state);
    assert_ne!(again.nonce, begun.nonce);
    assert_ne!(again.pkce_verifier, begun.pkce_verifier);

    // A good sign-in: the employee number as the provider wrote it, and the second factor.
    let (begun, code) = through_provider(&provider, &cfg, "yamada", "yamada-pass-2026").await;
    let who = oidc::finish(&cfg, REDIRECT, &code, &begun.nonce, &begun.pkce_verifier)
        .await
        .expect("yamada signs in");
    assert_eq!(who.employee, "000123");
    assert_eq!(who.subject, "yamada");
    assert_eq!(who.amr, ["pwd", "otp"]);
    assert_eq!(who.id_token.split('.').count(), 3);

    // The same code again (a replayed callback): the provider refuses it.
    let replayed = oidc::finish(&cfg, REDIRECT, &code, &begun.nonce, &begun.pkce_verifier).await;
    assert!(
        matches!(replayed, Err(OidcError::Rejected(_))),
        "{replayed:?}"
    );

    // Another claim: the e-mail.
    let by_mail = OidcConfig {
        claim: "email".into(),
        ..cfg.clone()
    };
    let who = sign_in(&provider, &by_mail, "yamada", "yamada-pass-2026").await;
    assert_eq!(
        who.ok().map(|w| w.employee).as_deref(),
        Some("yamada@town.example.lg.jp")
    );
    let kato = sign_in(&provider, &by_mail, "kato", "kato-pass-2026").await;
    assert_eq!(
        kato.ok().map(|w| (w.employee, w.amr)),
        Some((
            "kato@town.example.lg.jp".to_string(),
            vec!["pwd".to_string()]
        ))
    );
    // Without the configured claim the roster cannot be matched.
    let kato = sign_in(&provider, &cfg, "kato", "kato-pass-2026").await;
    assert!(
        matches!(&kato, Err(OidcError::MissingClaim(c)) if c == "employee_number"),
        "{kato:?}"
    );

    // A nonce other than the one kept: the token belongs to another sign-in.
    let (begun, code) = through_provider(&provider, &cfg, "yamada", "yamada-pass-2026").await;
    let got = oidc::finish(&cfg, REDIRECT, &code, "another-nonce", &begun.pkce_verifier).await;
    assert!(
        matches!(&got, Err(OidcError::IdToken(why)) if why.contains("nonce")),
        "{got:?}"
    );

    // A code redeemed without its PKCE verifier (intercepted by someone else).
    let (begun, code) = through_provider(&provider, &cfg, "yamada", "yamada-pass-2026").await;
    let got = oidc::finish(&cfg, REDIRECT, &code, &begun.nonce, &"x".repeat(43)).await;
    assert!(matches!(got, Err(OidcError::Rejected(_))), "{got:?}");

    // A token for another client, though signed by the provider.
    let got = sign_in(&provider, &cfg, "suzuki", "suzuki-pass-2026").await;
    assert!(
        matches!(&got, Err(OidcError::IdToken(why)) if why.contains("audience")),
        "{got:?}"
    );

    // A provider whose clock is two hours behind: the token has expired on arrival.
    let got = sign_in(&provider, &cfg, "sato", "sato-pass-2026").await;
    assert!(
        matches!(&got, Err(OidcError::IdToken(why)) if why.contains("xpired")),
        "{got:?}"
    );

    // A wrong password never reaches the portal: the provider keeps asking.
    let begun = oidc::begin(&cfg, REDIRECT).await.expect("begin");
    let refused = provider
        .sign_in(&begun.authorize_url, REDIRECT, "yamada", "wrong")
        .await;
    assert!(refused.is_err(), "{refused:?}");

    // The portal's secret changed at the provider and nobody told the portal: its setup.
    let wrong_secret = OidcConfig {
        client_secret: "an-old-secret".into(),
        ..cfg.clone()
    };
    let (begun, code) =
        through_provider(&provider, &wrong_secret, "yamada", "yamada-pass-2026").await;
    let got = oidc::finish(
        &wrong_secret,
        REDIRECT,
        &code,
        &begun.nonce,
        &begun.pkce_verifier,
    )
    .await;
    assert!(matches!(got, Err(OidcError::Setup(_))), "{got:?}");

    // Discovery (with the key set) was fetched once for all of the above.
    let counts = provider.counts().await;
    assert_eq!((counts.discovery, counts.jwks), (1, 1), "{counts:?}");

    // The provider rotates its key: the key set is fetched again, once, and the token accepted.
    let who = sign_in(&provider, &cfg, "ito", "ito-pass-2026").await;
    assert_eq!(who.ok().map(|w| w.employee).as_deref(), Some("001000"));
    let counts = provider.counts().await;
    assert_eq!((counts.discovery, counts.jwks), (1, 2), "{counts:?}");
    let who = sign_in(&provider, &cfg, "yamada", "yamada-pass-2026").await;
    assert_eq!(who.ok().map(|w| w.employee).as_deref(), Some("000123"));
    assert_eq!(provider.counts().await.jwks, 2, "the new key set is kept");

    // Signing out at the provider too: its end-session endpoint from discovery, with the ID
    // token as the hint and where to come back.
    let who = sign_in(&provider, &cfg, "yamada", "yamada-pass-2026")
        .await
        .expect("yamada signs in");
    let out = oidc::end_session_url(&cfg, Some(&who.id_token), AFTER_LOGOUT)
        .await
        .expect("end-session URL")
        .expect("the provider has an end-session endpoint");
    let url = reqwest::Url::parse(&out).unwrap();
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.to_string())
    };
    assert_eq!(
        out.split('?').next(),
        Some(&*format!("{}/session/end", provider.issuer))
    );
    assert_eq!(param("id_token_hint"), Some(who.id_token.clone()));
    assert_eq!(param("client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(
        param("post_logout_redirect_uri").as_deref(),
        Some(AFTER_LOGOUT)
    );
    // The provider accepts the request (asks to confirm the sign-out, rather than an error).
    let page = reqwest::get(&out).await.expect("end session");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap_or_default().contains("logout"));

    // Checking the settings fetches discovery afresh; an issuer written differently from what
    // the provider calls itself (a trailing slash) would never match its tokens' `iss`.
    oidc::check(&cfg).await.expect("the settings work");
    assert_eq!(provider.counts().await.discovery, 2);
    let slash = OidcConfig {
        issuer: format!("{}/", provider.issuer),
        ..cfg.clone()
    };
    let got = oidc::check(&slash).await;
    assert!(matches!(got, Err(OidcError::Setup(_))), "{got:?}");

    // The provider goes down. Starting a sign-in needs only what discovery said (kept); the
    // token endpoint is not there: a clear "cannot be reached", soon.
    let (begun, code) = through_provider(&provider, &cfg, "yamada", "yamada-pass-2026").await;
    provider.stop();
    let started = Instant::now();
    let again = oidc::begin(&cfg, REDIRECT).await;
    assert!(again.is_ok(), "{again:?}");
    let got = oidc::finish(&cfg, REDIRECT, &code, &begun.nonce, &begun.pkce_verifier).await;
    assert!(matches!(got, Err(OidcError::Unavailable(_))), "{got:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

/// A provider that is not there, one that never answers, and settings that cannot work.
#[tokio::test]
async fn a_provider_that_cannot_be_reached_or_is_misconfigured_is_told_apart() {
    let cfg = |issuer: String| OidcConfig {
        issuer,
        client_id: CLIENT_ID.into(),
        client_secret: SECRET.into(),
        claim: "employee_number".into(),
        ca_pem: None,
        timeout: Duration::from_secs(1),
    };
    // Nothing listens.
    let port = kenshu_tests::process::free_port();
    let got = oidc::begin(&cfg(format!("http://127.0.0.1:{port}")), REDIRECT).await;
    assert!(matches!(got, Err(OidcError::Unavailable(_))), "{got:?}");

    // Something accepts connections and never answers: given up after the time-out.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let started = Instant::now();
    let got = oidc::begin(&cfg(silent), REDIRECT).await;
    assert!(matches!(got, Err(OidcError::Unavailable(_))), "{got:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    drop(listener);

    // An issuer that redirects elsewhere is not followed (the portal must not be made to fetch
    // addresses inside the network): nothing reaches where it points.
    let inside = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    inside.set_nonblocking(true).unwrap();
    let target = format!("http://{}/", inside.local_addr().unwrap());
    let redirecting = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://{}", redirecting.local_addr().unwrap());
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for stream in redirecting.incoming().take(2) {
            let Ok(mut stream) = stream else { return };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = write!(
                stream,
                "HTTP/1.1 302 Found\r\nLocation: {target}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    let got = oidc::begin(&cfg(issuer), REDIRECT).await;
    assert!(
        matches!(&got, Err(OidcError::Unavailable(why)) if why.contains("302")),
        "{got:?}"
    );
    assert!(inside.accept().is_err(), "the redirect was followed");

    // Plain HTTP to another machine would carry the client secret and tokens in the clear.
    let got = oidc::begin(&cfg("http://idp.town.example.lg.jp".into()), REDIRECT).await;
    assert!(matches!(got, Err(OidcError::Setup(_))), "{got:?}");
    // A CA file without a certificate.
    let mut bad_ca = cfg("https://idp.town.example.lg.jp".into());
    bad_ca.ca_pem = Some("not a certificate".into());
    let got = oidc::begin(&bad_ca, REDIRECT).await;
    assert!(matches!(got, Err(OidcError::Setup(_))), "{got:?}");
}

/// The provider's settings and the pending sign-ins, through the application role: set, read,
/// replaced and removed; the secret sealed for its institution; a pending sign-in taken once,
/// never after it expired; and a whole sign-in through storage and the provider.
#[tokio::test]
async fn provider_settings_and_pending_sign_ins_are_kept_as_the_portal_serves() {
    let db = kenshu_tests::test_db().await;
    let (institution, _, _) = kenshu_tests::institution(&db.pool).await;
    // The application role gets what migration 0023's function grants, as when the portal
    // starts serving: the new tables are covered without a grant of their own.
    let role = kenshu_tests::app_role().await;
    kenshu_db::roles::grant_app(&mut db.pool.acquire().await.unwrap(), role)
        .await
        .unwrap();
    let app = db.app_pool(2, Duration::from_secs(10)).await;
    let key = kenshu_tests::audit_key();
    let mut conn = app.acquire().await.unwrap();
    use kenshu_db::oidc as store;

    assert_eq!(store::get(&mut conn, institution).await.unwrap(), None);
    let stored = store::StoredProvider {
        issuer: "https://login.example.lg.jp/realms/town".into(),
        client_id: CLIENT_ID.into(),
        client_secret_sealed: store::seal_secret(&key, institution, SECRET),
        claim: "employee_number".into(),
        ca_pem: None,
        timeout_secs: 7,
    };
    store::set(&mut conn, institution, &stored).await.unwrap();
    let got = store::get(&mut conn, institution).await.unwrap();
    assert_eq!(got.as_ref(), Some(&stored));
    let row: Vec<u8> = sqlx::query_scalar(
        "select client_secret_sealed from institution_oidc_providers where institution_id = $1",
    )
    .bind(institution)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(!row.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()));
    assert!(!row.windows(6).any(|w| w == b"secret"));
    let opened = oidc::from_stored(&stored, &key, institution).expect("opens");
    assert_eq!(opened.client_secret, SECRET);
    assert_eq!(opened.timeout, Duration::from_secs(7));
    assert_eq!(opened.claim, "employee_number");
    // Copied to another institution, or under another portal key, it opens nothing.
    let elsewhere = uuid::Uuid::new_v4();
    assert_eq!(store::open_secret(&key, elsewhere, &row), None);
    assert!(matches!(
        oidc::from_stored(&stored, &key, elsewhere),
        Err(OidcError::Setup(_))
    ));
    let other_key = kenshu_core::audit::AuditKey::from_bytes([9; 32]);
    assert_eq!(store::open_secret(&other_key, institution, &row), None);

    // Replaced; what the database refuses.
    let replaced = store::StoredProvider {
        claim: "email".into(),
        ..stored.clone()
    };
    store::set(&mut conn, institution, &replaced).await.unwrap();
    assert_eq!(
        store::get(&mut conn, institution)
            .await
            .unwrap()
            .map(|p| p.claim)
            .as_deref(),
        Some("email")
    );
    for bad in [
        store::StoredProvider {
            issuer: "ftp://login.example.lg.jp".into(),
            ..stored.clone()
        },
        store::StoredProvider {
            claim: "employee number".into(),
            ..stored.clone()
        },
        store::StoredProvider {
            timeout_secs: 0,
            ..stored.clone()
        },
    ] {
        assert!(
            store::set(&mut conn, institution, &bad).await.is_err(),
            "{bad:?}"
        );
    }

    // A pending sign-in: taken once, with what was kept.
    let state = "state-from-the-browser-1";
    let hash = store::state_hash(state);
    store::begin(
        &mut conn,
        &key,
        &hash,
        institution,
        "nonce-1",
        "verifier-1-verifier-1-verifier-1-verifier-1",
        "/courses",
        Duration::from_secs(600),
    )
    .await
    .unwrap();
    let verifier_row: Vec<u8> =
        sqlx::query_scalar("select pkce_verifier_sealed from oidc_sign_ins where state_hash = $1")
            .bind(&hash[..])
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(!verifier_row.windows(10).any(|w| w == b"verifier-1"));
    let pending = store::take(&mut conn, &key, &hash).await.unwrap();
    assert_eq!(
        pending,
        Some(store::Pending {
            institution,
            nonce: "nonce-1".into(),
            pkce_verifier: "verifier-1-verifier-1-verifier-1-verifier-1".into(),
            next: "/courses".into(),
        })
    );
    assert_eq!(
        store::take(&mut conn, &key, &hash).await.unwrap(),
        None,
        "used once"
    );
    assert_eq!(
        store::take(&mut conn, &key, &store::state_hash("never-begun"))
            .await
            .unwrap(),
        None
    );

    // Expired: never taken, and purged.
    let (late, fresh) = (store::state_hash("late"), store::state_hash("fresh"));
    for h in [&late, &fresh] {
        store::begin(
            &mut conn,
            &key,
            h,
            institution,
            "n",
            "v",
            "/",
            Duration::from_secs(600),
        )
        .await
        .unwrap();
    }
    sqlx::query(
        "update oidc_sign_ins set expires_at = now() - interval '1 second' where state_hash = $1",
    )
    .bind(&late[..])
    .execute(&db.pool)
    .await
    .unwrap();
    assert_eq!(store::purge_expired(&mut conn).await.unwrap(), 1);
    store::begin(
        &mut conn,
        &key,
        &late,
        institution,
        "n",
        "v",
        "/",
        Duration::from_secs(600),
    )
    .await
    .unwrap();
    sqlx::query(
        "update oidc_sign_ins set expires_at = now() - interval '1 second' where state_hash = $1",
    )
    .bind(&late[..])
    .execute(&db.pool)
    .await
    .unwrap();
    assert_eq!(store::take(&mut conn, &key, &late).await.unwrap(), None);
    // Under another portal key the verifier does not open: the sign-in starts again.
    assert_eq!(
        store::take(&mut conn, &other_key, &fresh).await.unwrap(),
        None
    );

    // Removed, with its sign-ins under way.
    store::begin(
        &mut conn,
        &key,
        &hash,
        institution,
        "n",
        "v",
        "/",
        Duration::from_secs(600),
    )
    .await
    .unwrap();
    assert!(store::remove(&mut conn, institution).await.unwrap());
    assert!(!store::remove(&mut conn, institution).await.unwrap());
    assert_eq!(store::get(&mut conn, institution).await.unwrap(), None);
    assert_eq!(store::take(&mut conn, &key, &hash).await.unwrap(), None);

    // A whole sign-in as the web pages will do it: begin and keep, come back, take by the
    // state, finish with what was kept.
    let Some(provider) = Provider::start(&[client()], &accounts()).await else {
        return;
    };
    let stored = store::StoredProvider {
        issuer: provider.issuer.clone(),
        client_secret_sealed: store::seal_secret(&key, institution, SECRET),
        ..stored
    };
    store::set(&mut conn, institution, &stored).await.unwrap();
    let cfg = oidc::from_stored(
        &store::get(&mut conn, institution).await.unwrap().unwrap(),
        &key,
        institution,
    )
    .unwrap();
    let begun = oidc::begin(&cfg, REDIRECT).await.unwrap();
    store::begin(
        &mut conn,
        &key,
        &store::state_hash(&begun.state),
        institution,
        &begun.nonce,
        &begun.pkce_verifier,
        "/me",
        Duration::from_secs(600),
    )
    .await
    .unwrap();
    let back = provider
        .sign_in(&begun.authorize_url, REDIRECT, "yamada", "yamada-pass-2026")
        .await
        .unwrap();
    let pending = store::take(&mut conn, &key, &store::state_hash(&back.state))
        .await
        .unwrap()
        .expect("the pending sign-in");
    assert_eq!(
        (pending.institution, pending.next.as_str()),
        (institution, "/me")
    );
    let who = oidc::finish(
        &cfg,
        REDIRECT,
        &back.code,
        &pending.nonce,
        &pending.pkce_verifier,
    )
    .await
    .unwrap();
    assert_eq!(who.employee, "000123");
    // The callback replayed: its state finds nothing.
    assert_eq!(
        store::take(&mut conn, &key, &store::state_hash(&back.state))
            .await
            .unwrap(),
        None
    );
}
