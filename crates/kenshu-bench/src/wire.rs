//! Statements and round trips on the wire: a TCP proxy in front of PostgreSQL that reads the
//! frontend protocol messages its clients send. Every Sync (extended protocol) and every Query
//! (simple protocol) is one round trip: the client waits for ReadyForQuery before going on.
//! Every Execute (and every Query) is one statement. A Sync with no message before it is
//! sqlx's `ping` (the pool's test before handing out a connection).
//!
//! Used by the benchmark's probe and by the tests' statement budgets
//! (`tests/statement_budget.rs`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UnixStream};

/// Where the proxy forwards to.
#[derive(Clone)]
pub enum Upstream {
    Tcp(String),
    Unix(PathBuf),
}

impl Upstream {
    /// The server these connection options reach: its Unix socket (a socket folder, or a host
    /// that is a path, as libpq reads it) or its TCP address.
    pub fn of(options: &sqlx::postgres::PgConnectOptions) -> Upstream {
        let port = options.get_port();
        let host = options.get_host();
        match options.get_socket() {
            Some(dir) => Upstream::Unix(dir.join(format!(".s.PGSQL.{port}"))),
            None if host.starts_with('/') => {
                Upstream::Unix(PathBuf::from(host).join(format!(".s.PGSQL.{port}")))
            }
            None => Upstream::Tcp(format!("{host}:{port}")),
        }
    }
}

/// What crossed the proxy since the last [`Counters::take`].
#[derive(Default)]
struct Counters {
    syncs: AtomicU64,
    pings: AtomicU64,
    simple_queries: AtomicU64,
    executes: AtomicU64,
    /// The statements' text, in the order they ran.
    log: Mutex<Vec<String>>,
    /// The `application_name` the connection gave in its startup message.
    name: Mutex<String>,
}

/// What one request cost on the database connection.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Trips {
    pub round_trips: u64,
    pub statements: u64,
    pub pings: u64,
}

impl Counters {
    /// The figures so far, set back to zero.
    pub fn take(&self) -> Trips {
        let syncs = self.syncs.swap(0, Ordering::SeqCst);
        let queries = self.simple_queries.swap(0, Ordering::SeqCst);
        Trips {
            round_trips: syncs + queries,
            statements: self.executes.swap(0, Ordering::SeqCst) + queries,
            pings: self.pings.swap(0, Ordering::SeqCst),
        }
    }

    fn take_log(&self) -> Vec<String> {
        self.log
            .lock()
            .map(|mut l| std::mem::take(&mut *l))
            .unwrap_or_default()
    }
}

/// What one connection sent since the last look.
#[derive(Debug, Clone)]
pub struct Sent {
    pub trips: Trips,
    /// The text of each statement executed, in order: what to read when a figure grows.
    pub statements: Vec<String>,
}

/// The counters of a proxy: of all its connections together (the benchmark's probe server,
/// whatever connections it opens), and of each connection apart, in the order the proxy
/// accepted them (a pool's connection apart from the portal's database health probe, which
/// pings on a connection of its own twice a second).
#[derive(Default)]
pub struct Wire {
    all: Counters,
    each: Mutex<Vec<Arc<Counters>>>,
}

impl Wire {
    /// The figures of all connections so far, set back to zero.
    pub fn take(&self) -> Trips {
        self.all.take_log();
        self.all.take()
    }

    /// What the `n`th connection accepted (from 0) sent so far, set back to zero; `None`
    /// before it is accepted.
    pub fn take_connection(&self, n: usize) -> Option<Sent> {
        let each = self.each.lock().ok()?;
        each.get(n).map(|c| Sent {
            statements: c.take_log(),
            trips: c.take(),
        })
    }

    /// What the connections that gave `application_name` sent so far, together, set back to
    /// zero (the portal's request connections are named `kenshu-requests`, apart from its
    /// health probe and its session listener).
    pub fn take_named(&self, application_name: &str) -> Sent {
        let mut sent = Sent {
            trips: Trips::default(),
            statements: Vec::new(),
        };
        let Ok(each) = self.each.lock() else {
            return sent;
        };
        for c in each.iter() {
            if c.name.lock().is_ok_and(|n| *n == application_name) {
                let t = c.take();
                sent.trips.round_trips += t.round_trips;
                sent.trips.statements += t.statements;
                sent.trips.pings += t.pings;
                sent.statements.extend(c.take_log());
            }
        }
        sent
    }

    /// How many connections the proxy has accepted.
    pub fn connections(&self) -> usize {
        self.each.lock().map(|e| e.len()).unwrap_or_default()
    }

    fn accepted(&self) -> Arc<Counters> {
        let own = Arc::new(Counters::default());
        if let Ok(mut each) = self.each.lock() {
            each.push(own.clone());
        }
        own
    }
}

