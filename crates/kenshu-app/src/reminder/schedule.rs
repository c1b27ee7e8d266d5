//! The plans' reminder schedules: on the days the plan names before a deadline, and every so
//! many days after it, one reminder to each person with an unfinished course or a required
//! rule (規程) not yet acknowledged, once per step.

use std::collections::{HashMap, HashSet};

use kenshu_core::FiscalYear;
use kenshu_db::PgConnection;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::{Pending, Sender, pending};

/// Runs the schedule every `every`, in the background; it ends with the process.
pub fn spawn(pool: kenshu_db::PgPool, portal_url: String, every: std::time::Duration) {
    tokio::spawn(async move {
        loop {
            if let Err(e) = run(&pool, OffsetDateTime::now_utc(), &portal_url).await {
                tracing::warn!(error = %e, "reminder schedule");
            }
            tokio::time::sleep(every).await;
        }
    });
}

/// Runs the plans' reminder schedules at `now`: for every person with an unfinished
/// course or a required rule whose schedule step is due and not yet taken, one reminder
/// naming those courses and the rules still to acknowledge.
/// Safe to run on several instances at once; returns how many reminders were sent. Counted in
/// the metrics as the worker `reminder_schedule`. The steps are those of `now`'s day in Japan;
/// the reminders are recorded (shown at the next sign-in) at once, and their mail waits for
/// office hours of a working day (a run on a Saturday mails on Monday at 08:30).
#[tracing::instrument(name = "reminder_schedule", skip_all, fields(%now))]
pub async fn run(
    pool: &kenshu_db::PgPool,
    now: OffsetDateTime,
    portal_url: &str,
) -> Result<usize, sqlx::Error> {
    let started = std::time::Instant::now();
    let result = run_schedule(pool, now, portal_url).await;
    crate::metrics::REMINDER_SCHEDULE.record(started, &result);
    if let Ok(sent) = result {
        crate::metrics::SCHEDULED_REMINDERS.add(sent as u64);
    }
    result
}

async fn run_schedule(
    pool: &kenshu_db::PgPool,
    now: OffsetDateTime,
    portal_url: &str,
) -> Result<usize, sqlx::Error> {
    let today = now.to_offset(kenshu_core::fiscal_year::JST).date();
    // One instance runs the schedule at a time: the others would only find every step taken.
    // The lock is held by a transaction on a connection of its own, so it ends with the run
    // whatever happens.
    let mut guard = pool.begin().await?;
    let running: bool = sqlx::query_scalar(
        "select pg_try_advisory_xact_lock(hashtext('kenshu-reminder-schedule'))",
    )
    .fetch_one(&mut *guard)
    .await?;
    if !running {
        return Ok(0);
    }
    let mut conn = pool.acquire().await?;
    let fy = FiscalYear::of(today);
    // Start from the work: the institutions and divisions with a pending assignment whose
    // schedule step is due and not yet taken. Reading every division's standing instead cost
    // time in proportion to all the people of all institutions on every run, with nothing due.
    let (work, judged) = scheduled_work(&mut conn, fy, today).await?;
    if work.is_empty() {
        rules_judged(&mut conn, fy, &judged).await?;
        guard.commit().await?;
        return Ok(0);
    }
    let titles = kenshu_db::content::course_titles(&mut conn).await?;
    let mut sent = 0;
    for inst in kenshu_db::institution::list(&mut conn).await? {
        let Some(divisions_due) = work.get(&inst.id) else {
            continue;
        };
        let Some(plan) = kenshu_db::plan::plan(&mut conn, inst.id, fy)
            .await?
            .filter(|p| p.plan.approved)
        else {
            continue;
        };
        let sender = Sender {
            institution_id: inst.id,
            institution_name: &inst.name,
            fy,
            today,
            sent_by: None,
            mail_after: Some(kenshu_core::holiday::next_office_hours(now)),
            portal_url,
            titles: &titles,
        };
        for division in kenshu_db::institution::divisions(&mut conn, inst.id).await? {
            if !divisions_due.contains(&division.id) {
                continue;
            }
            let standing =
                crate::standing::division(&mut conn, inst.id, division.id, fy, today).await?;
            let taken_before: HashSet<(Uuid, String, String)> =
                kenshu_db::reminder::steps_taken_in_division(&mut conn, inst.id, division.id, fy)
                    .await?
                    .into_iter()
                    .collect();
            for p in pending(&standing, |_, _| true, |_| true) {
                let courses = p
                    .courses
                    .iter()
                    .map(|(code, deadline)| (code.clone(), *deadline));
                let rules = p
                    .rules
                    .iter()
                    .map(|(code, r)| (rule_step_key(code, r.version), r.deadline));
                let steps: Vec<(String, String)> = courses
                    .chain(rules)
                    .filter_map(|(key, deadline)| {
                        plan.reminders.step(deadline, today).map(|s| (key, s))
                    })
                    .filter(|(key, step)| {
                        !taken_before.contains(&(p.user_id, key.clone(), step.clone()))
                    })
                    .collect();
                if steps.is_empty() {
                    continue;
                }
                let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                let taken =
                    kenshu_db::reminder::take_steps(&mut tx, inst.id, p.user_id, fy, &steps, p.id)
                        .await?;
                if taken.is_empty() {
                    continue;
                }
                // The reminder names the courses whose step was taken now, and every rule the
                // person is still to acknowledge (a rule's step alone sends it too).
                let one = [Pending {
                    courses: p
                        .courses
                        .into_iter()
                        .filter(|(c, _)| taken.contains(c))
                        .collect(),
                    ..p
                }];
                sender.send(&mut tx, &one, "").await?;
                tx.commit().await?;
                sent += 1;
            }
        }
    }
    rules_judged(&mut conn, fy, &judged).await?;
    guard.commit().await?;
    if sent > 0 {
        tracing::info!(sent, "scheduled reminders sent");
    }
    Ok(sent)
}

