//! A real OpenLDAP server (Debian's `slapd`) of the test's own: a private folder, a CA and a
//! server certificate made with `openssl` for 127.0.0.1, the tree the test gives loaded with
//! `slapadd`, and `slapd` listening on two free ports (`ldap://` for StartTLS and `ldaps://`).
//! Stopped and removed when dropped. Without `slapd` a test says so and passes, except on CI.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::free_port;
use crate::skip::{is_ci, loud, program};

/// The suffix of every test tree.
pub const SUFFIX: &str = "dc=example,dc=lg,dc=jp";

pub struct Slapd {
    dir: PathBuf,
    child: Child,
    /// `ldap://127.0.0.1:PORT` (StartTLS).
    pub ldap_url: String,
    /// `ldaps://127.0.0.1:PORT`.
    pub ldaps_url: String,
    /// The CA that signed the server's certificate, PEM.
    pub ca_pem: String,
}

fn run(dir: &Path, program: &Path, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    assert!(
        out.status.success(),
        "{} {args:?}: {}",
        program.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Slapd {
    /// Starts a server holding `ldif` (entries under [`SUFFIX`]; the suffix entry itself is
    /// made here). `None` when slapd is not installed and the tests do not run on CI.
    pub fn start(ldif: &str) -> Option<Slapd> {
        let found = (
            program(&["slapd"], &["/usr/sbin"]),
            program(&["slapadd"], &["/usr/sbin"]),
            program(&["openssl"], &[]),
        );
        let (slapd, slapadd, openssl) = match found {
            (Ok(a), Ok(b), Ok(c)) => (a, b, c),
            (a, b, c) => {
                let why = [a.err(), b.err(), c.err()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("; ");
                if is_ci() {
                    panic!("the directory tests need slapd and openssl: {why}");
                }
                loud(&[
                    "SKIPPED: the directory tests need OpenLDAP's slapd and openssl",
                    "(apt-get install slapd openssl); `.ci/run` installs them.",
                    &why,
                ]);
                return None;
            }
        };
        let dir =
            std::env::temp_dir().join(format!("kenshu-slapd-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(dir.join("db")).expect("slapd folder");

        // A CA and a certificate for 127.0.0.1 signed by it.
        let days = "2";
        run(
            &dir,
            &openssl,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                days,
                "-subj",
                "/CN=Kenshu test directory CA",
            ],
        );
        run(
            &dir,
            &openssl,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=localhost",
            ],
        );
        std::fs::write(
            dir.join("ext.cnf"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
             keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
        )
        .expect("ext.cnf");
        run(
            &dir,
            &openssl,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.pem",
                "-days",
                days,
                "-extfile",
                "ext.cnf",
            ],
        );

        let d = dir.display();
        let conf = format!(
            "include /etc/ldap/schema/core.schema\n\
             include /etc/ldap/schema/cosine.schema\n\
             include /etc/ldap/schema/inetorgperson.schema\n\
             include /etc/ldap/schema/nis.schema\n\
             modulepath /usr/lib/ldap\n\
             moduleload back_mdb\n\
             pidfile {d}/slapd.pid\n\
             TLSCACertificateFile {d}/ca.pem\n\
             TLSCertificateFile {d}/server.pem\n\
             TLSCertificateKeyFile {d}/server.key\n\
             database mdb\n\
             suffix \"{SUFFIX}\"\n\
             rootdn \"cn=admin,{SUFFIX}\"\n\
             rootpw not-used-by-the-portal\n\
             directory {d}/db\n\
             access to attrs=userPassword by anonymous auth by * none\n\
             access to * by users read by * none\n"
        );
        std::fs::write(dir.join("slapd.conf"), conf).expect("slapd.conf");
        let tree = format!(
            "dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Test City\n\
             dc: example\n\n{ldif}"
        );
        std::fs::write(dir.join("tree.ldif"), tree).expect("tree.ldif");
        let conf_path = dir.join("slapd.conf");
        let conf_arg = conf_path.to_string_lossy().to_string();
        run(&dir, &slapadd, &["-f", &conf_arg, "-l", "tree.ldif"]);

        let (plain, tls) = (free_port(), free_port());
        let ldap_url = format!("ldap://127.0.0.1:{plain}");
        let ldaps_url = format!("ldaps://127.0.0.1:{tls}");
        let child = Command::new(&slapd)
            .args([
                "-f",
                &conf_arg,
                "-h",
                &format!("{ldap_url}/ {ldaps_url}/"),
                "-d",
                "0",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start slapd");
        let ca_pem = std::fs::read_to_string(dir.join("ca.pem")).expect("ca.pem");
        let server = Slapd {
            dir,
            child,
            ldap_url,
            ldaps_url,
            ca_pem,
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", tls)).is_err()
            || std::net::TcpStream::connect(("127.0.0.1", plain)).is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "slapd did not start listening within 15 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(server)
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
