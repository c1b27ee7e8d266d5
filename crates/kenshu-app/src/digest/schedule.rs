//! The digest schedule: within office hours of a working day, each institution's digests of
//! the week are sent once, whichever instance runs it and however often.

use kenshu_core::i18n::{EN, JA, Lang};
use kenshu_db::reminder::Mail;
use time::OffsetDateTime;

use super::{Kind, prepare};
use crate::metrics;

/// Runs the digest schedule every `every`, in the background; it ends with the process.
pub fn spawn(pool: kenshu_db::PgPool, portal_url: String, every: std::time::Duration) {
    tokio::spawn(async move {
        loop {
            if let Err(e) = run(&pool, OffsetDateTime::now_utc(), &portal_url).await {
                tracing::warn!(error = %e, "digest schedule");
            }
            tokio::time::sleep(every).await;
        }
    });
}

/// How many digests a run sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sent {
    pub officer: usize,
    pub chief: usize,
}

/// Sends the digests due at `now`: in every institution whose approved plan has digests on,
/// on a working day within office hours, those of the week not sent yet. Safe to run on
/// several instances at once: one runs while the others return at once, and the database
/// keeps one digest per officer, kind and week in any case. Counted in the metrics as the
/// worker `digest_schedule`, with the digests mailed and those skipped.
#[tracing::instrument(name = "digest_schedule", skip_all, fields(%now))]
pub async fn run(
    pool: &kenshu_db::PgPool,
    now: OffsetDateTime,
    portal_url: &str,
) -> Result<Sent, sqlx::Error> {
    let started = std::time::Instant::now();
    let result = run_schedule(pool, now, portal_url).await;
    crate::metrics::DIGEST_SCHEDULE.record(started, &result);
    result
}

async fn run_schedule(
    pool: &kenshu_db::PgPool,
    now: OffsetDateTime,
    portal_url: &str,
) -> Result<Sent, sqlx::Error> {
    let mut sent = Sent::default();
    if !kenshu_core::holiday::in_office_hours(now) {
        return Ok(sent);
    }
    // As the reminder schedule does: the lock lives in a transaction on its own connection,
    // so it ends with the run whatever happens.
    let mut guard = pool.begin().await?;
    let running: bool =
        sqlx::query_scalar("select pg_try_advisory_xact_lock(hashtext('kenshu-digest-schedule'))")
            .fetch_one(&mut *guard)
            .await?;
    if !running {
        return Ok(sent);
    }
    let mut conn = pool.acquire().await?;
    let today = now.to_offset(kenshu_core::fiscal_year::JST).date();
    for inst in kenshu_db::institution::list(&mut conn).await? {
        let Some(plan) =
            kenshu_db::plan::plan(&mut conn, inst.id, kenshu_core::FiscalYear::of(today))
                .await?
                .filter(|p| p.plan.approved)
        else {
            continue;
        };
        let Some(week) = plan.digest.due(now) else {
            continue;
        };
        if kenshu_db::digest::week_done(&mut conn, inst.id, week).await? {
            continue;
        }
        let Some(prepared) = prepare(&mut conn, inst.id, today).await? else {
            continue;
        };
        for d in &prepared.digests {
            // The recipient's own language when they chose one; Japanese otherwise.
            let t = match d.recipient.language {
                Some(Lang::En) => &EN,
                _ => &JA,
            };
            let (subject, body) = kenshu_core::digest::compose(
                t,
                &d.recipient.name,
                &inst.name,
                d.kind == Kind::Chief,
                d.stand_in(),
                &d.lines,
                portal_url,
            );
            let recorded = kenshu_db::digest::record(
                &mut conn,
                inst.id,
                &kenshu_db::digest::NewDigest {
                    kind: d.kind.as_str(),
                    officer_id: d.officer.id,
                    week,
                    recipient_id: d.recipient.id,
                    people: &d.people,
                    mail: d.recipient.email.as_deref().map(|to| Mail {
                        to,
                        subject: &subject,
                        body: &body,
                    }),
                },
            )
            .await?;
            if recorded {
                match d.kind {
                    Kind::Officer => sent.officer += 1,
                    Kind::Chief => sent.chief += 1,
                }
                // Counted as they are recorded: the process may stop before the week is done.
                let mailed = match (&d.recipient.email, d.kind) {
                    (None, _) => &metrics::DIGESTS_NO_MAIL,
                    (Some(_), Kind::Officer) => &metrics::DIGESTS_MAILED_OFFICER,
                    (Some(_), Kind::Chief) => &metrics::DIGESTS_MAILED_CHIEF,
                };
                mailed.inc();
            }
        }
        if kenshu_db::digest::finish_week(&mut conn, inst.id, week).await? {
            let unsent = prepared
                .skipped
                .iter()
                .filter(|s| s.reason == super::Reason::AbsentUnsent)
                .count();
            metrics::DIGESTS_UNSENT.add(unsent as u64);
        }
    }
    guard.commit().await?;
    if sent != Sent::default() {
        tracing::info!(officer = sent.officer, chief = sent.chief, "digests sent");
    }
    Ok(sent)
}