/// The divisions, by institution, where the plan's schedule may have a reminder to send on
/// `today`: a pending assignment whose deadline has a step due and not yet taken. It reads the
/// overview's kept assignments (each person's deadline: the plan's, a newcomer's own or a
/// re-attendance deadline; the same rule as the standing; people who have left, whom the
/// overview keeps for the year's figures, left out), brought up to date first for the
/// institutions whose counts are not current; and the steps already taken. Where the plan
/// requires rules, also the divisions with a rule step due ([`rule_work`]). The division's
/// standing then decides, as before.
async fn scheduled_work(
    conn: &mut PgConnection,
    fy: FiscalYear,
    today: Date,
) -> Result<(Work, Judged), sqlx::Error> {
    for inst in kenshu_db::overview::not_current(conn, fy, today).await? {
        kenshu_db::overview::refresh(conn, inst, fy, today).await?;
    }
    // The deadlines of pending assignments, and each plan's schedule.
    let deadlines: Vec<(Uuid, Date, Vec<i32>, i32)> = sqlx::query_as(
        "select c.institution_id, c.deadline, p.reminder_days_before, p.reminder_overdue_every
         from (select distinct institution_id, deadline from overview_counts
               where fiscal_year = $1 and outcome = 'p' and n > 0 and isfinite(deadline)) c
         join training_plans p on p.institution_id = c.institution_id and p.fiscal_year = $1
                              and p.status = 'approved'",
    )
    .bind(fy.year())
    .fetch_all(&mut *conn)
    .await?;
    let mut steps: HashMap<Uuid, (Vec<Date>, Vec<String>)> = HashMap::new();
    for (inst, deadline, before, overdue_every) in deadlines {
        let schedule = kenshu_core::reminder::Schedule {
            before: before.into_iter().map(i64::from).collect(),
            overdue_every: i64::from(overdue_every),
        };
        if let Some(step) = schedule.step(deadline, today) {
            let e = steps.entry(inst).or_default();
            e.0.push(deadline);
            e.1.push(step);
        }
    }
    let mut work: Work = HashMap::new();
    for (inst, (deadlines, steps)) in steps {
        let divisions: Vec<Uuid> = sqlx::query_scalar(
            "select distinct a.division_id
             from unnest($3::date[], $4::text[]) s(deadline, step)
             join overview_assignments a on a.institution_id = $1 and a.fiscal_year = $2
                                        and a.deadline = s.deadline and a.outcome = 'p'
             join users u on u.id = a.user_id and u.status <> 'left'
                         and (u.left_on is null or u.left_on >= $5)
             where not exists (select 1 from reminder_steps r
                               where r.institution_id = $1 and r.user_id = a.user_id
                                 and r.fiscal_year = $2 and r.course_code = a.course_code
                                 and r.step = s.step)",
        )
        .bind(inst)
        .bind(fy.year())
        .bind(&deadlines)
        .bind(&steps)
        .bind(today)
        .fetch_all(&mut *conn)
        .await?;
        if !divisions.is_empty() {
            work.insert(inst, divisions.into_iter().collect());
        }
    }
    let judged = rule_work(conn, fy, today, &mut work).await?;
    Ok((work, judged))
}

