//! Database round trips per page, counted on the wire: a second server is started with a pool
//! of one connection that reaches PostgreSQL through a small proxy, which reads the frontend
//! protocol messages the server sends. Every Sync (extended protocol) and every Query (simple
//! protocol) is one round trip: the client waits for ReadyForQuery before going on. A Sync with
//! no message before it is sqlx's `ping` (the pool's test before handing out a connection).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UnixStream};

use crate::client::{Conn, Session};
use crate::load::{Kind, Outcome, request};

/// Where the proxy forwards to.
#[derive(Clone)]
pub enum Upstream {
    Tcp(String),
    Unix(PathBuf),
}

#[derive(Default)]
struct Counters {
    syncs: AtomicU64,
    pings: AtomicU64,
    simple_queries: AtomicU64,
    executes: AtomicU64,
}

/// What one request cost on the database connection.
#[derive(Debug, Clone, Copy)]
pub struct Trips {
    pub round_trips: u64,
    pub statements: u64,
    pub pings: u64,
}

impl Counters {
    fn take(&self) -> Trips {
        let syncs = self.syncs.swap(0, Ordering::SeqCst);
        let queries = self.simple_queries.swap(0, Ordering::SeqCst);
        Trips {
            round_trips: syncs + queries,
            statements: self.executes.swap(0, Ordering::SeqCst) + queries,
            pings: self.pings.swap(0, Ordering::SeqCst),
        }
    }
}

/// Starts the proxy on a loopback port; it runs until the process ends.
async fn start_proxy(upstream: Upstream) -> anyhow::Result<(SocketAddr, Arc<Counters>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let counters = Arc::new(Counters::default());
    let c = counters.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (upstream, c) = (upstream.clone(), c.clone());
            tokio::spawn(async move {
                let _ = match upstream {
                    Upstream::Tcp(a) => match TcpStream::connect(a).await {
                        Ok(s) => relay(client, s, c).await,
                        Err(e) => Err(e),
                    },
                    Upstream::Unix(p) => match UnixStream::connect(p).await {
                        Ok(s) => relay(client, s, c).await,
                        Err(e) => Err(e),
                    },
                };
            });
        }
    });
    Ok((addr, counters))
}

async fn relay<S>(client: TcpStream, server: S, counters: Arc<Counters>) -> std::io::Result<()>
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
            parser.feed(&buf[..n], &counters);
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
}

impl Parser {
    fn feed(&mut self, bytes: &[u8], c: &Counters) {
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
                        c.syncs.fetch_add(1, Ordering::SeqCst);
                        if self.messages_since_sync == 0 {
                            c.pings.fetch_add(1, Ordering::SeqCst);
                        }
                        self.messages_since_sync = 0;
                    }
                    b'Q' => {
                        c.simple_queries.fetch_add(1, Ordering::SeqCst);
                        self.messages_since_sync = 0;
                    }
                    b'E' => {
                        c.executes.fetch_add(1, Ordering::SeqCst);
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
            }
            self.pending.drain(..total);
        }
    }
}

pub struct Report {
    pub section_page: Trips,
    pub final_submit: Trips,
    /// The first section page on a fresh connection (statements prepared, content loaded).
    pub section_page_cold: Trips,
}

/// Starts a probe server (pool of one) behind the proxy, warms it up, then measures one
/// request of each kind.
pub async fn run(
    bin: &std::path::Path,
    upstream: Upstream,
    url_via: impl FnOnce(SocketAddr) -> anyhow::Result<String>,
    session: &Session,
    log: PathBuf,
    cwd: &std::path::Path,
) -> anyhow::Result<Report> {
    let (proxy, counters) = start_proxy(upstream).await?;
    let url = url_via(proxy)?;
    let mut server = crate::server::ServerProcess::start(bin, &url, 1, &[], log, cwd)
        .await
        .context("starting the probe server")?;
    let mut conn = Conn::open(server.addr).await?;
    let mut measure = async |kind: Kind| -> anyhow::Result<Trips> {
        tokio::time::sleep(Duration::from_millis(100)).await;
        counters.take();
        match request(&mut conn, kind, session).await? {
            Outcome::Ok => {}
            Outcome::Status(s) => anyhow::bail!("probe request answered HTTP {s}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        Ok(counters.take())
    };
    let section_page_cold = measure(Kind::SectionPage).await?;
    measure(Kind::SectionPage).await?;
    measure(Kind::FinalSubmit).await?;
    measure(Kind::FinalSubmit).await?;
    let section_page = measure(Kind::SectionPage).await?;
    let final_submit = measure(Kind::FinalSubmit).await?;
    server.stop()?;
    Ok(Report {
        section_page,
        final_submit,
        section_page_cold,
    })
}
