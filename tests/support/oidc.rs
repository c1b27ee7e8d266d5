//! A real OpenID Connect provider of the test's own: the certified npm package `oidc-provider`
//! run by Node.js (`tests/support/oidc/provider.mjs`) on a free port, with the clients and
//! accounts the test gives and a signing key made for the run. Accounts can be made to
//! misbehave as a broken or misconfigured provider would (an ID token for another client, a
//! wrong clock, a rotated key). Stopped when dropped. Without Node.js (or when the package
//! cannot be installed) a test says so and passes, except on CI.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::process::free_port;
use crate::skip::{is_ci, loud, program};

/// The package and major version installed: 9 runs on Node 20 here (it prints that it prefers
/// 22) and on the Node of Debian trixie.
pub const PACKAGE: &str = "oidc-provider@9";

/// A client registered at the provider (the portal).
#[derive(Debug, Clone)]
pub struct Client {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
}

/// How an account's ID token is spoiled (re-signed with the provider's key, so that only the
/// client's claim checks can tell).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehave {
    /// `aud` names another client.
    Audience,
    /// `iat` and `exp` two hours in the past: the provider's clock is wrong.
    Clock,
    /// A good token signed with a new key, published in the key set only from then on.
    Rotated,
}

/// A person at the provider.
#[derive(Debug, Clone)]
pub struct Account {
    /// Also the subject (`sub`).
    pub login: String,
    pub password: String,
    /// Claims released with the `profile` and `email` scopes: `employee_number`, `email`,
    /// `name`, `preferred_username`.
    pub claims: Vec<(String, String)>,
    /// How they authenticated (`["pwd"]`, `["pwd", "otp"]`).
    pub amr: Vec<String>,
    pub misbehave: Option<Misbehave>,
}

impl Account {
    /// An account with a password, these claims and `amr` `["pwd"]`.
    pub fn new(login: &str, password: &str, claims: &[(&str, &str)]) -> Account {
        Account {
            login: login.into(),
            password: password.into(),
            claims: claims
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            amr: vec!["pwd".into()],
            misbehave: None,
        }
    }

    pub fn amr(mut self, amr: &[&str]) -> Account {
        self.amr = amr.iter().map(|a| a.to_string()).collect();
        self
    }

    pub fn misbehave(mut self, how: Misbehave) -> Account {
        self.misbehave = Some(how);
        self
    }
}

/// Where the provider sent the browser back to the redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    pub code: String,
    pub state: String,
}

/// How often the provider's discovery document and key set were fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub discovery: u64,
    pub jwks: u64,
}

pub struct Provider {
    child: Option<Child>,
    config: PathBuf,
    /// Node's standard error (oidc-provider's warnings, a crash).
    log: PathBuf,
    /// `http://127.0.0.1:PORT`, the issuer.
    pub issuer: String,
}

/// The folder `oidc-provider` is installed in (`npm --prefix`), shared by the tests and by
/// `.ci/run`, which installs it up front.
pub fn modules_dir() -> PathBuf {
    std::env::temp_dir().join("kenshu-oidc")
}

