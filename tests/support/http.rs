//! The real portal on port 0, and a cookie-keeping client to drive it.

use std::net::SocketAddr;

use kenshu_db::PgPool;
use reqwest::StatusCode;
use tokio::sync::oneshot;

use crate::TestDb;

pub struct TestApp {
    pub addr: SocketAddr,
    pub db: TestDb,
    serving: PgPool,
    /// The portal's state (its session cache, say), shared with the running server.
    pub state: kenshu_web::AppState,
    stop: Option<oneshot::Sender<()>>,
}

/// Waits until `state`'s session listener has heard every change committed before the call
/// (PostgreSQL delivers announcements in commit order, so hearing one sent now is enough); at
/// once when it is not listening (then nothing is served from memory).
pub async fn sessions_heard(pool: &PgPool, state: &kenshu_web::AppState) {
    let cache = &state.sessions;
    if !cache.is_listening() {
        return;
    }
    let before = cache.epoch();
    // An announcement about nobody: it forgets nothing, it only shows it was heard.
    sqlx::query("select pg_notify($1, 'u00000000-0000-0000-0000-000000000000')")
        .bind(kenshu_web::session_cache::CHANNEL)
        .execute(pool)
        .await
        .expect("announce a barrier");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while cache.epoch() == before && cache.is_listening() {
        assert!(
            std::time::Instant::now() < deadline,
            "the session listener did not hear an announcement within 10 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
}

impl TestApp {
    /// Starts the portal on a fresh database with the course content loaded.
    pub async fn spawn() -> TestApp {
        Self::spawn_on(crate::test_db().await).await
    }

    /// Starts the portal on `db`, serving as the application role (granted its privileges
    /// here, whoever migrated the database), with the tests' audit key and checkpoints in the
    /// database's data directory.
    pub async fn spawn_on(db: TestDb) -> TestApp {
        crate::app_role().await;
        let serving = kenshu_db::connect(db.app_options(), 8)
            .await
            .expect("connect as the application role");
        Self::spawn_with(db, serving, kenshu_web::Settings::default()).await
    }

    /// Starts the portal on `db` serving through `serving` (a pool of the application role:
    /// [`TestDb::app_options`]) with these settings, e.g. a pool of 4 connections to show that
    /// pages hold up at more requests than connections. The audit key and checkpoint folder
    /// are the tests' own.
    pub async fn spawn_with(
        db: TestDb,
        serving: PgPool,
        settings: kenshu_web::Settings,
    ) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let role = crate::app_role().await;
        let mut conn = db.pool.acquire().await.expect("conn");
        kenshu_db::roles::grant_app(&mut conn, role)
            .await
            .expect("grant the application role");
        drop(conn);
        // An empty public address stands for the portal's own (a test whose pages must name
        // themselves, as the OpenID Connect redirect URI does).
        let public_url = if settings.public_url.is_empty() {
            format!("http://{addr}")
        } else {
            settings.public_url.clone()
        };
        let settings = kenshu_web::Settings {
            public_url,
            audit_key: crate::audit_key(),
            checkpoint_dir: Some(db.data_dir().join(kenshu_db::audit_anchor::CHECKPOINT_DIR)),
            ..settings
        };
        let state = kenshu_web::AppState::new(serving.clone(), settings);
        let (stop, stopped) = oneshot::channel::<()>();
        let running = state.clone();
        tokio::spawn(async move {
            let _ = kenshu_web::serve(listener, running, async {
                let _ = stopped.await;
            })
            .await;
        });
        TestApp {
            addr,
            db,
            serving,
            state,
            stop: Some(stop),
        }
    }

    /// Waits until the portal has heard every session-related change committed so far (a test
    /// that changes an account behind the portal's back, then asks a page as that person).
    pub async fn sessions_heard(&self) {
        sessions_heard(self.pool(), &self.state).await;
    }

    /// Makes the portal forget what it holds in memory of `login`'s sessions, as a minute
    /// passing would (a test that moves `seen_at` or `expires_at` back in the database).
    pub async fn forget_sessions_of(&self, login: &str) {
        sqlx::query("select pg_notify($1, 'u' || id) from users where login_id = $2")
            .bind(kenshu_web::session_cache::CHANNEL)
            .bind(login)
            .execute(self.pool())
            .await
            .expect("announce a change of the person");
        self.sessions_heard().await;
    }

    /// A second portal on the same database (its own pool of `connections`, state and
    /// session cache), as a second server behind a load balancer would be; it serves until the
    /// test ends.
    pub async fn second_instance(&self, connections: u32) -> Instance {
        let pool = self
            .db
            .app_pool(connections, std::time::Duration::from_secs(10))
            .await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let settings = kenshu_web::Settings {
            audit_key: crate::audit_key(),
            ..Default::default()
        };
        let state = kenshu_web::AppState::new(pool.clone(), settings);
        tokio::spawn(kenshu_web::serve(
            listener,
            state.clone(),
            std::future::pending(),
        ));
        Instance { base, pool, state }
    }

    /// The test's own connections (a superuser's), for setting up and inspecting data.
    pub fn pool(&self) -> &PgPool {
        &self.db.pool
    }

    /// The connections the portal serves through (the application role).
    pub fn serving_pool(&self) -> &PgPool {
        &self.serving
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A new client with its own cookie jar, not signed in.
    pub fn browser(&self) -> Browser {
        Browser::new(&format!("http://{}", self.addr))
    }

    /// A client signed in as `login` with [`crate::PASSWORD`].
    pub async fn signed_in(&self, login: &str) -> Browser {
        let mut b = self.browser();
        let res = b.sign_in(login, crate::PASSWORD).await;
        assert_eq!(
            res.status,
            StatusCode::SEE_OTHER,
            "sign-in of {login} failed: {}",
            res.body
        );
        b
    }
}

/// A second portal instance ([`TestApp::second_instance`]).
pub struct Instance {
    /// `http://127.0.0.1:PORT`: cookies do not depend on the port, so a [`Browser`] signed in
    /// on the first instance is signed in here too once its `base` is set to this.
    pub base: String,
    pub pool: PgPool,
    pub state: kenshu_web::AppState,
}

impl Instance {
    /// Waits until this instance has heard every session-related change committed so far.
    pub async fn sessions_heard(&self, test_pool: &PgPool) {
        sessions_heard(test_pool, &self.state).await;
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

/// The CSRF token in a page's first form.
pub fn csrf_of(html: &str) -> Option<String> {
    let start = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
    /// The session's CSRF token, learned from the last page that had a form.
    pub csrf: Option<String>,
}

impl Browser {
    /// A client with its own cookie jar for a portal at `base` (`http://127.0.0.1:PORT`).
    /// It talks like a browser: it asks for compressed responses (and decodes them) and for
    /// Japanese, on every request.
    pub fn new(base: &str) -> Browser {
        Browser {
            base: base.to_string(),
            client: browser_like()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            csrf: None,
        }
    }

    async fn read(&mut self, res: reqwest::Response) -> Page {
        let status = res.status();
        let headers = res.headers().clone();
        let location = headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = res.text().await.expect("body");
        if let Some(t) = csrf_of(&body) {
            self.csrf = Some(t);
        }
        Page {
            status,
            location,
            headers,
            body,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let res = self
            .client
            .get(format!("{}{}", self.base, path))
            .send()
            .await
            .expect("GET");
        self.read(res).await
    }

    /// Posts a form with the session's CSRF token added.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.csrf.clone().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Posts exactly these fields (no CSRF token unless given).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded_pairs(fields);
        let res = self
            .client
            .post(format!("{}{}", self.base, path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("POST");
        self.read(res).await
    }

    /// Posts a file form (multipart) as a browser does, the session's CSRF token in the
    /// address as the portal's file forms carry it.
    pub async fn post_multipart(&mut self, path: &str, form: reqwest::multipart::Form) -> Page {
        let csrf = self.csrf.clone().unwrap_or_default();
        let sep = if path.contains('?') { '&' } else { '?' };
        let res = self
            .client
            .post(format!("{}{path}{sep}csrf={csrf}", self.base))
            .multipart(form)
            .send()
            .await
            .expect("POST");
        self.read(res).await
    }

    pub async fn sign_in(&mut self, login: &str, password: &str) -> Page {
        self.get("/login").await;
        let page = self
            .post(
                "/login",
                &[("login", login), ("password", password), ("next", "/my")],
            )
            .await;
        if page.status == StatusCode::SEE_OTHER {
            // Learn the session's token from a page.
            self.get("/my").await;
        }
        page
    }
}

/// The headers every browser sends and that change what a server does: compression and
/// language. reqwest decodes gzip, deflate and brotli bodies itself.
pub fn browser_like() -> reqwest::ClientBuilder {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ACCEPT_LANGUAGE,
        reqwest::header::HeaderValue::from_static("ja,en-US;q=0.9,en;q=0.8"),
    );
    headers.insert(
        reqwest::header::ACCEPT,
        reqwest::header::HeaderValue::from_static(
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        ),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .user_agent("Mozilla/5.0 (X11; Linux x86_64) kenshu-tests")
        .gzip(true)
        .deflate(true)
        .brotli(true)
}

fn serde_urlencoded_pairs(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