/// The divisions with something due, by institution.
type Work = HashMap<Uuid, HashSet<Uuid>>;
/// The institutions whose rules were judged, with the stamp they were judged under.
type Judged = Vec<(Uuid, String)>;

/// Once the run has taken every step due, the institutions whose rules it judged need not be
/// judged again until their stamp changes.
async fn rules_judged(
    conn: &mut PgConnection,
    fy: FiscalYear,
    judged: &Judged,
) -> Result<(), sqlx::Error> {
    for (inst, stamp) in judged {
        kenshu_db::rules::schedule_judged(&mut *conn, *inst, fy.year(), stamp).await?;
    }
    Ok(())
}

/// The key of a required rule's step in `reminder_steps` (course codes hold no `:`): by
/// version, so that a new version asks again.
fn rule_step_key(code: &str, version: i32) -> String {
    format!("rule:{code}:{version}")
}

/// Adds to `work` the divisions where someone has a required rule not yet acknowledged whose
/// step is due and not yet taken; returns the institutions judged, with their stamp. For each
/// institution whose approved plan requires rules and whose stamp changed since the schedule
/// last judged them (`kenshu_db::rules::schedule_stamp`: the day, people's facts, acknowledgements,
/// versions), everyone's facts and acknowledgements in one read (as the overview counts them)
/// and the rule steps taken in another, judged here by the same rule as the standing. With
/// nothing changed, one statement per such institution; without required rules, one for all.
async fn rule_work(
    conn: &mut PgConnection,
    fy: FiscalYear,
    today: Date,
    work: &mut Work,
) -> Result<Judged, sqlx::Error> {
    let mut judged = Vec::new();
    let requiring: Vec<Uuid> = sqlx::query_scalar(
        "select distinct p.institution_id from training_plans p
         join plan_rules r on r.institution_id = p.institution_id and r.plan_id = p.id
         where p.fiscal_year = $1 and p.status = 'approved'",
    )
    .bind(fy.year())
    .fetch_all(&mut *conn)
    .await?;
    let on = fy.judged_on(today);
    for inst in requiring {
        let (stamp, judged_already) =
            kenshu_db::rules::schedule_stamp(&mut *conn, inst, fy.year(), today).await?;
        if judged_already {
            continue;
        }
        let Some(plan) = kenshu_db::plan::plan(&mut *conn, inst, fy)
            .await?
            .filter(|p| p.plan.approved && !p.rules.is_empty())
        else {
            continue;
        };
        let people = kenshu_db::plan::facts_for_institution(&mut *conn, inst, on).await?;
        let taken: HashSet<(Uuid, String, String)> =
            kenshu_db::reminder::rule_steps_taken(&mut *conn, inst, fy)
                .await?
                .into_iter()
                .collect();
        for p in &people {
            if work.get(&inst).is_some_and(|d| d.contains(&p.division_id)) {
                continue;
            }
            let due = crate::rules::required(&plan, &p.facts, on, today, |c| p.ack(c))
                .into_iter()
                .filter(|r| !r.done())
                .any(|r| {
                    plan.reminders.step(r.deadline, today).is_some_and(|step| {
                        !taken.contains(&(p.id, rule_step_key(&r.code, r.version), step))
                    })
                });
            if due {
                work.entry(inst).or_default().insert(p.division_id);
            }
        }
        // Before the overview has counted the year there is no stamp to judge under (the
        // schedule brings the counts up to date first, so this is rare): judged every run.
        if let Some(stamp) = stamp {
            judged.push((inst, stamp));
        }
    }
    Ok(judged)
}
