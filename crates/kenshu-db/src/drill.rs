//! Targeted-attack mail drills (標的型攻撃メール訓練): campaigns, their recipients, the
//! presses of a link's button, reports and follow-up courses.

use sqlx::PgConnection;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// A campaign as prepared.
#[derive(Debug, Clone)]
pub struct NewCampaign<'a> {
    pub fiscal_year: i32,
    pub title: &'a str,
    pub template_code: Option<&'a str>,
    pub sender_name: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub clues: &'a str,
    pub audience: &'a [String],
    pub division_ids: &'a [Uuid],
    pub window_start: OffsetDateTime,
    pub window_end: OffsetDateTime,
    pub per_minute: i32,
    pub follow_up_course: Option<&'a str>,
    pub follow_up_days: i32,
    pub created_by: Uuid,
}

/// Stores a draft campaign.
pub async fn insert(
    conn: &mut PgConnection,
    institution_id: Uuid,
    c: &NewCampaign<'_>,
) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar!(
        "insert into drill_campaigns (institution_id, fiscal_year, title, template_code, sender_name,
             subject, body, clues, audience, division_ids, window_start, window_end, per_minute,
             follow_up_course, follow_up_days, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         returning id",
        institution_id,
        c.fiscal_year,
        c.title,
        c.template_code,
        c.sender_name,
        c.subject,
        c.body,
        c.clues,
        c.audience,
        c.division_ids,
        c.window_start,
        c.window_end,
        c.per_minute,
        c.follow_up_course,
        c.follow_up_days,
        c.created_by
    )
    .fetch_one(conn)
    .await
}

/// One campaign, as stored.
#[derive(Debug, Clone)]
pub struct Campaign {
    pub id: Uuid,
    pub fiscal_year: i32,
    pub title: String,
    pub template_code: Option<String>,
    pub sender_name: String,
    pub subject: String,
    pub body: String,
    pub clues: String,
    pub audience: Vec<String>,
    pub division_ids: Vec<Uuid>,
    pub window_start: OffsetDateTime,
    pub window_end: OffsetDateTime,
    pub per_minute: i32,
    pub follow_up_course: Option<String>,
    pub follow_up_title: Option<String>,
    pub follow_up_days: i32,
    pub status: String,
    pub created_by_id: Uuid,
    pub created_by: String,
    pub created_at: OffsetDateTime,
    pub launched_at: Option<OffsetDateTime>,
}

pub async fn campaign(
    conn: &mut PgConnection,
    institution_id: Uuid,
    id: Uuid,
) -> Result<Option<Campaign>, sqlx::Error> {
    sqlx::query_as!(
        Campaign,
        r#"select c.id, c.fiscal_year, c.title, c.template_code, c.sender_name, c.subject, c.body,
                  c.clues, c.audience, c.division_ids, c.window_start, c.window_end, c.per_minute,
                  c.follow_up_course, k.title as "follow_up_title?", c.follow_up_days, c.status,
                  c.created_by as created_by_id, u.name as created_by, c.created_at, c.launched_at
           from drill_campaigns c
           join users u on u.institution_id = c.institution_id and u.id = c.created_by
           left join courses k on k.code = c.follow_up_course
           where c.institution_id = $1 and c.id = $2"#,
        institution_id,
        id
    )
    .fetch_optional(conn)
    .await
}

/// A campaign in the list, with its figures.
#[derive(Debug, Clone)]
pub struct Summary {
    pub id: Uuid,
    pub title: String,
    pub status: String,
    pub division_ids: Vec<Uuid>,
    pub window_start: OffsetDateTime,
    pub recipients: i64,
    pub sent: i64,
    pub clicked: i64,
    pub reported: i64,
}

/// The campaigns of a fiscal year, newest first.
pub async fn list(
    conn: &mut PgConnection,
    institution_id: Uuid,
    fiscal_year: i32,
) -> Result<Vec<Summary>, sqlx::Error> {
    sqlx::query_as!(
        Summary,
        r#"select c.id, c.title, c.status, c.division_ids, c.window_start,
                  count(r.user_id) as "recipients!",
                  count(o.sent_at) as "sent!",
                  count(r.clicked_at) as "clicked!",
                  count(r.reported_at) as "reported!"
           from drill_campaigns c
           left join drill_recipients r on r.institution_id = c.institution_id and r.campaign_id = c.id
           left join mail_outbox o on o.institution_id = r.institution_id and o.id = r.mail_id
           where c.institution_id = $1 and c.fiscal_year = $2
           group by c.institution_id, c.id
           order by c.window_start desc, c.created_at desc"#,
        institution_id,
        fiscal_year
    )
    .fetch_all(conn)
    .await
}

