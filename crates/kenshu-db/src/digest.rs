//! Digests to officers: who they go to (protection officers with their reach, chief officers,
//! deputies standing in), which were sent, and recording one with its mail.

use kenshu_core::i18n::Lang;
use sqlx::PgConnection;
use time::Date;
use uuid::Uuid;

use crate::reminder::Mail;

/// Someone a digest may go to.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub language: Option<Lang>,
    /// The divisions a protection officer's digest covers: their own and those they are
    /// designated protection officer of on the day asked (as a session's reach is computed).
    /// Empty for a chief officer, whose digest covers every division.
    pub divisions: Vec<Uuid>,
}

/// The active protection officers of an institution, each with the divisions they reach on
/// `on`.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id))]
pub async fn protection_officers(
    conn: &mut PgConnection,
    institution_id: Uuid,
    on: Date,
) -> Result<Vec<Recipient>, sqlx::Error> {
    Ok(sqlx::query!(
        r#"select u.id, u.name, u.email, u.language, u.division_id,
                  array(select g.division_id from designations g
                        where g.institution_id = u.institution_id and g.user_id = u.id
                          and g.kind = 'protection_officer' and g.division_id is not null
                          and g.division_id <> u.division_id
                          and g.valid_from <= $2 and (g.valid_to is null or g.valid_to >= $2)
                        order by g.valid_from) as "designated!: Vec<Uuid>"
           from users u
           where u.institution_id = $1 and u.active and u.status <> 'left'
             and u.role = 'protection_officer'
           order by u.login_id"#,
        institution_id,
        on
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| Recipient {
        id: r.id,
        name: r.name,
        email: r.email,
        language: r.language.as_deref().and_then(Lang::from_code),
        // Their own division first: the preview names an officer by it.
        divisions: std::iter::once(r.division_id).chain(r.designated).collect(),
    })
    .collect())
}

/// The active chief officers of an institution.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id))]
pub async fn chief_officers(
    conn: &mut PgConnection,
    institution_id: Uuid,
) -> Result<Vec<Recipient>, sqlx::Error> {
    Ok(sqlx::query!(
        "select id, name, email, language from users
         where institution_id = $1 and active and status <> 'left' and role = 'chief_officer'
         order by login_id",
        institution_id
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| Recipient {
        id: r.id,
        name: r.name,
        email: r.email,
        language: r.language.as_deref().and_then(Lang::from_code),
        divisions: Vec::new(),
    })
    .collect())
}

/// The deputies standing in on `on`: (absent officer, deputy).
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id))]
pub async fn deputies_on(
    conn: &mut PgConnection,
    institution_id: Uuid,
    on: Date,
) -> Result<Vec<(Uuid, Recipient)>, sqlx::Error> {
    Ok(sqlx::query!(
        "select d.officer_id, u.id, u.name, u.email, u.language
         from officer_deputies d
         join users u on u.institution_id = d.institution_id and u.id = d.deputy_id
         where d.institution_id = $1 and d.valid_from <= $2 and (d.valid_to is null or d.valid_to >= $2)
           and u.active and u.status <> 'left'",
        institution_id,
        on
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| {
        (
            r.officer_id,
            Recipient {
                id: r.id,
                name: r.name,
                email: r.email,
                language: r.language.as_deref().and_then(Lang::from_code),
                divisions: Vec::new(),
            },
        )
    })
    .collect())
}

/// A deputy to name for an officer's absence.
pub struct NewDeputy<'a> {
    pub officer_id: Uuid,
    pub deputy_id: Uuid,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
    pub note: Option<&'a str>,
    pub created_by: Option<Uuid>,
}

/// The constraint that keeps an officer from having two deputies on one day.
pub const ONE_DEPUTY_AT_A_TIME: &str = "officer_deputies_no_overlap";

