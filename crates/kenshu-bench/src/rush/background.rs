//! The instances' background work during the rush, checked afterwards: each piece done once.

/// What the instances' reminder schedules and mail workers did during the rush, and whether
/// each piece of work was done once.
pub(super) async fn background_work(
    bench: &crate::db::BenchDb,
    since: &str,
    instances: u8,
) -> anyhow::Result<()> {
    let (reminders, orphans, twice, mails, distinct_mails): (i64, i64, i64, i64, i64) =
        sqlx::query_as(
            "with r as (select * from reminders where sent_by is null and created_at >= $1::timestamptz)
             select (select count(*) from r),
                    (select count(*) from r where not exists
                        (select 1 from reminder_steps s where s.institution_id = r.institution_id
                           and s.reminder_id = r.id)),
                    (select count(*) from (select 1 from r group by institution_id, user_id
                                           having count(*) > 1) t),
                    (select count(mail_id) from r),
                    (select count(distinct mail_id) from r)",
        )
        .bind(since)
        .fetch_one(&bench.pool)
        .await?;
    let (sent, waiting, retried): (i64, i64, i64) = sqlx::query_as(
        "select count(*) filter (where sent_at is not null),
                count(*) filter (where sent_at is null and gave_up_at is null),
                count(*) filter (where attempts > 1)
         from mail_outbox where created_at >= $1::timestamptz",
    )
    .bind(since)
    .fetch_one(&bench.pool)
    .await?;
    let wrong = orphans + twice + (mails - distinct_mails);
    println!(
        "background work on {instances} instance(s): {reminders} scheduled reminders ({orphans} without their step, {twice} people reminded twice, {} mails shared), mail: {sent} sent, {waiting} still queued, {retried} retried{}",
        mails - distinct_mails,
        if wrong == 0 {
            ""
        } else {
            "   <<<<<<<<<< DONE TWICE: must be 0"
        }
    );
    Ok(())
}