/// A person a campaign aims at, as the roster has them today.
#[derive(Debug, Clone)]
pub struct Target {
    pub user_id: Uuid,
    pub login_id: String,
    pub name: String,
    pub has_address: bool,
    pub division_id: Uuid,
    pub designations: Vec<String>,
}

/// The people of the roster a campaign aims at on `on`: active (not on leave, not left), in
/// its divisions (all when empty), holding one of its designations that day (everyone for
/// `all`; an officer's role counts as its designation). Portal administrators are not staff;
/// `except` (the officer who prepared it, who knows the mail) are left out.
pub async fn targets(
    conn: &mut PgConnection,
    institution_id: Uuid,
    audience: &[String],
    division_ids: &[Uuid],
    on: Date,
    except: &[Uuid],
) -> Result<Vec<Target>, sqlx::Error> {
    sqlx::query_as!(
        Target,
        r#"with people as (
               select u.id, u.login_id, u.name, u.email, u.division_id,
                      array(select distinct k from (
                          select g.kind as k from designations g
                          where g.institution_id = u.institution_id and g.user_id = u.id
                            and g.valid_from <= $4 and (g.valid_to is null or g.valid_to >= $4)
                          union all
                          select u.role where u.role in ('protection_officer', 'chief_officer', 'audit_officer')
                      ) h order by k) as kinds
               from users u
               where u.institution_id = $1 and u.active and u.status = 'active'
                 and u.role <> 'portal_admin'
                 and (cardinality($3::uuid[]) = 0 or u.division_id = any($3))
                 and u.id <> all($5::uuid[])
           )
           select id as user_id, login_id, name, email is not null and email <> '' as "has_address!",
                  division_id, kinds as "designations!"
           from people
           where 'all' = any($2::text[]) or kinds && $2::text[]
           order by login_id"#,
        institution_id,
        audience,
        division_ids,
        on,
        except
    )
    .fetch_all(conn)
    .await
}

/// One person's mail of a launched campaign.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub user_id: Uuid,
    pub token_hash: Vec<u8>,
    pub division_id: Uuid,
    pub designations: String,
    pub mail_id: Uuid,
    pub send_at: OffsetDateTime,
    pub body: String,
}

/// Marks a draft launched (once: `false` when it was not a draft any more, e.g. launched by
/// another instance or cancelled), then records its recipients and queues their mails, each
/// due at its `send_at`. The address is the roster's, read here: a mail cannot go to an
/// address outside it, and a person who has no address (or left meanwhile) gets none.
pub async fn launch(
    tx: &mut PgConnection,
    institution_id: Uuid,
    id: Uuid,
    launched_by: Uuid,
    subject: &str,
    from_name: &str,
    mails: &[Outgoing],
) -> Result<Option<i64>, sqlx::Error> {
    let launched = sqlx::query_scalar!(
        "update drill_campaigns set status = 'launched', launched_by = $3, launched_at = now()
         where institution_id = $1 and id = $2 and status = 'draft'
         returning id",
        institution_id,
        id,
        launched_by
    )
    .fetch_optional(&mut *tx)
    .await?;
    if launched.is_none() {
        return Ok(None);
    }
    let users: Vec<Uuid> = mails.iter().map(|m| m.user_id).collect();
    let hashes: Vec<Vec<u8>> = mails.iter().map(|m| m.token_hash.clone()).collect();
    let divisions: Vec<Uuid> = mails.iter().map(|m| m.division_id).collect();
    let designations: Vec<String> = mails.iter().map(|m| m.designations.clone()).collect();
    let mail_ids: Vec<Uuid> = mails.iter().map(|m| m.mail_id).collect();
    let send_at: Vec<OffsetDateTime> = mails.iter().map(|m| m.send_at).collect();
    let bodies: Vec<String> = mails.iter().map(|m| m.body.clone()).collect();
    let n = sqlx::query_scalar!(
        r#"with m as (
               select m.*, u.email from unnest($3::uuid[], $4::bytea[], $5::uuid[], $6::text[],
                                        $7::uuid[], $8::timestamptz[], $9::text[])
                      as m(user_id, token_hash, division_id, designations, mail_id, send_at, body)
               join users u on u.institution_id = $1 and u.id = m.user_id
               where u.active and u.status = 'active' and u.email is not null and u.email <> ''
           ),
           r as (
               insert into drill_recipients (institution_id, campaign_id, user_id, token_hash,
                   division_id, designations, mail_id, send_at)
               select $1, $2, user_id, token_hash, division_id,
                      case when designations = '' then '{}'::text[] else string_to_array(designations, ',') end,
                      mail_id, send_at
               from m
           ),
           o as (
               insert into mail_outbox (institution_id, id, to_address, subject, body,
                   next_attempt_at, from_name, drill_campaign_id)
               select $1, mail_id, email, $10, body, send_at, $11, $2 from m
               returning 1
           )
           select count(*) as "n!" from o"#,
        institution_id,
        id,
        &users,
        &hashes,
        &divisions,
        &designations,
        &mail_ids,
        &send_at,
        &bodies,
        subject,
        from_name
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok(Some(n))
}

