//! Targeted-attack mail drills (標的型攻撃メール訓練): preparing a campaign, launching it (every
//! person's own link, their mail queued in the outbox at the relay's rate), the press of a
//! link page's button (recorded once, the follow-up course assigned and the protection
//! officer told), reports (a link in the portal, or a mail forwarded to the report address:
//! [`report`]) and the results.
//!
//! Sending is the outbox's: each mail is due at its minute ([`kenshu_core::drill::send_at`]),
//! every instance's worker takes due mails with `FOR UPDATE SKIP LOCKED`, so the rate holds
//! and two instances send each mail once. A launch is one transaction that turns the draft
//! into a launched campaign first: a second launch (another instance, a double click) finds no
//! draft and queues nothing.

pub mod report;

use kenshu_core::FiscalYear;
use kenshu_core::audit::AuditAction;
use kenshu_core::drill::{self as rule, Draft, Problem};
use kenshu_core::plan::Target;
use kenshu_db::PgConnection;
use kenshu_db::drill as store;
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

use crate::audit::Actor;

/// Days after a drill mail went out in which a report without a link (the portal's report
/// button, a mail from the person's address) counts for it.
pub const REPORT_DAYS: i32 = 30;

/// A campaign as the preparing officer filled it in.
pub struct Preparation<'a> {
    pub draft: Draft<'a>,
    pub template_code: Option<&'a str>,
    pub audience: Vec<Target>,
    /// The divisions aimed at; empty for every division.
    pub division_ids: Vec<Uuid>,
    /// The divisions the officer may aim at; None for every division (the chief officer).
    pub allowed: Option<Vec<Uuid>>,
    pub follow_up_course: Option<&'a str>,
    pub fiscal_year: FiscalYear,
}

/// Everything wrong with a preparation, field by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrepareProblem {
    Draft(Problem),
    /// A division outside the officer's reach (or none chosen by a protection officer).
    Divisions,
    /// A follow-up course the portal does not have, or one without a test to pass again.
    Course,
}

