//! 督促: reminders, the schedule's steps, and the mail outbox.

use kenshu_core::FiscalYear;
use kenshu_core::i18n::Lang;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

/// A mail to queue with a reminder.
pub struct Mail<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
}

pub struct NewReminder<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub fiscal_year: FiscalYear,
    pub courses: &'a [String],
    /// The required rules (規程) it names, by code.
    pub rules: &'a [String],
    pub message: &'a str,
    /// None: sent by the plan's schedule.
    pub sent_by: Option<Uuid>,
    /// None: the person has no mail address; the notice at sign-in still reaches them.
    pub mail: Option<Mail<'a>>,
    /// When the mail may go (the schedule's wait for office hours); None: at once.
    pub mail_after: Option<OffsetDateTime>,
}

/// Records a reminder and queues its mail, in the caller's transaction.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, user = %r.user_id, fiscal_year = r.fiscal_year.year(), courses = r.courses.len()))]
pub async fn record(
    conn: &mut PgConnection,
    institution_id: Uuid,
    r: &NewReminder<'_>,
) -> Result<(), sqlx::Error> {
    // One statement: the mail (when there is an address) and the reminder pointing at it.
    sqlx::query!(
        "with mail as (
             insert into mail_outbox (institution_id, to_address, subject, body, next_attempt_at)
             select $1, $8, $9, $10, coalesce($12, now()) where $8::text is not null
             returning id
         )
         insert into reminders (institution_id, id, user_id, fiscal_year, courses, rules, message, sent_by, mail_id)
         values ($1, $2, $3, $4, $5, $11, $6, $7, (select id from mail))",
        institution_id,
        r.id,
        r.user_id,
        r.fiscal_year.year(),
        r.courses,
        r.message,
        r.sent_by,
        r.mail.as_ref().map(|m| m.to),
        r.mail.as_ref().map(|m| m.subject),
        r.mail.as_ref().map(|m| m.body),
        r.rules,
        r.mail_after,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes the schedule's steps (course, step) for a person under `reminder_id`; returns the
/// courses whose step was not taken before. A step another instance is taking at the same
/// moment waits for it and then counts as taken.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, user = %user_id, fiscal_year = fiscal_year.year(), steps = steps.len()))]
pub async fn take_steps(
    conn: &mut PgConnection,
    institution_id: Uuid,
    user_id: Uuid,
    fiscal_year: FiscalYear,
    steps: &[(String, String)],
    reminder_id: Uuid,
) -> Result<Vec<String>, sqlx::Error> {
    let (codes, keys): (Vec<String>, Vec<String>) = steps.iter().cloned().unzip();
    sqlx::query_scalar!(
        "insert into reminder_steps (institution_id, user_id, fiscal_year, course_code, step, reminder_id)
         select $1, $2, $3, s.code, s.step, $6 from unnest($4::text[], $5::text[]) as s(code, step)
         on conflict do nothing
         returning course_code",
        institution_id,
        user_id,
        fiscal_year.year(),
        &codes,
        &keys,
        reminder_id
    )
    .fetch_all(conn)
    .await
}

/// The schedule steps already taken in a division for the year: (person, course, step).
/// The schedule skips these without a transaction; `take_steps` still guards the race.
pub async fn steps_taken_in_division(
    conn: &mut PgConnection,
    institution_id: Uuid,
    division_id: Uuid,
    fiscal_year: FiscalYear,
) -> Result<Vec<(Uuid, String, String)>, sqlx::Error> {
    Ok(sqlx::query!(
        "select s.user_id, s.course_code, s.step from reminder_steps s
         join users u on u.institution_id = s.institution_id and u.id = s.user_id
         where s.institution_id = $1 and u.division_id = $2 and s.fiscal_year = $3",
        institution_id,
        division_id,
        fiscal_year.year()
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.user_id, r.course_code, r.step))
    .collect())
}

/// The schedule's steps already taken for required rules in the institution for the year:
/// (person, `rule:<code>:<version>`, step). One read for the whole institution: the schedule
/// judges everyone's rules at once to find the divisions with a rule step due.
pub async fn rule_steps_taken(
    conn: &mut PgConnection,
    institution_id: Uuid,
    fiscal_year: FiscalYear,
) -> Result<Vec<(Uuid, String, String)>, sqlx::Error> {
    Ok(sqlx::query!(
        "select s.user_id, s.course_code, s.step from reminder_steps s
         where s.institution_id = $1 and s.fiscal_year = $2 and s.course_code like 'rule:%'",
        institution_id,
        fiscal_year.year()
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.user_id, r.course_code, r.step))
    .collect())
}