/// Cancels a campaign that is not over: a draft is never sent, a launched one's unsent mails
/// are taken out of the outbox. The number of mails taken out, or None when there was
/// nothing to cancel.
pub async fn cancel(
    tx: &mut PgConnection,
    institution_id: Uuid,
    id: Uuid,
) -> Result<Option<i64>, sqlx::Error> {
    let cancelled = sqlx::query_scalar!(
        "update drill_campaigns set status = 'cancelled', cancelled_at = now()
         where institution_id = $1 and id = $2 and status in ('draft', 'launched')
         returning id",
        institution_id,
        id
    )
    .fetch_optional(&mut *tx)
    .await?;
    if cancelled.is_none() {
        return Ok(None);
    }
    let n = sqlx::query_scalar!(
        r#"with d as (
               delete from mail_outbox where institution_id = $1 and drill_campaign_id = $2
                 and sent_at is null returning 1
           ) select count(*) as "n!" from d"#,
        institution_id,
        id
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok(Some(n))
}

/// What a link's page knows: the person, the campaign and what has been recorded.
#[derive(Debug, Clone)]
pub struct Landing {
    pub institution_id: Uuid,
    pub campaign_id: Uuid,
    pub user_id: Uuid,
    pub login_id: String,
    pub name: String,
    pub sender_name: String,
    pub subject: String,
    pub clues: String,
    pub clicked_at: Option<OffsetDateTime>,
    pub reported_at: Option<OffsetDateTime>,
    pub follow_up_course: Option<String>,
    pub follow_up_title: Option<String>,
    pub follow_up_deadline: Option<Date>,
}

/// The recipient a link's token belongs to (the token's SHA-256).
pub async fn landing(
    conn: &mut PgConnection,
    token_hash: &[u8],
) -> Result<Option<Landing>, sqlx::Error> {
    sqlx::query_as!(
        Landing,
        r#"select r.institution_id, r.campaign_id, r.user_id, u.login_id, u.name, c.sender_name,
                  c.subject, c.clues, r.clicked_at, r.reported_at,
                  f.course_code as "follow_up_course?", k.title as "follow_up_title?",
                  f.deadline as "follow_up_deadline?"
           from drill_recipients r
           join drill_campaigns c on c.institution_id = r.institution_id and c.id = r.campaign_id
           join users u on u.institution_id = r.institution_id and u.id = r.user_id
           left join drill_follow_ups f on f.institution_id = r.institution_id
                and f.campaign_id = r.campaign_id and f.user_id = r.user_id
           left join courses k on k.code = f.course_code
           where r.token_hash = $1"#,
        token_hash
    )
    .fetch_optional(conn)
    .await
}

/// A press of the button on a link's page.
#[derive(Debug, Clone)]
pub struct Press {
    pub institution_id: Uuid,
    pub campaign_id: Uuid,
    pub user_id: Uuid,
    pub login_id: String,
    pub name: String,
    pub division_id: Uuid,
    /// The person's first press: the one that counts.
    pub first: bool,
    pub follow_up_course: Option<String>,
    pub follow_up_days: i32,
    pub fiscal_year: i32,
}

/// Records a press of the link page's button: the first press's time is kept, every press
/// counted.
pub async fn press(tx: &mut PgConnection, token_hash: &[u8]) -> Result<Option<Press>, sqlx::Error> {
    sqlx::query_as!(
        Press,
        r#"with p as (
               update drill_recipients set clicks = clicks + 1, clicked_at = coalesce(clicked_at, now())
               where token_hash = $1
               returning institution_id, campaign_id, user_id, division_id, clicks = 1 as first
           )
           select p.institution_id, p.campaign_id, p.user_id, u.login_id, u.name, p.division_id,
                  p.first as "first!", c.follow_up_course, c.follow_up_days, c.fiscal_year
           from p
           join drill_campaigns c on c.institution_id = p.institution_id and c.id = p.campaign_id
           join users u on u.institution_id = p.institution_id and u.id = p.user_id"#,
        token_hash
    )
    .fetch_optional(tx)
    .await
}

