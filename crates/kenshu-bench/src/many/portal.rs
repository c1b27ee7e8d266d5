//! The portal on the big database: accounts given the bench password, and their sign-in timed.

use std::time::{Duration, Instant};

use anyhow::Context;

use crate::client::{self, Session};
use crate::db;

/// Signs in every account over `parallel` connections, timing each sign-in (the form, the
/// password check and the first /my).
pub(super) async fn sign_in_timed(
    addr: std::net::SocketAddr,
    institution: &str,
    logins: &[String],
    parallel: usize,
) -> anyhow::Result<(Vec<Session>, Vec<f64>, Duration)> {
    let parallel = parallel.clamp(1, logins.len().max(1));
    let t0 = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for lane in 0..parallel {
        let mine: Vec<String> = logins
            .iter()
            .skip(lane)
            .step_by(parallel)
            .cloned()
            .collect();
        let institution = institution.to_string();
        tasks.spawn(async move {
            let mut conn = client::Conn::open(addr).await?;
            let mut out = Vec::with_capacity(mine.len());
            for login in mine {
                let t = Instant::now();
                let s =
                    client::sign_in_to(&mut conn, Some(&institution), &login, db::PASSWORD).await?;
                out.push((s, t.elapsed().as_secs_f64() * 1000.0));
            }
            anyhow::Ok(out)
        });
    }
    let mut sessions = Vec::new();
    let mut ms = Vec::new();
    while let Some(done) = tasks.join_next().await {
        for (s, t) in done.context("sign-in task")?? {
            sessions.push(s);
            ms.push(t);
        }
    }
    Ok((sessions, ms, t0.elapsed()))
}

/// Gives `n` active staff of institution `code` the bench password; returns their logins.
pub(super) async fn accounts(
    bench: &db::BenchDb,
    hash: &str,
    code: &str,
    n: u32,
) -> anyhow::Result<Vec<String>> {
    let logins: Vec<String> = sqlx::query_scalar(
        "update users u set password_hash = $1
         where u.id in (select x.id from users x join institutions i on i.id = x.institution_id
                        where i.code = $2 and x.role = 'staff' and x.status = 'active'
                        order by x.login_id limit $3)
         returning u.login_id",
    )
    .bind(hash)
    .bind(code)
    .bind(i64::from(n))
    .fetch_all(&bench.pool)
    .await?;
    anyhow::ensure!(!logins.is_empty(), "institution {code} has no active staff");
    Ok(logins)
}