/// Stores a draft campaign (audited); the problems when it cannot be.
pub async fn prepare(
    conn: &mut PgConnection,
    actor: &Actor<'_>,
    p: &Preparation<'_>,
) -> Result<Result<Uuid, Vec<PrepareProblem>>, sqlx::Error> {
    let mut problems: Vec<PrepareProblem> = rule::check(&p.draft)
        .into_iter()
        .map(PrepareProblem::Draft)
        .collect();
    if p.audience.is_empty() {
        problems.push(PrepareProblem::Draft(Problem::Audience));
    }
    if let Some(allowed) = &p.allowed
        && (p.division_ids.is_empty() || p.division_ids.iter().any(|d| !allowed.contains(d)))
    {
        problems.push(PrepareProblem::Divisions);
    }
    if let Some(code) = p.follow_up_course
        && store::follow_up_course(conn, actor.institution_id, code)
            .await?
            .is_none()
    {
        problems.push(PrepareProblem::Course);
    }
    let (Some(window_start), Some(window_end)) = (p.draft.window_start, p.draft.window_end) else {
        return Ok(Err(problems));
    };
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    let audience: Vec<String> = p.audience.iter().map(|t| t.as_str().to_string()).collect();
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let id = store::insert(
        &mut tx,
        actor.institution_id,
        &store::NewCampaign {
            fiscal_year: p.fiscal_year.year(),
            title: p.draft.title.trim(),
            template_code: p.template_code,
            sender_name: p.draft.sender_name.trim(),
            subject: p.draft.subject.trim(),
            body: p.draft.body,
            clues: p.draft.clues.trim(),
            audience: &audience,
            division_ids: &p.division_ids,
            window_start,
            window_end,
            per_minute: p.draft.per_minute,
            follow_up_course: p.follow_up_course,
            follow_up_days: p.draft.follow_up_days,
            created_by: actor.person_id("preparing a drill")?,
        },
    )
    .await?;
    actor
        .record(
            &mut tx,
            AuditAction::DrillPrepared,
            p.draft.title.trim(),
            &format!(
                "campaign {id}: audience {}, {} division(s), {} per minute, follow-up {}",
                audience.join(","),
                p.division_ids.len(),
                p.draft.per_minute,
                p.follow_up_course.unwrap_or("-")
            ),
        )
        .await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// Who a campaign would reach if launched today.
pub struct Reach {
    pub targets: Vec<store::Target>,
}

impl Reach {
    pub fn with_address(&self) -> usize {
        self.targets.iter().filter(|t| t.has_address).count()
    }

    pub fn without_address(&self) -> impl Iterator<Item = &store::Target> {
        self.targets.iter().filter(|t| !t.has_address)
    }
}

/// The roster's people a campaign aims at on `today`.
pub async fn reach(
    conn: &mut PgConnection,
    institution_id: Uuid,
    c: &store::Campaign,
    today: Date,
) -> Result<Reach, sqlx::Error> {
    let targets = store::targets(
        conn,
        institution_id,
        &c.audience,
        &c.division_ids,
        today,
        &[c.created_by_id],
    )
    .await?;
    Ok(Reach { targets })
}

/// A launch that happened.
#[derive(Debug, Clone)]
pub struct Launched {
    pub queued: i64,
    /// People aimed at who have no mail address in the roster: they get no mail.
    pub without_address: usize,
    /// When the last mail goes to the relay.
    pub last_at: OffsetDateTime,
}

/// Why a launch did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LaunchRefusal {
    /// Launched or cancelled already (perhaps a moment ago, by another instance).
    NotDraft,
    /// Nobody aimed at has a mail address.
    NoRecipients,
    /// The window is over.
    WindowOver,
    /// The mails do not fit in what is left of the window at the rate.
    TooMany { mails: usize, minutes: i64 },
}

/// Launches the draft `c` (as the caller read it): a link per person, their mail queued at its
/// minute of the window (from now when the window has begun). One transaction, which turns the
/// draft into a launched campaign first: a second launch (or one from a stale read) finds no
/// draft and queues nothing.
pub async fn launch(
    conn: &mut PgConnection,
    actor: &Actor<'_>,
    c: &store::Campaign,
    public_url: &str,
    now: OffsetDateTime,
) -> Result<Result<Launched, LaunchRefusal>, sqlx::Error> {
    if c.status != "draft" {
        return Ok(Err(LaunchRefusal::NotDraft));
    }
    let id = c.id;
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let today = now.to_offset(kenshu_core::fiscal_year::JST).date();
    let reach = reach(&mut tx, actor.institution_id, c, today).await?;
    let people: Vec<&store::Target> = reach.targets.iter().filter(|t| t.has_address).collect();
    let without_address = reach.targets.len() - people.len();
    if people.is_empty() {
        return Ok(Err(LaunchRefusal::NoRecipients));
    }
    if now >= c.window_end {
        return Ok(Err(LaunchRefusal::WindowOver));
    }
    let start = c.window_start.max(now);
    if !rule::fits(people.len(), c.per_minute, start, c.window_end) {
        return Ok(Err(LaunchRefusal::TooMany {
            mails: people.len(),
            minutes: rule::minutes_needed(people.len(), c.per_minute),
        }));
    }
    let base = public_url.trim_end_matches('/');
    let mails: Vec<store::Outgoing> = people
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (token, token_hash) = kenshu_db::token::pair();
            store::Outgoing {
                user_id: p.user_id,
                token_hash,
                division_id: p.division_id,
                designations: p.designations.join(","),
                mail_id: Uuid::new_v4(),
                send_at: rule::send_at(start, c.per_minute, i),
                body: rule::fill(&c.body, &p.name, &format!("{base}/d/{token}")),
            }
        })
        .collect();
    let last_at = mails.last().map(|m| m.send_at).unwrap_or(start);
    let launched_by = actor.person_id("launching a drill")?;
    let Some(queued) = store::launch(
        &mut tx,
        actor.institution_id,
        id,
        launched_by,
        &c.subject,
        &c.sender_name,
        &mails,
    )
    .await?
    else {
        return Ok(Err(LaunchRefusal::NotDraft));
    };
    actor
        .record(
            &mut tx,
            AuditAction::DrillLaunched,
            &c.title,
            &format!(
                "campaign {id}: {queued} mails, {} per minute, {} to {} JST; {} without an address",
                c.per_minute,
                minute(start),
                minute(last_at),
                without_address
            ),
        )
        .await?;
    tx.commit().await?;
    Ok(Ok(Launched {
        queued,
        without_address,
        last_at,
    }))
}