/// Assigns the follow-up course of a campaign to a person who pressed the button (once).
pub async fn assign_follow_up(
    tx: &mut PgConnection,
    p: &Press,
    course: &str,
    deadline: Date,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "insert into drill_follow_ups (institution_id, campaign_id, user_id, course_code, fiscal_year, deadline)
         values ($1, $2, $3, $4, $5, $6) on conflict do nothing",
        p.institution_id,
        p.campaign_id,
        p.user_id,
        course,
        p.fiscal_year,
        deadline
    )
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A report that counted.
#[derive(Debug, Clone)]
pub struct Reported {
    pub institution_id: Uuid,
    pub campaign_id: Uuid,
    pub user_id: Uuid,
    pub login_id: String,
}

/// Records the report of the mail whose link carries this token, when it came from the
/// recipient's own address (lower-cased), once.
pub async fn report_by_token(
    tx: &mut PgConnection,
    token_hash: &[u8],
    sender: &str,
) -> Result<Option<Reported>, sqlx::Error> {
    sqlx::query_as!(
        Reported,
        r#"update drill_recipients r set reported_at = now(), reported_via = 'mail'
           from users u
           where r.token_hash = $1 and r.reported_at is null
             and u.institution_id = r.institution_id and u.id = r.user_id and lower(u.email) = $2
           returning r.institution_id, r.campaign_id, r.user_id, u.login_id"#,
        token_hash,
        sender
    )
    .fetch_optional(tx)
    .await
}

/// Records a report for the latest drill mail sent to this person within `days` (a report
/// link pressed in the portal, or a mail from their address without a link in it), once.
pub async fn report_latest(
    tx: &mut PgConnection,
    institution_id: Uuid,
    user_id: Uuid,
    via: &str,
    days: i32,
) -> Result<Option<Reported>, sqlx::Error> {
    sqlx::query_as!(
        Reported,
        r#"update drill_recipients r set reported_at = now(), reported_via = $3
           from users u
           where (r.institution_id, r.campaign_id, r.user_id) = (
                   select l.institution_id, l.campaign_id, l.user_id from drill_recipients l
                   join mail_outbox o on o.institution_id = l.institution_id and o.id = l.mail_id
                   where l.institution_id = $1 and l.user_id = $2 and l.reported_at is null
                     and o.sent_at > now() - make_interval(days => $4)
                   order by o.sent_at desc limit 1)
             and u.institution_id = r.institution_id and u.id = r.user_id
           returning r.institution_id, r.campaign_id, r.user_id, u.login_id"#,
        institution_id,
        user_id,
        via,
        days
    )
    .fetch_optional(tx)
    .await
}

/// The active people whose roster address is this one (lower-cased), in any institution.
pub async fn people_by_address(
    conn: &mut PgConnection,
    address: &str,
) -> Result<Vec<(Uuid, Uuid)>, sqlx::Error> {
    Ok(sqlx::query!(
        "select institution_id, id from users where lower(email) = $1 and active and status <> 'left'",
        address
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.institution_id, r.id))
    .collect())
}

/// One recipient's line of a campaign's results.
#[derive(Debug, Clone)]
pub struct Line {
    pub login_id: String,
    pub name: String,
    pub division_id: Uuid,
    pub division: String,
    pub designations: Vec<String>,
    pub send_at: OffsetDateTime,
    pub sent_at: Option<OffsetDateTime>,
    pub clicked_at: Option<OffsetDateTime>,
    pub clicks: i32,
    pub reported_at: Option<OffsetDateTime>,
    pub reported_via: Option<String>,
    /// Pressed the button of an earlier campaign's mail too.
    pub repeat: bool,
    pub follow_up_deadline: Option<Date>,
    pub follow_up_done: bool,
}

