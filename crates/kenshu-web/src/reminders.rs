//! 督促: reminders sent by an officer to one person or to everyone selected, and by the plan's
//! schedule; each is recorded, queued as mail (when the person has an address) and shown to
//! the person at their next sign-in until they acknowledge it.

use std::collections::{HashMap, HashSet};

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use kenshu_core::FiscalYear;
use kenshu_core::my_number::contains_my_number;
use kenshu_core::reminder::{Due, compose};
use kenshu_db::PgConnection;
use kenshu_db::reminders::{Mail, NewReminder};
use time::Date;
use uuid::Uuid;

use crate::i18n::JA;
use crate::policy::Action;
use crate::session::{Conn, CurrentUser};
use crate::standing::Standing;
use crate::{AppError, AppState};

/// One reminder to record: who, and which unfinished courses with their deadlines.
struct Pending {
    /// The reminder's id, known before it is recorded (the schedule's steps name it).
    id: Uuid,
    user_id: Uuid,
    courses: Vec<(String, Date)>,
}

/// Who sends reminders in one institution, and what every mail needs: read once per send or
/// per schedule run, not per person.
struct Sender<'a> {
    institution_id: Uuid,
    institution_name: &'a str,
    fy: FiscalYear,
    today: Date,
    /// None: the plan's schedule.
    sent_by: Option<Uuid>,
    portal_url: &'a str,
    titles: &'a HashMap<String, String>,
}

impl Sender<'_> {
    /// Records the reminders and queues their mail, in the caller's transaction.
    async fn send(
        &self,
        conn: &mut PgConnection,
        pending: &[Pending],
        message: &str,
    ) -> Result<(), sqlx::Error> {
        let people: Vec<Uuid> = pending.iter().map(|p| p.user_id).collect();
        let contacts: HashMap<Uuid, (String, Option<String>)> =
            kenshu_db::reminders::contacts(conn, self.institution_id, &people)
                .await?
                .into_iter()
                .map(|(id, name, email)| (id, (name, email)))
                .collect();
        for p in pending {
            let Some((name, email)) = contacts.get(&p.user_id) else {
                continue;
            };
            let due: Vec<Due> = p
                .courses
                .iter()
                .map(|(code, deadline)| Due {
                    title: self
                        .titles
                        .get(code)
                        .cloned()
                        .unwrap_or_else(|| code.clone()),
                    deadline: *deadline,
                })
                .collect();
            let (subject, body) = compose(
                name,
                self.institution_name,
                &due,
                self.today,
                message,
                self.portal_url,
            );
            let codes: Vec<String> = p.courses.iter().map(|(c, _)| c.clone()).collect();
            kenshu_db::reminders::record(
                conn,
                self.institution_id,
                &NewReminder {
                    id: p.id,
                    user_id: p.user_id,
                    fiscal_year: self.fy.0,
                    courses: &codes,
                    message,
                    sent_by: self.sent_by,
                    mail: email.as_deref().map(|to| Mail {
                        to,
                        subject: &subject,
                        body: &body,
                    }),
                },
            )
            .await?;
        }
        Ok(())
    }
}

/// The unfinished courses of the people in `standing`, optionally only the ones picked. The
/// standing lists each person's lines together.
fn pending(standing: &Standing, wanted: impl Fn(Uuid, &str) -> bool) -> Vec<Pending> {
    let mut out: Vec<Pending> = Vec::new();
    for l in standing.lines.iter().filter(|l| !l.status.is_done()) {
        let user_id = standing.people[l.person].id;
        if !wanted(user_id, &l.assignment.code) {
            continue;
        }
        let course = (l.assignment.code.clone(), l.deadline);
        match out.last_mut().filter(|p| p.user_id == user_id) {
            Some(p) => p.courses.push(course),
            None => out.push(Pending {
                id: Uuid::new_v4(),
                user_id,
                courses: vec![course],
            }),
        }
    }
    out
}

fn checked_message(text: &str) -> Result<String, AppError> {
    let message = text.trim();
    if message.chars().count() > 1000 {
        return Err(AppError::BadRequest(format!(
            "{}: {}",
            JA.reminder_message, JA.reminder_message_fix
        )));
    }
    if contains_my_number(message) {
        return Err(AppError::BadRequest(format!(
            "{}: {}",
            JA.reminder_message, JA.my_number_refused
        )));
    }
    Ok(message.to_string())
}

