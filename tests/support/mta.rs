//! A real mail relay for tests: Debian's exim4 on a free loopback port, configured in a
//! folder of its own as a relay that offers STARTTLS (a certificate signed by a CA made for
//! the run with the openssl CLI) and AUTH PLAIN/LOGIN only once TLS is on, relays only for
//! an authenticated client, and delivers every message it accepts to a maildir the test
//! reads. And SpamAssassin with its local rules only, to score what arrived.
//!
//! Needs `exim4` (exim4-daemon-light), `spamassassin` and `openssl` (Debian packages of the
//! same names), and root: exim runs a configuration of its own only for root, and delivers
//! as its user `Debian-exim`. Without them [`Tools::find`] says so loudly and the test passes,
//! except with `CI=true` (.ci/run installs them).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::free_port;
use crate::skip::{is_ci, loud, program};

/// The relay's account (lettre sends it with AUTH PLAIN).
pub const USER: &str = "kenshu-relay";
pub const PASSWORD: &str = "relay-pass-2026";

/// The user exim delivers as (Debian's exim4 packages make it).
const EXIM_USER: &str = "Debian-exim";

/// The programs the mail tests run.
pub struct Tools {
    exim: PathBuf,
    spamassassin: PathBuf,
    openssl: PathBuf,
}

impl Tools {
    /// The programs, or `None` after a loud SKIPPED message when one is missing (a failure
    /// with `CI=true`).
    pub fn find(test: &str) -> Option<Tools> {
        let sbin = ["/usr/sbin", "/usr/local/sbin"];
        let found = (|| {
            let exim = program(&["exim4", "exim"], &sbin)?;
            let spamassassin = program(&["spamassassin"], &sbin)?;
            let openssl = program(&["openssl"], &sbin)?;
            if !is_root() {
                return Err("exim runs a test configuration only for root".to_string());
            }
            passwd_ids(EXIM_USER)?;
            Ok(Tools {
                exim,
                spamassassin,
                openssl,
            })
        })();
        match found {
            Ok(tools) => Some(tools),
            Err(why) => {
                let install = "apt-get install -y exim4-daemon-light spamassassin openssl";
                if is_ci() {
                    panic!(
                        "{test}: the mail test needs exim4, SpamAssassin, openssl and root on CI: {why}. Install them with `{install}`."
                    );
                }
                loud(&[
                    &format!("SKIPPED mail test {test}: {why}."),
                    &format!("Run it as root with them installed (`{install}`)."),
                    "(With CI=true this is a failure.)",
                ]);
                None
            }
        }
    }