/// Mail addresses and names of people, for composing reminders.
pub async fn contacts(
    conn: &mut PgConnection,
    institution_id: Uuid,
    user_ids: &[Uuid],
) -> Result<Vec<Contact>, sqlx::Error> {
    Ok(sqlx::query!(
        "select id, name, email, language from users where institution_id = $1 and id = any($2)",
        institution_id,
        user_ids
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| Contact {
        id: r.id,
        name: r.name,
        email: r.email,
        language: r.language.as_deref().and_then(Lang::from_code),
    })
    .collect())
}

/// Whom a reminder goes to, and in which language (their own choice, if they made one).
#[derive(Debug, Clone)]
pub struct Contact {
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub language: Option<Lang>,
}

/// What became of a reminder's mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailState {
    NoAddress,
    Waiting,
    Retrying,
    Sent,
    Logged,
    GaveUp,
}

impl MailState {
    /// A stable name, for CSS classes.
    pub fn key(self) -> &'static str {
        match self {
            MailState::NoAddress => "no-address",
            MailState::Waiting => "waiting",
            MailState::Retrying => "retrying",
            MailState::Sent => "sent",
            MailState::Logged => "logged",
            MailState::GaveUp => "gave-up",
        }
    }
}

/// What became of a mail (`mail`: whether there was one), from its outbox row.
pub fn mail_state(mail: bool, sent_via: Option<&str>, attempts: i32, gave_up: bool) -> MailState {
    match (mail, sent_via) {
        (false, _) => MailState::NoAddress,
        (true, Some("smtp")) => MailState::Sent,
        (true, Some(_)) => MailState::Logged,
        (true, None) if gave_up => MailState::GaveUp,
        (true, None) if attempts > 0 => MailState::Retrying,
        (true, None) => MailState::Waiting,
    }
}

#[derive(Debug, Clone)]
pub struct Reminder {
    pub id: Uuid,
    pub created_at: OffsetDateTime,
    pub courses: Vec<String>,
    /// The required rules it named, by code.
    pub rules: Vec<String>,
    pub message: String,
    /// None: the plan's schedule.
    pub sent_by: Option<String>,
    pub mail: MailState,
    pub seen: bool,
}

/// A person's reminders, newest first; with `unseen_only`, those they have not acknowledged.
pub async fn for_person(
    conn: &mut PgConnection,
    institution_id: Uuid,
    user_id: Uuid,
    unseen_only: bool,
) -> Result<Vec<Reminder>, sqlx::Error> {
    Ok(sqlx::query!(
        r#"select r.id, r.created_at, r.courses, r.rules, r.message, s.name as "sent_by?", r.seen_at,
                  r.mail_id is not null as "mail!", m.sent_via, coalesce(m.attempts, 0) as "attempts!",
                  m.gave_up_at is not null as "gave_up!"
           from reminders r
           left join users s on s.institution_id = r.institution_id and s.id = r.sent_by
           left join mail_outbox m on m.institution_id = r.institution_id and m.id = r.mail_id
           where r.institution_id = $1 and r.user_id = $2 and ($3 = false or r.seen_at is null)
           order by r.created_at desc"#,
        institution_id,
        user_id,
        unseen_only
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| Reminder {
        id: r.id,
        created_at: r.created_at,
        courses: r.courses,
        rules: r.rules,
        message: r.message,
        sent_by: r.sent_by,
        mail: mail_state(r.mail, r.sent_via.as_deref(), r.attempts, r.gave_up),
        seen: r.seen_at.is_some(),
    })
    .collect())
}

/// The person has read the notices shown at sign-in.
pub async fn mark_seen(
    conn: &mut PgConnection,
    institution_id: Uuid,
    user_id: Uuid,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!(
        "update reminders set seen_at = now() where institution_id = $1 and user_id = $2 and seen_at is null",
        institution_id,
        user_id
    )
    .execute(conn)
    .await?
    .rows_affected())
}

/// The latest reminder of each person of a division.
pub async fn latest_in_division(
    conn: &mut PgConnection,
    institution_id: Uuid,
    division_id: Uuid,
) -> Result<Vec<(Uuid, OffsetDateTime)>, sqlx::Error> {
    Ok(sqlx::query!(
        r#"select r.user_id, max(r.created_at) as "at!" from reminders r
           join users u on u.institution_id = r.institution_id and u.id = r.user_id
           where r.institution_id = $1 and u.division_id = $2
           group by r.user_id"#,
        institution_id,
        division_id
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.user_id, r.at))
    .collect())
}

/// A mail being sent.
#[derive(Debug, Clone)]
pub struct OutboxMail {
    pub institution_id: Uuid,
    pub id: Uuid,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    pub attempts: i32,
    /// A drill mail's sender name (the address stays the portal's).
    pub from_name: Option<String>,
    /// A drill mail's campaign.
    pub drill_campaign_id: Option<Uuid>,
}

