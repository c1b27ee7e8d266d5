//! Database round trips per page, counted on the wire: a second server is started with a pool
//! of one connection that reaches PostgreSQL through the proxy of [`kenshu_bench::wire`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use kenshu_bench::wire::start_proxy;
pub use kenshu_bench::wire::{Trips, Upstream};

use crate::client::{Conn, Session};
use crate::load::{Kind, Outcome, request};

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