    /// SpamAssassin's verdict on `message` with local rules only (no DNS blocklists, Razor
    /// or Pyzor; no Bayes database): the score and the names of the rules that hit
    /// (comma-separated, or `none`). `ALL_TRUSTED` counts nothing: it lowers the score of
    /// mail that passed only through hosts SpamAssassin trusts, as the test relay on the
    /// loopback is here but the portal's relay is not for its recipients.
    pub fn spam_score(&self, message: &[u8]) -> (f64, String) {
        use std::io::Write;
        let home = scratch_dir("spamassassin");
        let mut child = Command::new(&self.spamassassin)
            .args(["-L", "-t", "--cf=use_bayes 0", "--cf=score ALL_TRUSTED 0"])
            .env("HOME", &home)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run spamassassin");
        if let Some(mut input) = child.stdin.take() {
            input.write_all(message).expect("message to spamassassin");
        }
        let out = child.wait_with_output().expect("spamassassin");
        let _ = std::fs::remove_dir_all(&home);
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        // X-Spam-Status: No, score=-0.9 required=5.0 tests=ALL_TRUSTED,...\n\t...
        let status = unfolded_header(&text, "X-Spam-Status").unwrap_or_else(|| {
            panic!(
                "no X-Spam-Status from spamassassin: {}\n{text}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let score = status
            .split_whitespace()
            .find_map(|w| w.strip_prefix("score="))
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no score in {status}"));
        let tests = status
            .split_whitespace()
            .find_map(|w| w.strip_prefix("tests="))
            .unwrap_or_default()
            .to_string();
        (score, tests)
    }
}

/// A running exim relay; stopped, and its folder removed, when dropped.
pub struct Relay {
    pub port: u16,
    dir: PathBuf,
    child: Child,
}

impl Relay {
    /// Makes the CA and the relay's certificate, writes the configuration and starts exim
    /// in the foreground (`-bdf`), ready when it accepts connections.
    pub fn start(tools: &Tools) -> Relay {
        let dir = scratch_dir("relay");
        let (uid, gid) = passwd_ids(EXIM_USER).expect("exim's user");
        for sub in ["spool", "log", "maildir"] {
            let d = dir.join(sub);
            std::fs::create_dir_all(&d).expect("relay folder");
            std::os::unix::fs::chown(&d, Some(uid), Some(gid)).expect("chown to exim's user");
        }
        certificates(&tools.openssl, &dir);
        let port = free_port();
        let config = dir.join("exim.conf");
        std::fs::write(&config, configuration(&dir, port)).expect("write exim.conf");
        let child = Command::new(&tools.exim)
            .arg("-C")
            .arg(&config)
            .args(["-bdf", "-oX", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start exim");
        let mut relay = Relay { port, dir, child };
        relay.wait_listening();
        relay
    }

    /// `KENSHU_SMTP_URL` for the portal: STARTTLS required, with the relay's account.
    pub fn url(&self) -> String {
        format!(
            "smtp://{USER}:{PASSWORD}@127.0.0.1:{}?tls=required",
            self.port
        )
    }

    /// `KENSHU_SMTP_CA_FILE`: the CA that signed the relay's certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// exim's main log, for a failing test's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log/mainlog")).unwrap_or_default()
    }

    /// Waits (at most `within`) until `count` messages are in the maildir; their bytes.
    pub async fn delivered(&self, count: usize, within: Duration) -> Vec<Vec<u8>> {
        let started = Instant::now();
        loop {
            let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.join("maildir/new"))
                .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            if files.len() >= count {
                files.sort();
                return files
                    .iter()
                    .map(|f| std::fs::read(f).expect("read a delivered mail"))
                    .collect();
            }
            assert!(
                started.elapsed() < within,
                "{} of {count} mails delivered within {within:?}; exim's log:\n{}",
                files.len(),
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn wait_listening(&mut self) {
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("exim exited with {status}; its log:\n{}", self.log());
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "exim does not listen on {}; its log:\n{}",
                self.port,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// exim's configuration: listen on the loopback only, offer TLS to all and AUTH only within
/// TLS, take mail only from an authenticated client, and put every recipient's mail in the
/// one maildir.
fn configuration(dir: &Path, port: u16) -> String {
    let d = dir.display();
    format!(
        r#"keep_environment =
primary_hostname = relay.kenshu.test
spool_directory = {d}/spool
log_file_path = {d}/log/%slog
daemon_smtp_ports = {port}
local_interfaces = 127.0.0.1
exim_user = {EXIM_USER}
exim_group = {EXIM_USER}
never_users = root
host_lookup =
rfc1413_hosts =
tls_advertise_hosts = *
tls_certificate = {d}/relay.pem
tls_privatekey = {d}/relay.key
acl_smtp_mail = acl_mail
acl_smtp_rcpt = acl_rcpt

begin acl
acl_mail:
  deny message = authenticate first
       !authenticated = *
  accept
acl_rcpt:
  accept authenticated = *
  deny message = relay not permitted

begin routers
everyone:
  driver = accept
  transport = to_maildir

begin transports
to_maildir:
  driver = appendfile
  directory = {d}/maildir
  maildir_format
  user = {EXIM_USER}
  return_path_add
  envelope_to_add
  delivery_date_add

begin authenticators
plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = ${{if and {{{{eq{{$auth2}}{{{USER}}}}}{{eq{{$auth3}}{{{PASSWORD}}}}}}}}}
  server_set_id = $auth2
  server_advertise_condition = ${{if def:tls_in_cipher}}
login:
  driver = plaintext
  public_name = LOGIN
  server_prompts = Username:: : Password::
  server_condition = ${{if and {{{{eq{{$auth1}}{{{USER}}}}}{{eq{{$auth2}}{{{PASSWORD}}}}}}}}}
  server_set_id = $auth1
  server_advertise_condition = ${{if def:tls_in_cipher}}
"#
    )
}

/// A CA (`ca.pem`) and the relay's certificate for 127.0.0.1 signed by it (`relay.pem`,
/// `relay.key`, readable by exim's user), valid for two days.
fn certificates(openssl: &Path, dir: &Path) {
    let run = |args: &[&str]| {
        let out = Command::new(openssl)
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .expect("run openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    std::fs::write(
        dir.join("relay.ext"),
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .expect("write relay.ext");
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Kenshu test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    run(&[
        "req",
        "-new",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "relay.key",
        "-out",
        "relay.csr",
    ]);
    run(&[
        "x509",
        "-req",
        "-in",
        "relay.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "relay.ext",
        "-out",
        "relay.pem",
    ]);
    // exim reads its key after giving up root.
    let (uid, gid) = passwd_ids(EXIM_USER).expect("exim's user");
    std::os::unix::fs::chown(dir.join("relay.key"), Some(uid), Some(gid)).expect("chown key");
}

/// A fresh folder under the temporary directory that exim's user can pass through.
fn scratch_dir(what: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("kenshu-{what}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The uid and gid of `user` in /etc/passwd.
fn passwd_ids(user: &str) -> Result<(u32, u32), String> {
    let passwd = std::fs::read_to_string("/etc/passwd").map_err(|e| e.to_string())?;
    passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.first() == Some(&user) && f.len() > 3)
        .and_then(|f| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
        .ok_or_else(|| format!("no user {user} (the exim4 package makes it)"))
}

/// The value of header `name` in `message`, its continuation lines joined.
fn unfolded_header(message: &str, name: &str) -> Option<String> {
    let head = message.split("\n\n").next()?;
    let prefix = format!("{name}:");
    let mut lines = head.lines().skip_while(|l| !l.starts_with(&prefix));
    let first = lines.next()?[prefix.len()..].trim().to_string();
    let rest: Vec<&str> = lines
        .take_while(|l| l.starts_with([' ', '\t']))
        .map(str::trim)
        .collect();
    Some(
        std::iter::once(first.as_str())
            .chain(rest)
            .collect::<Vec<_>>()
            .join(" "),
    )
}