/// Installs the package if it is not there; the reason when it cannot be.
fn install() -> Result<PathBuf, String> {
    // Tests of one binary run in parallel: one installs, the others wait.
    static INSTALL: Mutex<()> = Mutex::new(());
    let _once = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = modules_dir();
    if dir
        .join("node_modules/oidc-provider/package.json")
        .is_file()
    {
        return Ok(dir);
    }
    let npm = program(&["npm"], &[])?;
    let out = Command::new(npm)
        .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
        .arg(&dir)
        .arg(PACKAGE)
        .output()
        .map_err(|e| format!("npm: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "npm install {PACKAGE}: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(dir)
}

fn json_strings(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| json_string(s)).collect();
    format!("[{}]", quoted.join(","))
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

impl Provider {
    /// Starts a provider for these clients and accounts and waits until its discovery answers.
    /// `None` when Node.js or the package is missing and the tests do not run on CI.
    pub async fn start(clients: &[Client], accounts: &[Account]) -> Option<Provider> {
        let found = program(&["node", "nodejs"], &[]).and_then(|node| Ok((node, install()?)));
        let (node, modules) = match found {
            Ok(found) => found,
            Err(why) => {
                if is_ci() {
                    panic!("the OpenID Connect tests need Node.js and {PACKAGE}: {why}");
                }
                loud(&[
                    "SKIPPED: the OpenID Connect tests need Node.js and the npm package",
                    &format!("{PACKAGE} (apt-get install nodejs npm); `.ci/run` installs them."),
                    &why,
                ]);
                return None;
            }
        };
        let port = free_port();
        let issuer = format!("http://127.0.0.1:{port}");
        let clients: Vec<String> = clients
            .iter()
            .map(|c| {
                format!(
                    r#"{{"client_id":{},"client_secret":{},"redirect_uris":{},"post_logout_redirect_uris":{}}}"#,
                    json_string(&c.client_id),
                    json_string(&c.client_secret),
                    json_strings(&c.redirect_uris),
                    json_strings(&c.post_logout_redirect_uris)
                )
            })
            .collect();
        let accounts: Vec<String> = accounts
            .iter()
            .map(|a| {
                let claims: Vec<String> = a
                    .claims
                    .iter()
                    .map(|(k, v)| format!("{}:{}", json_string(k), json_string(v)))
                    .collect();
                let misbehave = match a.misbehave {
                    None => "null",
                    Some(Misbehave::Audience) => r#""audience""#,
                    Some(Misbehave::Clock) => r#""clock""#,
                    Some(Misbehave::Rotated) => r#""rotated""#,
                };
                format!(
                    r#"{{"login":{},"password":{},"claims":{{{}}},"amr":{},"misbehave":{misbehave}}}"#,
                    json_string(&a.login),
                    json_string(&a.password),
                    claims.join(","),
                    json_strings(&a.amr)
                )
            })
            .collect();
        let config_text = format!(
            r#"{{"issuer":{},"port":{port},"modules":{},"clients":[{}],"accounts":[{}]}}"#,
            json_string(&issuer),
            json_string(&modules.to_string_lossy()),
            clients.join(","),
            accounts.join(",")
        );
        let config = std::env::temp_dir().join(format!(
            "kenshu-oidc-{}.json",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::write(&config, config_text).expect("write the provider's configuration");
        let log = config.with_extension("log");
        let script = crate::repo_root().join("tests/support/oidc/provider.mjs");
        let child = Command::new(node)
            .arg(script)
            .env("KENSHU_OIDC_CONFIG", &config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("the provider's log"))
            .spawn()
            .expect("start node");
        let mut provider = Provider {
            child: Some(child),
            config,
            log,
            issuer,
        };
        let discovery = format!("{}/.well-known/openid-configuration", provider.issuer);
        let probe = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(r) = probe
                .get(&discovery)
                .header("x-kenshu-probe", "1")
                .send()
                .await
                && r.status() == 200
            {
                break;
            }
            if let Some(child) = provider.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                let err = std::fs::read_to_string(&provider.log).unwrap_or_default();
                panic!("the OpenID Connect provider exited with {status}: {err}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the OpenID Connect provider did not answer within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Some(provider)
    }

    /// Stops the provider (a provider that is down); dropping does the same.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// How often discovery and the key set were fetched so far.
    pub async fn counts(&self) -> Counts {
        let text = reqwest::get(format!("{}/__test/counts", self.issuer))
            .await
            .expect("counts")
            .text()
            .await
            .expect("counts");
        let v: serde_json::Value = serde_json::from_str(&text).expect("counts as JSON");
        Counts {
            discovery: v["discovery"].as_u64().expect("discovery count"),
            jwks: v["jwks"].as_u64().expect("jwks count"),
        }
    }

    /// Signs `login` in as a browser would: opens `authorize_url`, follows the provider's
    /// redirects (keeping its cookies), fills in the login form, and stops at the redirect to
    /// `redirect_uri`, returning the code and state sent there. The reason when the provider
    /// refuses (a wrong password, an error sent to the redirect URI).
    pub async fn sign_in(
        &self,
        authorize_url: &str,
        redirect_uri: &str,
        login: &str,
        password: &str,
    ) -> Result<Callback, String> {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        let mut url = reqwest::Url::parse(authorize_url).map_err(|e| e.to_string())?;
        let mut form_sent = false;
        for _ in 0..12 {
            if url.as_str().starts_with(redirect_uri) {
                let get = |name: &str| {
                    url.query_pairs()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.to_string())
                };
                if let Some(error) = get("error") {
                    return Err(format!(
                        "{error}: {}",
                        get("error_description").unwrap_or_default()
                    ));
                }
                return match (get("code"), get("state")) {
                    (Some(code), Some(state)) => Ok(Callback { code, state }),
                    _ => Err(format!("no code and state in {url}")),
                };
            }
            let at_form = url.path().starts_with("/interaction/");
            let response = if at_form && !form_sent {
                // The form page itself first (as a browser shows it), then the answer.
                let page = http
                    .get(url.clone())
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                if page.status() != 200 {
                    return Err(format!("the login page answered {}", page.status()));
                }
                form_sent = true;
                http.post(url.clone())
                    .form(&[("login", login), ("password", password)])
                    .send()
                    .await
                    .map_err(|e| e.to_string())?
            } else {
                http.get(url.clone())
                    .send()
                    .await
                    .map_err(|e| e.to_string())?
            };
            let status = response.status();
            if !status.is_redirection() {
                let body = response.text().await.unwrap_or_default();
                return Err(format!("{status}: {body}"));
            }
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .ok_or_else(|| format!("{status} without a Location"))?;
            url = url.join(location).map_err(|e| e.to_string())?;
        }
        Err("too many redirects".into())
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_file(&self.config);
        let _ = std::fs::remove_file(&self.log);
    }
}

/// The portal's client at the test provider.
pub const CLIENT_ID: &str = "kenshu-portal";
/// Its secret.
pub const SECRET: &str = "client-secret-of-the-test-portal-2026";

/// The portal at its own address, a provider that knows it, and the institution set to sign in
/// through it (and with passwords). People on the roster: 000123 (staff), 000321 (a chief
/// officer).
pub async fn portal_and_provider(
    accounts: &[Account],
) -> Option<(crate::TestApp, Provider, crate::Built)> {
    let db = crate::test_db().await;
    crate::app_role().await;
    let serving = kenshu_db::connect(db.app_options(), 8).await.unwrap();
    let settings = kenshu_web::Settings {
        public_url: String::new(),
        ..kenshu_web::Settings::default()
    };
    let app = crate::TestApp::spawn_with(db, serving, settings).await;
    let base = app.url("");
    let provider = Provider::start(
        &[Client {
            client_id: CLIENT_ID.into(),
            client_secret: SECRET.into(),
            redirect_uris: vec![format!("{base}/login/oidc/callback")],
            post_logout_redirect_uris: vec![format!("{base}/login")],
        }],
        accounts,
    )
    .await?;
    let s = crate::Scenario::new(app.pool())
        .person("000123", kenshu_core::person::Role::Staff)
        .person("000321", kenshu_core::person::Role::ChiefOfficer)
        .build()
        .await;
    let inst = s.institution();
    let key = crate::audit_key();
    let mut conn = app.pool().acquire().await.unwrap();
    kenshu_db::oidc::set(
        &mut conn,
        inst,
        &kenshu_db::oidc::StoredProvider {
            issuer: provider.issuer.clone(),
            client_id: CLIENT_ID.into(),
            client_secret_sealed: kenshu_db::oidc::seal_secret(&key, inst, SECRET),
            claim: "employee_number".into(),
            ca_pem: None,
            timeout_secs: 5,
        },
    )
    .await
    .unwrap();
    kenshu_db::institution::set_sign_in_methods(
        &mut conn,
        inst,
        &kenshu_core::sign_in::SignInMethods::parse("password,oidc").unwrap(),
    )
    .await
    .unwrap();
    Some((app, provider, s))
}