/// Sends reminders to the picked people (`login|course` pairs, or a bare login for all their
/// unfinished courses), each within the sender's divisions. Returns how many were sent.
async fn remind(
    state: &AppState,
    user: &CurrentUser,
    conn: &mut PgConnection,
    picks: &[(String, Option<String>)],
    message: &str,
) -> Result<usize, AppError> {
    let inst = user.session.institution_id;
    let fy = crate::page::fiscal_year(None);
    let today = kenshu_core::japan_today();
    let mut tx = sqlx::Connection::begin(conn).await?;
    let mut by_division: HashMap<Uuid, Vec<(Uuid, Option<String>)>> = HashMap::new();
    for (id, division, code) in crate::officer::picked_people(&mut tx, user, picks).await? {
        by_division.entry(division).or_default().push((id, code));
    }
    let mut all = Vec::new();
    for (division, picked) in &by_division {
        let standing = crate::standing::division(&mut tx, inst, *division, fy, today).await?;
        all.extend(pending(&standing, |id, code| {
            picked
                .iter()
                .any(|(p, c)| *p == id && c.as_deref().is_none_or(|c| c == code))
        }));
    }
    if all.is_empty() {
        return Err(AppError::BadRequest(JA.reminder_nobody.into()));
    }
    let sender = Sender {
        institution_id: inst,
        institution_name: &user.session.institution_name,
        fy,
        today,
        sent_by: Some(user.session.user_id),
        portal_url: &state.settings.public_url,
        titles: &kenshu_db::content::course_titles(&mut tx).await?,
    };
    sender.send(&mut tx, &all, message).await?;
    tx.commit().await?;
    tracing::info!(people = all.len(), "reminders sent");
    Ok(all.len())
}

#[derive(serde::Deserialize)]
pub struct PersonForm {
    #[serde(default)]
    message: String,
}

/// 督促: one person, all their unfinished courses.
pub async fn person(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(login): Path<String>,
    Conn(mut conn): Conn,
    Form(f): Form<PersonForm>,
) -> Result<Response, AppError> {
    user.require(Action::ManageDesignations)?;
    let message = checked_message(&f.message)?;
    remind(&state, &user, &mut conn, &[(login.clone(), None)], &message).await?;
    Ok(Redirect::to(&format!(
        "/people/{}?reminded=1#reminders",
        crate::error::url_escape(&login)
    ))
    .into_response())
}

/// 督促: everyone selected on the dashboard.
pub async fn group(
    State(state): State<AppState>,
    user: CurrentUser,
    Conn(mut conn): Conn,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Action::ManageDesignations)?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let message = checked_message(field("message"))?;
    let picks = crate::officer::picks(&fields);
    if picks.is_empty() {
        return Err(AppError::BadRequest(JA.reminder_nobody.into()));
    }
    let n = remind(&state, &user, &mut conn, &picks, &message).await?;
    let division = field("division");
    Ok(Redirect::to(&format!(
        "/officer?division={}&reminded={n}",
        crate::error::url_escape(division)
    ))
    .into_response())
}

/// The person has read the reminders shown to them.
pub async fn seen(user: CurrentUser, Conn(mut conn): Conn) -> Result<Response, AppError> {
    user.require(Action::TakeTraining)?;
    kenshu_db::reminders::mark_seen(&mut conn, user.session.institution_id, user.session.user_id)
        .await?;
    Ok(Redirect::to("/my").into_response())
}

