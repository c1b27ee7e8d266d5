//! chromedriver + headless Chromium for the browser tests: one driver, one fresh profile and
//! one WebDriver session per test, all gone when the [`Session`] is dropped (also on panic).

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// How long an explicit wait for an element lasts before the test fails.
const WAIT: Duration = Duration::from_secs(15);

/// Screenshots are taken no taller than this (Chromium's texture limit is 16384).
const MAX_SHOT_HEIGHT: u64 = 12_000;

pub use kenshu_tests::skip::{is_ci, loud};

/// An executable named by the environment variable `var`, or the first of `names` on `PATH`.
fn find_tool(var: &str, names: &[&str]) -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os(var).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("{var}={} does not exist", p.display()))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in names {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(format!("none of {names:?} is on PATH (or set {var})"))
}

/// The process group of chromedriver (and the Chromium it starts) and the profile folder.
struct Driver {
    child: Child,
    dir: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // chromedriver was started as the leader of its own process group; Chromium and its
        // helpers are in that group too. Kill the whole group, then reap chromedriver.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Removes profile folders left by test processes that no longer run.
fn clean_stale_profiles() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(pid) = name
            .strip_prefix("kenshu-browser-")
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn start_driver(chromedriver: &Path, test: &str) -> (Driver, u16) {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    clean_stale_profiles();
    let dir = std::env::temp_dir().join(format!(
        "kenshu-browser-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    let log = dir.join("chromedriver.log");
    let mut child = Command::new(chromedriver)
        .arg("--port=0")
        .arg(format!("--log-path={}", log.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("{test}: cannot start {}: {e}", chromedriver.display()));
    let stdout = child.stdout.take().expect("chromedriver stdout");
    let driver = Driver { child, dir };

    // chromedriver prints "ChromeDriver was started successfully on port N." once it listens.
    // The thread keeps reading until chromedriver ends, so its pipe never fills.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.split("started successfully on port ").nth(1) {
                let port = rest.trim_end_matches('.').trim().parse::<u16>().ok();
                let _ = tx.send(port.ok_or_else(|| format!("unreadable port in {line:?}")));
            } else {
                seen.push(line);
            }
        }
        let _ = tx.send(Err(format!("chromedriver ended; its output: {seen:?}")));
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(Ok(port)) => (driver, port),
        Ok(Err(e)) => panic!("{test}: chromedriver did not start: {e}"),
        Err(_) => panic!("{test}: chromedriver did not report its port within 20 s"),
    }
}

/// What a test asks of its browser beyond the defaults.
#[derive(Debug, Default, Clone, Copy)]
pub struct Options {
    /// Keep Chromium's network events (`Network.*`, with the headers sent and received) for
    /// [`Session::network_log`].
    pub network_log: bool,
}

/// One browser for one test.
pub struct Session {
    client: Client,
    test: String,
    /// Where Chromium saves downloads, without asking (inside the profile folder).
    downloads: PathBuf,
    /// chromedriver's address, for the Chrome DevTools commands WebDriver lacks.
    driver_url: String,
    http: reqwest::Client,
    /// The emulated viewport (width, height, mobile), when one is set.
    viewport: Mutex<Option<(u64, u64, bool)>>,
    // Declared last: dropped after the client, and always, even when the test panics.
    _driver: Driver,
}

impl Session {
    /// Starts chromedriver and a headless Chromium with a fresh profile. `None` (after a loud
    /// message) when they are not installed, unless `CI=true`: then the test fails.
    pub async fn launch(test: &str) -> Option<Session> {
        Self::launch_with(test, Options::default()).await
    }