/// Every recipient of a campaign, by division and login.
pub async fn lines(
    conn: &mut PgConnection,
    institution_id: Uuid,
    id: Uuid,
) -> Result<Vec<Line>, sqlx::Error> {
    sqlx::query_as!(
        Line,
        r#"select u.login_id, u.name, r.division_id, d.name as division, r.designations,
                  r.send_at, o.sent_at as "sent_at?", r.clicked_at, r.clicks, r.reported_at,
                  r.reported_via,
                  r.clicked_at is not null and exists (
                      select 1 from drill_recipients p
                      where p.institution_id = r.institution_id and p.user_id = r.user_id
                        and p.campaign_id <> r.campaign_id and p.clicked_at < r.clicked_at
                  ) as "repeat!",
                  f.deadline as "follow_up_deadline?",
                  exists (
                      select 1 from test_attempts a
                      where a.institution_id = f.institution_id and a.user_id = f.user_id
                        and a.course_code = f.course_code and a.passed
                        and a.submitted_at >= f.assigned_at
                  ) as "follow_up_done!"
           from drill_recipients r
           join users u on u.institution_id = r.institution_id and u.id = r.user_id
           join divisions d on d.institution_id = r.institution_id and d.id = r.division_id
           left join mail_outbox o on o.institution_id = r.institution_id and o.id = r.mail_id
           left join drill_follow_ups f on f.institution_id = r.institution_id
                and f.campaign_id = r.campaign_id and f.user_id = r.user_id
           where r.institution_id = $1 and r.campaign_id = $2
           order by d.code, u.login_id"#,
        institution_id,
        id
    )
    .fetch_all(conn)
    .await
}

/// Queues a plain mail (a notice to an officer).
pub async fn queue_mail(
    tx: &mut PgConnection,
    institution_id: Uuid,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into mail_outbox (institution_id, to_address, subject, body) values ($1, $2, $3, $4)",
        institution_id,
        to,
        subject,
        body
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// The courses a drill may give as its follow-up: those the institution sees (shared or its
/// own) whose current version has a test, since passing it again is what shows the follow-up
/// was taken. (code, title), by title.
pub async fn follow_up_courses(
    conn: &mut PgConnection,
    institution_id: Uuid,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    Ok(sqlx::query!(
        "select k.code, k.title from courses k
         join content_versions v on v.id = k.current_version_id
         where (k.institution_id is null or k.institution_id = $1)
           and jsonb_typeof(v.package -> 'test') = 'object'
         order by k.position, k.title",
        institution_id
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.code, r.title))
    .collect())
}

/// The title of a course a drill may give as its follow-up ([`follow_up_courses`]).
pub async fn follow_up_course(
    conn: &mut PgConnection,
    institution_id: Uuid,
    code: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "select k.title from courses k
         join content_versions v on v.id = k.current_version_id
         where k.code = $2 and (k.institution_id is null or k.institution_id = $1)
           and jsonb_typeof(v.package -> 'test') = 'object'",
        institution_id,
        code
    )
    .fetch_optional(conn)
    .await
}

/// A launched drill of a year, as the annual report lists it.
#[derive(Debug, Clone)]
pub struct YearDrill {
    pub title: String,
    pub launched_at: OffsetDateTime,
    pub cancelled: bool,
    pub recipients: i64,
    pub sent: i64,
    pub clicked: i64,
    pub reported: i64,
    pub reported_only: i64,
    /// Median minutes from sending to report.
    pub median_minutes: Option<f64>,
}

/// The drills launched in a fiscal year with their figures, in the order they were launched.
pub async fn year_summary(
    conn: &mut PgConnection,
    institution_id: Uuid,
    fiscal_year: i32,
) -> Result<Vec<YearDrill>, sqlx::Error> {
    sqlx::query_as!(
        YearDrill,
        r#"select c.title, c.launched_at as "launched_at!", c.status = 'cancelled' as "cancelled!",
                  count(r.user_id) as "recipients!", count(o.sent_at) as "sent!",
                  count(r.clicked_at) as "clicked!", count(r.reported_at) as "reported!",
                  count(*) filter (where r.reported_at is not null and r.clicked_at is null)
                      as "reported_only!",
                  (percentile_disc(0.5) within group (order by extract(epoch from r.reported_at - o.sent_at))
                      filter (where r.reported_at is not null and o.sent_at is not null))::float8 / 60
                      as median_minutes
           from drill_campaigns c
           left join drill_recipients r on r.institution_id = c.institution_id and r.campaign_id = c.id
           left join mail_outbox o on o.institution_id = r.institution_id and o.id = r.mail_id
           where c.institution_id = $1 and c.fiscal_year = $2 and c.launched_at is not null
           group by c.institution_id, c.id
           order by c.launched_at"#,
        institution_id,
        fiscal_year
    )
    .fetch_all(conn)
    .await
}