/// Starts the proxy on a loopback port; it runs until the runtime it was started on ends.
pub async fn start_proxy(upstream: Upstream) -> anyhow::Result<(SocketAddr, Arc<Wire>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let wire = Arc::new(Wire::default());
    let w = wire.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (upstream, w) = (upstream.clone(), w.clone());
            let own = w.accepted();
            tokio::spawn(async move {
                let counters = [&w.all, &*own];
                let _ = match upstream {
                    Upstream::Tcp(a) => match TcpStream::connect(a).await {
                        Ok(s) => relay(client, s, &counters).await,
                        Err(e) => Err(e),
                    },
                    Upstream::Unix(p) => match UnixStream::connect(p).await {
                        Ok(s) => relay(client, s, &counters).await,
                        Err(e) => Err(e),
                    },
                };
            });
        }
    });
    Ok((addr, wire))
}

async fn relay<S>(client: TcpStream, server: S, counters: &[&Counters]) -> std::io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut client_r, mut client_w) = client.into_split();
    let (mut server_r, mut server_w) = tokio::io::split(server);
    let upstream = async {
        let mut buf = vec![0u8; 64 * 1024];
        let mut parser = Parser::default();
        loop {
            let n = client_r.read(&mut buf).await?;
            if n == 0 {
                return server_w.shutdown().await;
            }
            parser.feed(&buf[..n], counters);
            server_w.write_all(&buf[..n]).await?;
        }
    };
    let downstream = tokio::io::copy(&mut server_r, &mut client_w);
    let (a, b) = tokio::join!(upstream, downstream);
    a.and(b.map(|_| ()))
}

/// Splits the frontend byte stream into messages: untyped ones (length first) until the
/// startup message, then typed ones (type byte, then length).
#[derive(Default)]
struct Parser {
    pending: Vec<u8>,
    started: bool,
    messages_since_sync: u64,
    /// The text of each statement prepared on the connection, by name ("" the unnamed one).
    prepared: HashMap<String, String>,
    /// The statement of the last Bind: what the next Execute runs.
    bound: String,
}

impl Parser {
    fn feed(&mut self, bytes: &[u8], counters: &[&Counters]) {
        let add = |field: fn(&Counters) -> &AtomicU64| {
            for c in counters {
                field(c).fetch_add(1, Ordering::SeqCst);
            }
        };
        self.pending.extend_from_slice(bytes);
        loop {
            let header = if self.started { 5 } else { 4 };
            if self.pending.len() < header {
                return;
            }
            let at = header - 4;
            let len = u32::from_be_bytes([
                self.pending[at],
                self.pending[at + 1],
                self.pending[at + 2],
                self.pending[at + 3],
            ]) as usize;
            let total = at + len;
            if self.pending.len() < total {
                return;
            }
            if self.started {
                match self.pending[0] {
                    b'S' => {
                        add(|c| &c.syncs);
                        if self.messages_since_sync == 0 {
                            add(|c| &c.pings);
                        }
                        self.messages_since_sync = 0;
                    }
                    b'Q' => {
                        add(|c| &c.simple_queries);
                        let text = cstrings(&self.pending[5..total]).next().unwrap_or_default();
                        log(counters, text);
                        self.messages_since_sync = 0;
                    }
                    b'P' => {
                        let mut fields = cstrings(&self.pending[5..total]);
                        let name = fields.next().unwrap_or_default();
                        let text = fields.next().unwrap_or_default();
                        self.prepared.insert(name, text);
                        self.messages_since_sync += 1;
                    }
                    b'B' => {
                        // The portal's name, then the statement's.
                        self.bound = cstrings(&self.pending[5..total]).nth(1).unwrap_or_default();
                        self.messages_since_sync += 1;
                    }
                    b'E' => {
                        add(|c| &c.executes);
                        let text = self.prepared.get(&self.bound).cloned();
                        log(counters, text.unwrap_or_else(|| self.bound.clone()));
                        self.messages_since_sync += 1;
                    }
                    _ => self.messages_since_sync += 1,
                }
            } else if total >= 8 {
                // 80877103 asks for SSL and 80877104 for GSS encryption; anything else is the
                // startup message proper.
                let code = u32::from_be_bytes([
                    self.pending[4],
                    self.pending[5],
                    self.pending[6],
                    self.pending[7],
                ]);
                self.started = !matches!(code, 80877103 | 80877104);
                if self.started {
                    // Parameters after the protocol version: name, value, … , "".
                    let mut fields = cstrings(&self.pending[8..total]);
                    while let (Some(k), Some(v)) = (fields.next(), fields.next()) {
                        if k == "application_name" {
                            for c in counters {
                                if let Ok(mut n) = c.name.lock() {
                                    *n = v.clone();
                                }
                            }
                        }
                    }
                }
            }
            self.pending.drain(..total);
        }
    }
}

/// The NUL-terminated strings at the start of a message's body.
fn cstrings(body: &[u8]) -> impl Iterator<Item = String> + '_ {
    body.split(|b| *b == 0)
        .map(|s| String::from_utf8_lossy(s).into_owned())
}

fn log(counters: &[&Counters], text: String) {
    for c in counters {
        if let Ok(mut l) = c.log.lock() {
            l.push(text.clone());
        }
    }
}