/// Locks up to `limit` mails that are due, skipping those another worker holds. The locks
/// last until the caller's transaction ends.
#[tracing::instrument(level = "debug", skip_all, fields(limit))]
pub async fn claim_due(
    conn: &mut PgConnection,
    limit: i64,
) -> Result<Vec<OutboxMail>, sqlx::Error> {
    sqlx::query_as!(
        OutboxMail,
        "select institution_id, id, to_address, subject, body, attempts, from_name, drill_campaign_id from mail_outbox
         where sent_at is null and gave_up_at is null and next_attempt_at <= now()
         order by next_attempt_at
         limit $1
         for update skip locked",
        limit
    )
    .fetch_all(conn)
    .await
}

/// Records mails as sent, each with the transport that took it, in one statement. A drill
/// mail's link is blotted out of the kept copy once sent: its token was only needed until
/// then, and whoever reads the outbox (the administrator's mail page, a backup) must not be
/// able to press the button as its recipient.
#[tracing::instrument(level = "debug", skip_all, fields(mails = sent.len()))]
pub async fn mark_sent(
    conn: &mut PgConnection,
    sent: &[(&OutboxMail, &str)],
) -> Result<(), sqlx::Error> {
    if sent.is_empty() {
        return Ok(());
    }
    let institutions: Vec<Uuid> = sent.iter().map(|(m, _)| m.institution_id).collect();
    let ids: Vec<Uuid> = sent.iter().map(|(m, _)| m.id).collect();
    let vias: Vec<String> = sent.iter().map(|(_, via)| via.to_string()).collect();
    sqlx::query!(
        r"update mail_outbox o set sent_at = now(), sent_via = s.via, attempts = o.attempts + 1, last_error = null,
                body = case when o.drill_campaign_id is null then o.body
                            else regexp_replace(o.body, '/d/[0-9a-f]{64}', '/d/********', 'g') end
         from unnest($1::uuid[], $2::uuid[], $3::text[]) as s(institution_id, id, via)
         where o.institution_id = s.institution_id and o.id = s.id",
        &institutions,
        &ids,
        &vias
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a failed attempt: try again after `retry_in`, or give up.
#[tracing::instrument(level = "debug", skip_all, fields(mail = %mail.id, give_up))]
pub async fn mark_failed(
    conn: &mut PgConnection,
    mail: &OutboxMail,
    error: &str,
    retry_in: time::Duration,
    give_up: bool,
) -> Result<(), sqlx::Error> {
    let next = OffsetDateTime::now_utc() + retry_in;
    sqlx::query!(
        "update mail_outbox set attempts = attempts + 1, last_error = $3, next_attempt_at = $4,
                gave_up_at = case when $5 then now() end
         where institution_id = $1 and id = $2",
        mail.institution_id,
        mail.id,
        error,
        next,
        give_up
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The outbox as it stands, for the metrics: mails neither sent nor given up, and how long
/// the oldest due one has waited, in seconds (0 when none is due). A mail not yet tried counts
/// from its time (a scheduled reminder held for office hours, a drill mail's minute: not late
/// before then), a retried one from its queuing. One index range (`mail_outbox_due`).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn outbox_state(conn: &mut PgConnection) -> Result<(i64, f64), sqlx::Error> {
    sqlx::query_as(
        "select count(*),
                coalesce(extract(epoch from now() - min(case when attempts = 0 then next_attempt_at
                                                             else created_at end)
                                            filter (where attempts > 0 or next_attempt_at <= now())),
                         0)::float8
         from mail_outbox where sent_at is null and gave_up_at is null",
    )
    .fetch_one(conn)
    .await
}

#[derive(Debug, Clone)]
pub struct OutboxEntry {
    pub created_at: OffsetDateTime,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: OffsetDateTime,
    pub sent_at: Option<OffsetDateTime>,
    pub sent_via: Option<String>,
    pub gave_up_at: Option<OffsetDateTime>,
}

/// An institution's latest mail, newest first, for the portal admin.
pub async fn outbox(
    conn: &mut PgConnection,
    institution_id: Uuid,
    limit: i64,
) -> Result<Vec<OutboxEntry>, sqlx::Error> {
    sqlx::query_as!(
        OutboxEntry,
        r#"select created_at, to_address, subject,
                  case when drill_campaign_id is null then body
                       else regexp_replace(body, '/d/[0-9a-f]{64}', '/d/********', 'g') end as "body!",
                  attempts, last_error, next_attempt_at, sent_at, sent_via, gave_up_at
           from mail_outbox where institution_id = $1 order by created_at desc limit $2"#,
        institution_id,
        limit
    )
    .fetch_all(conn)
    .await
}