/// `2026-12-07 09:00` in Japan time, as the audit log's details say a moment.
fn minute(at: OffsetDateTime) -> String {
    let at = at.to_offset(kenshu_core::fiscal_year::JST);
    format!("{} {:02}:{:02}", at.date(), at.hour(), at.minute())
}

/// Cancels the campaign `c` (as the caller read it): a draft is never sent, a launched one's
/// unsent mails are withdrawn. None when it is over already.
pub async fn cancel(
    conn: &mut PgConnection,
    actor: &Actor<'_>,
    c: &store::Campaign,
) -> Result<Option<i64>, sqlx::Error> {
    let id = c.id;
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let Some(withdrawn) = store::cancel(&mut tx, actor.institution_id, id).await? else {
        return Ok(None);
    };
    actor
        .record(
            &mut tx,
            AuditAction::DrillCancelled,
            &c.title,
            &format!("campaign {id}: {withdrawn} unsent mails withdrawn"),
        )
        .await?;
    tx.commit().await?;
    Ok(Some(withdrawn))
}

/// What a press of the link page's button did.
#[derive(Debug, Clone)]
pub struct Pressed {
    /// The first press (the one that counts; later ones only add to the count).
    pub first: bool,
    /// The follow-up course assigned, its title and deadline.
    pub follow_up: Option<(String, Date)>,
}

/// Records a press of the button on a link's page: the first one is audited (as the person),
/// assigns the campaign's follow-up course with its own deadline and tells the person's
/// protection officers by mail. None for a token nobody has.
pub async fn press(
    conn: &mut PgConnection,
    key: &kenshu_core::audit::AuditKey,
    token: &str,
    today: Date,
) -> Result<Option<Pressed>, sqlx::Error> {
    let token_hash = kenshu_db::token::hash(token);
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let Some(p) = store::press(&mut tx, &token_hash).await? else {
        return Ok(None);
    };
    if !p.first {
        tx.commit().await?;
        return Ok(Some(Pressed {
            first: false,
            follow_up: None,
        }));
    }
    let mut follow_up = None;
    if let Some(course) = &p.follow_up_course {
        let deadline = today + Duration::days(i64::from(p.follow_up_days));
        store::assign_follow_up(&mut tx, &p, course, deadline).await?;
        let title = store::follow_up_course(&mut tx, p.institution_id, course)
            .await?
            .unwrap_or_else(|| course.clone());
        follow_up = Some((title, deadline));
    }
    tell_officers(&mut tx, &p, follow_up.as_ref(), today).await?;
    let actor = Actor::person(key, p.institution_id, p.user_id, &p.login_id);
    actor
        .record(
            &mut tx,
            AuditAction::DrillClicked,
            &p.login_id,
            &match &follow_up {
                Some((title, deadline)) => format!(
                    "campaign {}: follow-up {title} by {deadline}",
                    p.campaign_id
                ),
                None => format!("campaign {}", p.campaign_id),
            },
        )
        .await?;
    tx.commit().await?;
    crate::metrics::DRILL_CLICKS.inc();
    Ok(Some(Pressed {
        first: true,
        follow_up,
    }))
}