/// Names a deputy for an officer's absence.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id))]
pub async fn add_deputy(
    conn: &mut PgConnection,
    institution_id: Uuid,
    d: &NewDeputy<'_>,
) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar!(
        "insert into officer_deputies (institution_id, officer_id, deputy_id, valid_from, valid_to, note, created_by)
         values ($1, $2, $3, $4, $5, $6, $7) returning id",
        institution_id,
        d.officer_id,
        d.deputy_id,
        d.valid_from,
        d.valid_to,
        d.note,
        d.created_by
    )
    .fetch_one(conn)
    .await
}

/// The digests of a week already sent: (kind, officer).
pub async fn sent(
    conn: &mut PgConnection,
    institution_id: Uuid,
    week: Date,
) -> Result<Vec<(String, Uuid)>, sqlx::Error> {
    Ok(sqlx::query!(
        "select kind, officer_id from digest_sends where institution_id = $1 and week = $2",
        institution_id,
        week
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.kind, r.officer_id))
    .collect())
}

/// One digest to record.
pub struct NewDigest<'a> {
    /// "officer" or "chief".
    pub kind: &'a str,
    /// Whose digest it is (the absent officer's, when a deputy receives it).
    pub officer_id: Uuid,
    pub week: Date,
    pub recipient_id: Uuid,
    pub people: &'a [Uuid],
    /// None: the recipient has no mail address; the digest is recorded as sent all the same,
    /// so that it is not tried again every hour.
    pub mail: Option<Mail<'a>>,
}

/// Records a digest and queues its mail, in one statement; false (and nothing queued) when
/// this officer's digest of this kind and week was recorded already, by this instance or
/// another. A concurrent insert of the same key waits for the other transaction and then
/// finds it taken.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, kind = d.kind, week = %d.week))]
pub async fn record(
    conn: &mut PgConnection,
    institution_id: Uuid,
    d: &NewDigest<'_>,
) -> Result<bool, sqlx::Error> {
    let mail_id = d.mail.as_ref().map(|_| Uuid::new_v4());
    let taken = sqlx::query_scalar!(
        r#"with sent as (
               insert into digest_sends (institution_id, kind, officer_id, week, recipient_id, people, mail_id)
               values ($1, $2, $3, $4, $5, $6, $7)
               on conflict do nothing
               returning mail_id
           ), mail as (
               insert into mail_outbox (institution_id, id, to_address, subject, body)
               select $1, s.mail_id, $8, $9, $10 from sent s where s.mail_id is not null
           )
           select count(*) as "n!" from sent"#,
        institution_id,
        d.kind,
        d.officer_id,
        d.week,
        d.recipient_id,
        d.people,
        mail_id,
        d.mail.as_ref().map(|m| m.to),
        d.mail.as_ref().map(|m| m.subject),
        d.mail.as_ref().map(|m| m.body),
    )
    .fetch_one(conn)
    .await?;
    Ok(taken == 1)
}

/// Which of `people` are on leave (休職中): their digest lines are left out.
pub async fn on_leave(
    conn: &mut PgConnection,
    institution_id: Uuid,
    people: &[Uuid],
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "select id from users where institution_id = $1 and id = any($2) and status = 'on_leave'",
        institution_id,
        people
    )
    .fetch_all(conn)
    .await
}

/// Whether the institution's digests of a week were worked through.
pub async fn week_done(
    conn: &mut PgConnection,
    institution_id: Uuid,
    week: Date,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from digest_runs where institution_id = $1 and week = $2) as "done!""#,
        institution_id,
        week
    )
    .fetch_one(conn)
    .await
}

/// Marks the institution's digests of a week as worked through; false when it was already.
pub async fn finish_week(
    conn: &mut PgConnection,
    institution_id: Uuid,
    week: Date,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query!(
        "insert into digest_runs (institution_id, week) values ($1, $2) on conflict do nothing",
        institution_id,
        week
    )
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Completions of the year recorded at or after `since`: (person, course, when). A digest
/// names people who completed after their deadline as left out ("already completed").
pub async fn completed_since(
    conn: &mut PgConnection,
    institution_id: Uuid,
    fiscal_year: kenshu_core::FiscalYear,
    since: time::OffsetDateTime,
) -> Result<Vec<(Uuid, String, time::OffsetDateTime)>, sqlx::Error> {
    Ok(sqlx::query!(
        "select user_id, course_code, completed_at from completions
         where institution_id = $1 and fiscal_year = $2 and completed_at >= $3",
        institution_id,
        fiscal_year.year(),
        since
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.user_id, r.course_code, r.completed_at))
    .collect())
}