/// Runs the plans' reminder schedules for `today`: for every person with an unfinished
/// course whose schedule step is due and not yet taken, one reminder naming those courses.
/// Safe to run on several instances at once; returns how many reminders were sent.
pub async fn run_schedule(
    pool: &kenshu_db::PgPool,
    today: Date,
    portal_url: &str,
) -> Result<usize, sqlx::Error> {
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
    let work = scheduled_work(&mut conn, fy, today).await?;
    if work.is_empty() {
        guard.commit().await?;
        return Ok(0);
    }
    let titles = kenshu_db::content::course_titles(&mut conn).await?;
    let mut sent = 0;
    for inst in kenshu_db::institutions::list(&mut conn).await? {
        let Some(divisions_due) = work.get(&inst.id) else {
            continue;
        };
        let Some(plan) = kenshu_db::plans::plan(&mut conn, inst.id, fy)
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
            portal_url,
            titles: &titles,
        };
        for division in kenshu_db::institutions::divisions(&mut conn, inst.id).await? {
            if !divisions_due.contains(&division.id) {
                continue;
            }
            let standing =
                crate::standing::division(&mut conn, inst.id, division.id, fy, today).await?;
            let taken_before: HashSet<(Uuid, String, String)> =
                kenshu_db::reminders::steps_taken_in_division(
                    &mut conn,
                    inst.id,
                    division.id,
                    fy.0,
                )
                .await?
                .into_iter()
                .collect();
            for p in pending(&standing, |_, _| true) {
                let steps: Vec<(String, String)> = p
                    .courses
                    .iter()
                    .filter_map(|(code, deadline)| {
                        plan.reminders
                            .step(*deadline, today)
                            .map(|s| (code.clone(), s))
                    })
                    .filter(|(code, step)| {
                        !taken_before.contains(&(p.user_id, code.clone(), step.clone()))
                    })
                    .collect();
                if steps.is_empty() {
                    continue;
                }
                let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                let taken = kenshu_db::reminders::take_steps(
                    &mut tx, inst.id, p.user_id, fy.0, &steps, p.id,
                )
                .await?;
                if taken.is_empty() {
                    continue;
                }
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
    guard.commit().await?;
    if sent > 0 {
        tracing::info!(sent, "scheduled reminders sent");
    }
    Ok(sent)
}

/// The divisions, by institution, where the plan's schedule may have a reminder to send on
/// `today`: a pending assignment whose deadline has a step due and not yet taken. It reads the
/// overview's kept assignments (each person's deadline: the plan's, a newcomer's own or a
/// re-attendance deadline; the same rule as the standing), brought up to date first for the
/// institutions whose counts are not current; and the steps already taken. The division's
/// standing then decides, as before.
async fn scheduled_work(
    conn: &mut PgConnection,
    fy: FiscalYear,
    today: Date,
) -> Result<HashMap<Uuid, HashSet<Uuid>>, sqlx::Error> {
    for inst in kenshu_db::overview::not_current(conn, fy, today).await? {
        kenshu_db::overview::refresh(conn, inst, fy, today).await?;
    }
    // The deadlines of pending assignments, and each plan's schedule.
    let deadlines: Vec<(Uuid, Date, Vec<i32>, i32)> = sqlx::query_as(
        "select c.institution_id, c.deadline, p.reminder_days_before, p.reminder_overdue_every
         from (select distinct institution_id, deadline from overview_counts
               where fiscal_year = $1 and outcome = 'p' and n > 0) c
         join training_plans p on p.institution_id = c.institution_id and p.fiscal_year = $1
                              and p.status = 'approved'",
    )
    .bind(fy.0)
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
    let mut work: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
    for (inst, (deadlines, steps)) in steps {
        let divisions: Vec<Uuid> = sqlx::query_scalar(
            "select distinct a.division_id
             from unnest($3::date[], $4::text[]) s(deadline, step)
             join overview_assignments a on a.institution_id = $1 and a.fiscal_year = $2
                                        and a.deadline = s.deadline and a.outcome = 'p'
             where not exists (select 1 from reminder_steps r
                               where r.institution_id = $1 and r.user_id = a.user_id
                                 and r.fiscal_year = $2 and r.course_code = a.course_code
                                 and r.step = s.step)",
        )
        .bind(inst)
        .bind(fy.0)
        .bind(&deadlines)
        .bind(&steps)
        .fetch_all(&mut *conn)
        .await?;
        if !divisions.is_empty() {
            work.insert(inst, divisions.into_iter().collect());
        }
    }
    Ok(work)
}

/// The background tasks of an instance: the mail worker every few seconds and, unless
/// `schedule_every` is None, the reminder schedule that often. They end with the process.
pub fn spawn_workers(
    pool: kenshu_db::PgPool,
    mailer: std::sync::Arc<crate::mail::Mailer>,
    portal_url: String,
    schedule_every: Option<std::time::Duration>,
) {
    let mail_pool = pool.clone();
    tokio::spawn(async move {
        loop {
            if let Err(e) = crate::mail::deliver_due(&mail_pool, &mailer).await {
                tracing::warn!(error = %e, "mail worker");
            }
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        }
    });
    let Some(schedule_every) = schedule_every else {
        return;
    };
    tokio::spawn(async move {
        loop {
            if let Err(e) = run_schedule(&pool, kenshu_core::japan_today(), &portal_url).await {
                tracing::warn!(error = %e, "reminder schedule");
            }
            tokio::time::sleep(schedule_every).await;
        }
    });
}

/// A reminder as pages show it.
pub struct ReminderRow {
    pub at: String,
    pub courses: String,
    pub message: String,
    pub by: String,
    pub mail: &'static str,
    pub seen: bool,
}

pub fn mail_label(state: kenshu_db::reminders::MailState) -> &'static str {
    use kenshu_db::reminders::MailState;
    match state {
        MailState::NoAddress => JA.mail_no_address,
        MailState::Waiting => JA.mail_waiting,
        MailState::Retrying => JA.mail_retrying,
        MailState::Sent => JA.mail_sent,
        MailState::Logged => JA.mail_logged,
        MailState::GaveUp => JA.mail_gave_up,
    }
}

/// A person's reminders, newest first (with `unseen_only`, the ones to show them).
pub async fn rows(
    conn: &mut PgConnection,
    institution_id: Uuid,
    user_id: Uuid,
    unseen_only: bool,
) -> Result<Vec<ReminderRow>, sqlx::Error> {
    let list = kenshu_db::reminders::for_person(conn, institution_id, user_id, unseen_only).await?;
    if list.is_empty() {
        return Ok(Vec::new());
    }
    let titles = kenshu_db::content::course_titles(conn).await?;
    Ok(list
        .into_iter()
        .map(|r| ReminderRow {
            at: crate::page::jtime(r.created_at),
            courses: r
                .courses
                .iter()
                .map(|c| titles.get(c).cloned().unwrap_or_else(|| c.clone()))
                .collect::<Vec<_>>()
                .join("、"),
            message: r.message,
            by: r
                .sent_by
                .unwrap_or_else(|| JA.reminder_by_schedule.to_string()),
            mail: mail_label(r.mail),
            seen: r.seen,
        })
        .collect())
}