/// One mail to each protection officer whose reach covers the person's division.
async fn tell_officers(
    tx: &mut PgConnection,
    p: &store::Press,
    follow_up: Option<&(String, Date)>,
    today: Date,
) -> Result<(), sqlx::Error> {
    let officers = kenshu_db::digest::protection_officers(tx, p.institution_id, today).await?;
    let follow = match follow_up {
        Some((title, deadline)) => format!(
            "フォローアップ研修「{title}」を受講期限 {} で割り当てました。",
            kenshu_core::fiscal_year::japanese_date(*deadline)
        ),
        None => "この訓練にフォローアップ研修は設定されていません。".to_string(),
    };
    let subject = "【標的型メール訓練】訓練メールのリンクが開かれました";
    let body = format!(
        "{name}さん（{login}）が、標的型攻撃メール訓練のメールのリンクを開き、ボタンを押しました。\n\
         {follow}\n\n\
         本人には、見分け方と次に取るべき行動を説明するページを表示しています。\n\
         必要に応じて声をかけてください。訓練の結果はポータルの「メール訓練」で確認できます。\n\n\
         (A member of your division opened the link of a targeted-attack mail drill; see Mail drills in the portal.)\n",
        name = p.name,
        login = p.login_id,
    );
    for o in officers
        .iter()
        .filter(|o| o.divisions.contains(&p.division_id) && o.id != p.user_id)
    {
        if let Some(to) = o.email.as_deref().filter(|a| !a.trim().is_empty()) {
            store::queue_mail(tx, p.institution_id, to, subject, &body).await?;
        }
    }
    Ok(())
}

/// Records a report made with the portal's report button by the signed-in person: it counts
/// for their latest drill mail of the last [`REPORT_DAYS`] not yet reported. None when there
/// is none (a real suspicious mail: the page says whom to tell).
pub async fn report_in_portal(
    conn: &mut PgConnection,
    actor: &Actor<'_>,
) -> Result<Option<store::Reported>, sqlx::Error> {
    let user_id = actor.person_id("reporting a mail")?;
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let reported = store::report_latest(
        &mut tx,
        actor.institution_id,
        user_id,
        "portal",
        REPORT_DAYS,
    )
    .await?;
    if let Some(r) = &reported {
        actor
            .record(
                &mut tx,
                AuditAction::DrillReported,
                &r.login_id,
                &format!("campaign {}: by the portal's report button", r.campaign_id),
            )
            .await?;
    }
    tx.commit().await?;
    if reported.is_some() {
        crate::metrics::DRILL_REPORTS_PORTAL.inc();
    }
    Ok(reported)
}

/// A campaign's results: per division and per designation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub recipients: usize,
    pub sent: usize,
    pub clicked: usize,
    pub reported: usize,
    /// Reported without having pressed the button first.
    pub reported_only: usize,
    pub repeat: usize,
    /// Median minutes from the mail's sending to its report.
    pub median_report_minutes: Option<i64>,
}

/// Tallies lines (a campaign's, or a division's of it).
pub fn tally<'a>(lines: impl Iterator<Item = &'a store::Line>) -> Tally {
    let mut t = Tally::default();
    let mut minutes = Vec::new();
    for l in lines {
        t.recipients += 1;
        t.sent += usize::from(l.sent_at.is_some());
        t.clicked += usize::from(l.clicked_at.is_some());
        t.reported += usize::from(l.reported_at.is_some());
        t.reported_only += usize::from(l.reported_at.is_some() && l.clicked_at.is_none());
        t.repeat += usize::from(l.repeat);
        if let (Some(sent), Some(reported)) = (l.sent_at, l.reported_at) {
            minutes.push((reported - sent).whole_minutes().max(0));
        }
    }
    minutes.sort_unstable();
    t.median_report_minutes = minutes.get(minutes.len() / 2).copied();
    t
}