/// One deputy as the deputies page lists it.
#[derive(Debug, Clone)]
pub struct DeputyRow {
    pub id: Uuid,
    pub officer_login: String,
    pub officer_name: String,
    pub deputy_login: String,
    pub deputy_name: String,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
    pub note: Option<String>,
    /// Who named them (None: the command line).
    pub created_by: Option<String>,
}

/// Every deputy of an institution: those in force or to come first, then the ended ones; by
/// officer, latest period first.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id))]
pub async fn deputies(
    conn: &mut PgConnection,
    institution_id: Uuid,
    today: Date,
) -> Result<Vec<DeputyRow>, sqlx::Error> {
    Ok(sqlx::query!(
        r#"select d.id, o.login_id as officer_login, o.name as officer_name,
                  p.login_id as deputy_login, p.name as deputy_name,
                  d.valid_from, d.valid_to, d.note, c.name as "created_by?"
           from officer_deputies d
           join users o on o.institution_id = d.institution_id and o.id = d.officer_id
           join users p on p.institution_id = d.institution_id and p.id = d.deputy_id
           left join users c on c.institution_id = d.institution_id and c.id = d.created_by
           where d.institution_id = $1
           order by (d.valid_to is not null and d.valid_to < $2), o.login_id, d.valid_from desc"#,
        institution_id,
        today
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| DeputyRow {
        id: r.id,
        officer_login: r.officer_login,
        officer_name: r.officer_name,
        deputy_login: r.deputy_login,
        deputy_name: r.deputy_name,
        valid_from: r.valid_from,
        valid_to: r.valid_to,
        note: r.note,
        created_by: r.created_by,
    })
    .collect())
}

/// One deputy's officer (login) and period, for ending or removing it.
pub async fn deputy(
    conn: &mut PgConnection,
    institution_id: Uuid,
    id: Uuid,
) -> Result<Option<(String, Date, Option<Date>)>, sqlx::Error> {
    Ok(sqlx::query!(
        "select o.login_id, d.valid_from, d.valid_to from officer_deputies d
         join users o on o.institution_id = d.institution_id and o.id = d.officer_id
         where d.institution_id = $1 and d.id = $2",
        institution_id,
        id
    )
    .fetch_optional(conn)
    .await?
    .map(|r| (r.login_id, r.valid_from, r.valid_to)))
}

/// Ends a deputy's period on `on` (the last day they stand in).
pub async fn end_deputy(
    conn: &mut PgConnection,
    institution_id: Uuid,
    id: Uuid,
    on: Date,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update officer_deputies set valid_to = $3 where institution_id = $1 and id = $2",
        institution_id,
        id,
        on
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes a deputy whose period has not started: it never decided who received a digest.
/// False when it has started (or is gone).
pub async fn remove_deputy(
    conn: &mut PgConnection,
    institution_id: Uuid,
    id: Uuid,
    today: Date,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query!(
        "delete from officer_deputies where institution_id = $1 and id = $2 and valid_from > $3",
        institution_id,
        id,
        today
    )
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Those whose digests a deputy may receive: the active protection and chief officers,
/// (login, name), protection officers first.
pub async fn officer_choices(
    conn: &mut PgConnection,
    institution_id: Uuid,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    Ok(sqlx::query!(
        "select login_id, name from users
         where institution_id = $1 and active and status <> 'left'
           and role in ('protection_officer', 'chief_officer')
         order by role = 'chief_officer', login_id",
        institution_id
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.login_id, r.name))
    .collect())
}