    /// [`Session::launch`] with `options`.
    pub async fn launch_with(test: &str, options: Options) -> Option<Session> {
        let tools = find_tool("CHROMEDRIVER", &["chromedriver"]).and_then(|d| {
            find_tool(
                "CHROMIUM",
                &["chromium", "chromium-browser", "google-chrome"],
            )
            .map(|c| (d, c))
        });
        let (chromedriver, chromium) = match tools {
            Ok(t) => t,
            Err(why) => {
                if is_ci() {
                    panic!(
                        "{test}: the browser tests need Chromium and chromedriver on CI: {why}. \
                         Install them with `apt-get install -y chromium chromium-driver`."
                    );
                }
                loud(&[
                    &format!("SKIPPED browser test {test}: {why}."),
                    "Install them with `apt-get install -y chromium chromium-driver` to run it.",
                    "(With CI=true this is a failure.)",
                ]);
                return None;
            }
        };
        let (driver, port) = start_driver(&chromedriver, test);
        let profile = driver.dir.join("profile");
        let downloads = driver.dir.join("downloads");
        std::fs::create_dir_all(&downloads)
            .unwrap_or_else(|e| panic!("create {}: {e}", downloads.display()));
        let mut caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "prefs": {
                    "download.default_directory": downloads.display().to_string(),
                    "download.prompt_for_download": false,
                    "download.directory_upgrade": true,
                    // A browser in a Japanese office asks for Japanese.
                    "intl.accept_languages": "ja,en-US;q=0.8,en;q=0.7",
                },
                "binary": chromium.display().to_string(),
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    "--hide-scrollbars",
                    "--lang=ja",
                    "--window-size=1280,800",
                    format!("--user-data-dir={}", profile.display()),
                    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
                ],
            },
        });
        if options.network_log {
            caps["goog:loggingPrefs"] = json!({ "performance": "ALL" });
            caps["goog:chromeOptions"]["perfLoggingPrefs"] =
                json!({ "enableNetwork": true, "enablePage": false });
        }
        let Value::Object(caps) = caps else {
            unreachable!("a JSON object")
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| {
                let log = std::fs::read_to_string(driver.dir.join("chromedriver.log"))
                    .unwrap_or_default();
                panic!("{test}: cannot open a Chromium session: {e}\nchromedriver log:\n{log}")
            });
        Some(Session {
            client,
            test: test.to_string(),
            downloads,
            driver_url: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
            viewport: Mutex::new(None),
            _driver: driver,
        })
    }

    /// Ends the WebDriver session; the drop that follows stops chromedriver.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
        drop(self);
    }

    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("{}: open {url}: {e}", self.test));
    }

    pub async fn back(&self) {
        self.client
            .back()
            .await
            .unwrap_or_else(|e| panic!("{}: go back: {e}", self.test));
    }

    pub async fn current_url(&self) -> String {
        self.client
            .current_url()
            .await
            .unwrap_or_else(|e| panic!("{}: current URL: {e}", self.test))
            .to_string()
    }

    /// Waits (explicitly, up to 15 s) until an element matching `css` is on the page.
    pub async fn wait_for(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(e) => e,
            Err(e) => {
                let url = self
                    .client
                    .current_url()
                    .await
                    .map(|u| u.to_string())
                    .unwrap_or_default();
                let body = self.client.find(Locator::Css("main")).await.ok();
                let text = match body {
                    Some(b) => b.text().await.unwrap_or_default(),
                    None => String::new(),
                };
                panic!(
                    "{}: no element `{css}` on {url} after {} s ({e}); the page's main text:\n{text}",
                    self.test,
                    WAIT.as_secs()
                )
            }
        }
    }

    pub async fn click(&self, css: &str) {
        let e = self.wait_for(css).await;
        e.click()
            .await
            .unwrap_or_else(|e| panic!("{}: click `{css}`: {e}", self.test));
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let e = self.wait_for(css).await;
        e.send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("{}: type into `{css}`: {e}", self.test));
    }

    /// The rendered text of the element matching `css`, once it is there.
    pub async fn text(&self, css: &str) -> String {
        let e = self.wait_for(css).await;
        e.text()
            .await
            .unwrap_or_else(|e| panic!("{}: text of `{css}`: {e}", self.test))
    }

    /// The rendered texts of every element matching `css` now (no waiting).
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let all = self
            .client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{}: find `{css}`: {e}", self.test));
        let mut out = Vec::with_capacity(all.len());
        for e in all {
            out.push(
                e.text()
                    .await
                    .unwrap_or_else(|e| panic!("{}: text of `{css}`: {e}", self.test)),
            );
        }
        out
    }

    /// How many elements match `css` now (no waiting).
    pub async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{}: find `{css}`: {e}", self.test))
            .len()
    }

    pub async fn execute(&self, script: &str) -> Value {
        self.client
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("{}: run script {script:?}: {e}", self.test))
    }

    /// Runs `script` with `args` (as `arguments[0]`, …).
    pub async fn execute_with(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("{}: run script {script:?}: {e}", self.test))
    }

    /// Sets a form control's value as a person's editing would (with `input` and `change`
    /// events): typing into `<input type=date>` depends on the browser's locale.
    pub async fn set_value(&self, css: &str, value: &str) {
        self.wait_for(css).await;
        let now = self
            .execute_with(
                "const el = document.querySelector(arguments[0]);
                 el.value = arguments[1];
                 el.dispatchEvent(new Event('input', { bubbles: true }));
                 el.dispatchEvent(new Event('change', { bubbles: true }));
                 return el.value;",
                vec![json!(css), json!(value)],
            )
            .await;
        assert_eq!(
            now.as_str(),
            Some(value),
            "{}: `{css}` did not take the value {value:?}",
            self.test
        );
    }

    /// The current value of the form control matching `css`.
    pub async fn value(&self, css: &str) -> String {
        self.wait_for(css).await;
        self.execute_with(
            "return document.querySelector(arguments[0]).value;",
            vec![json!(css)],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// Clicks `css` (a submit button, a link) and waits until the next page has loaded and
    /// shows `ready`: the old page is marked first, so its own `ready` does not count.
    pub async fn click_to_next_page(&self, css: &str, ready: &str) -> Element {
        self.wait_for(css).await;
        self.execute("document.documentElement.dataset.stale = '1'; return null;")
            .await;
        self.click(css).await;
        self.wait_for(&format!("html:not([data-stale]) {ready}"))
            .await
    }

    /// The emulated screen's width while [`Session::phone`] is in force.
    pub fn screen_width(&self) -> Option<u64> {
        self.viewport.lock().expect("viewport").map(|(w, _, _)| w)
    }

    /// The folder Chromium saves downloads in (fresh for each session).
    pub fn downloads(&self) -> &Path {
        &self.downloads
    }

    /// Sends `body` to chromedriver's `/session/{id}/{path}`, for commands WebDriver lacks;
    /// the answer's `value`.
    async fn driver_command(&self, path: &str, body: Value) -> Value {
        let id = self
            .client
            .session_id()
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("{}: no WebDriver session id", self.test));
        let res = self
            .http
            .post(format!("{}/session/{id}/{path}", self.driver_url))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: {path}: {e}", self.test));
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        assert!(
            status.is_success(),
            "{}: {path} failed ({status}): {text}",
            self.test
        );
        serde_json::from_str::<Value>(&text)
            .map(|v| v["value"].clone())
            .unwrap_or(Value::Null)
    }

    /// Runs a Chrome DevTools Protocol command through chromedriver (`goog/cdp/execute`).
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.driver_command("goog/cdp/execute", json!({ "cmd": cmd, "params": params }))
            .await
    }

    /// The network events since the last call (each `{"method": …, "params": …}`), when the
    /// session was launched with [`Options::network_log`].
    pub async fn network_log(&self) -> Vec<Value> {
        let entries = self
            .driver_command("se/log", json!({ "type": "performance" }))
            .await;
        entries
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["message"].as_str())
            .filter_map(|m| serde_json::from_str::<Value>(m).ok())
            .map(|m| m["message"].clone())
            .filter(|m| {
                m["method"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("Network."))
            })
            .collect()
    }

    async fn emulate(&self, width: u64, height: u64, mobile: bool) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile }),
        )
        .await;
    }

    /// The name of the test this session belongs to.
    pub fn test_name(&self) -> &str {
        &self.test
    }

    /// Emulates a phone's viewport, `width` x `height` CSS pixels (a real window cannot be
    /// made narrower than 500 px).
    pub async fn phone(&self, width: u64, height: u64) {
        self.emulate(width, height, true).await;
        *self.viewport.lock().expect("viewport") = Some((width, height, true));
    }

    /// Back to the real window's viewport (1280 px wide) after [`Session::phone`].
    pub async fn desktop(&self) {
        self.cdp("Emulation.clearDeviceMetricsOverride", json!({}))
            .await;
        *self.viewport.lock().expect("viewport") = None;
    }

    /// Prints the page as Chromium prints it on A4 (the page's own print style) and saves the
    /// PDF as `target/screenshots/<name>.pdf`.
    pub async fn print_pdf(&self, name: &str) -> Vec<u8> {
        let pdf = self
            .client
            .print(fantoccini::wd::PrintConfiguration::default())
            .await
            .unwrap_or_else(|e| panic!("{}: print: {e}", self.test));
        let dir = kenshu_tests::repo_root().join("target").join("screenshots");
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        let path = dir.join(format!("{name}.pdf"));
        std::fs::write(&path, &pdf).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        println!("{}: printed {}", self.test, path.display());
        pdf
    }

    /// Saves a PNG of the whole page (the viewport is stretched to the page's height for the
    /// shot) as `target/screenshots/<name>.png`.
    pub async fn save_full_page_screenshot(&self, name: &str) {
        let saved = *self.viewport.lock().expect("viewport");
        let v = self
            .execute("return [window.innerWidth, Math.ceil(document.documentElement.scrollHeight)]")
            .await;
        let (width, mobile) = match saved {
            Some((w, _, m)) => (w, m),
            None => (v[0].as_u64().unwrap_or(1280), false),
        };
        let height = v[1].as_u64().unwrap_or(800).clamp(1, MAX_SHOT_HEIGHT);
        self.emulate(width, height, mobile).await;
        let png = self.client.screenshot().await;
        match saved {
            Some((w, h, m)) => self.emulate(w, h, m).await,
            None => {
                self.cdp("Emulation.clearDeviceMetricsOverride", json!({}))
                    .await;
            }
        }
        let png = png.unwrap_or_else(|e| panic!("{}: screenshot: {e}", self.test));
        let dir = kenshu_tests::repo_root().join("target").join("screenshots");
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        println!("{}: screenshot {}", self.test, path.display());
    }

    /// Runs axe-core (its source in `axe`) on the current page: one line per violation,
    /// starting with its impact in brackets, e.g. `[serious] color-contrast: … (3: .muted, …)`.
    pub async fn axe(&self, axe: &str) -> Vec<String> {
        self.execute(&format!("{axe}\n;return typeof window.axe;"))
            .await;
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 window.axe.run(document, { resultTypes: ['violations'] })
                   .then(r => done(r.violations.map(v =>
                     `[${v.impact}] ${v.id}: ${v.help} (${v.nodes.length}: ${v.nodes.slice(0, 4).map(n => n.target.join(' ')).join(', ')})`)))
                   .catch(e => done(['[error] axe: ' + e]));",
                Vec::new(),
            )
            .await
            .unwrap_or_else(|e| panic!("{}: axe.run: {e}", self.test));
        result
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}
