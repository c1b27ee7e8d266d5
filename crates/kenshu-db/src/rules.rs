//! Rules read and acknowledged (migration 0055): documents, their published versions, when each
//! person first opened a version, and their acknowledgements.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

/// A document with its current (latest) version and how far the institution has acknowledged it.
#[derive(Debug, Clone)]
pub struct RuleSummary {
    pub code: String,
    pub title: String,
    pub version: i32,
    pub published_at: OffsetDateTime,
    pub min_read_secs: i32,
    /// Active people who acknowledged the current version.
    pub acknowledged: i64,
    /// Active people in the institution.
    pub people: i64,
}

/// Every document of the institution with its current version, by title.
pub async fn list(
    conn: &mut PgConnection,
    institution: Uuid,
) -> Result<Vec<RuleSummary>, sqlx::Error> {
    sqlx::query_as!(
        RuleSummary,
        r#"select v.code, v.title, v.version, v.published_at, v.min_read_secs,
                  (select count(*) from rule_acknowledgements a
                   join users u on u.institution_id = a.institution_id and u.id = a.user_id
                   where a.institution_id = v.institution_id and a.code = v.code
                     and a.version = v.version and u.active) as "acknowledged!",
                  (select count(*) from users u
                   where u.institution_id = v.institution_id and u.active) as "people!"
           from rule_versions v
           where v.institution_id = $1
             and v.version = (select max(version) from rule_versions w
                              where w.institution_id = v.institution_id and w.code = v.code)
           order by v.title, v.code"#,
        institution
    )
    .fetch_all(conn)
    .await
}

/// One version of a document.
#[derive(Debug, Clone)]
pub struct RuleVersion {
    pub code: String,
    pub version: i32,
    pub title: String,
    pub body: String,
    pub min_read_secs: i32,
    pub published_at: OffsetDateTime,
}

/// The current version of a document.
pub async fn current(
    conn: &mut PgConnection,
    institution: Uuid,
    code: &str,
) -> Result<Option<RuleVersion>, sqlx::Error> {
    sqlx::query_as!(
        RuleVersion,
        "select code, version, title, body, min_read_secs, published_at from rule_versions
         where institution_id = $1 and code = $2 order by version desc limit 1",
        institution,
        code
    )
    .fetch_optional(conn)
    .await
}

/// A new version to publish.
pub struct NewVersion<'a> {
    pub code: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub min_read_secs: i32,
    pub published_by: Uuid,
}

/// Publishes a new version of the document (made now if new): its number, one past the last.
/// Two publishers at once get two numbers (the document's row is locked while numbering).
pub async fn publish(
    conn: &mut PgConnection,
    institution: Uuid,
    v: &NewVersion<'_>,
) -> Result<i32, sqlx::Error> {
    sqlx::query!(
        "insert into rule_documents (institution_id, code) values ($1, $2)
         on conflict (institution_id, code) do nothing",
        institution,
        v.code
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "select code from rule_documents where institution_id = $1 and code = $2 for update",
        institution,
        v.code
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query_scalar!(
        r#"insert into rule_versions (institution_id, code, version, title, body, min_read_secs,
                                      published_by)
           select $1, $2, coalesce(max(version), 0) + 1, $3, $4, $5, $6
           from rule_versions where institution_id = $1 and code = $2
           returning version"#,
        institution,
        v.code,
        v.title,
        v.body,
        v.min_read_secs,
        v.published_by
    )
    .fetch_one(conn)
    .await
}

/// Notes that the person opened this version (the first time counts); how many seconds ago
/// they first opened it.
pub async fn opened(
    conn: &mut PgConnection,
    institution: Uuid,
    user: Uuid,
    code: &str,
    version: i32,
) -> Result<i64, sqlx::Error> {
    sqlx::query!(
        "insert into rule_readings (institution_id, user_id, code, version) values ($1, $2, $3, $4)
         on conflict do nothing",
        institution,
        user,
        code,
        version
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query_scalar!(
        r#"select extract(epoch from now() - opened_at)::bigint as "secs!" from rule_readings
           where institution_id = $1 and user_id = $2 and code = $3 and version = $4"#,
        institution,
        user,
        code,
        version
    )
    .fetch_one(conn)
    .await
}

/// When the person acknowledged this version, if they did.
pub async fn acknowledged_at(
    conn: &mut PgConnection,
    institution: Uuid,
    user: Uuid,
    code: &str,
    version: i32,
) -> Result<Option<OffsetDateTime>, sqlx::Error> {
    sqlx::query_scalar!(
        "select acknowledged_at from rule_acknowledgements
         where institution_id = $1 and user_id = $2 and code = $3 and version = $4",
        institution,
        user,
        code,
        version
    )
    .fetch_optional(conn)
    .await
}

/// Records the acknowledgement, once: whether it is new.
pub async fn acknowledge(
    conn: &mut PgConnection,
    institution: Uuid,
    user: Uuid,
    code: &str,
    version: i32,
    read_secs: i32,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "insert into rule_acknowledgements (institution_id, user_id, code, version, read_secs)
         values ($1, $2, $3, $4, $5) on conflict do nothing",
        institution,
        user,
        code,
        version,
        read_secs
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A document as one person stands with it: its current version, and the version they last
/// acknowledged (if any).
#[derive(Debug, Clone)]
pub struct MyRule {
    pub code: String,
    pub title: String,
    pub version: i32,
    pub acknowledged_version: Option<i32>,
    pub acknowledged_at: Option<OffsetDateTime>,
}

impl MyRule {
    /// The current version is still to acknowledge.
    pub fn pending(&self) -> bool {
        self.acknowledged_version != Some(self.version)
    }
}

/// Every document of the institution as the person stands with it, pending ones first.
pub async fn mine(
    conn: &mut PgConnection,
    institution: Uuid,
    user: Uuid,
) -> Result<Vec<MyRule>, sqlx::Error> {
    sqlx::query_as!(
        MyRule,
        r#"select v.code, v.title, v.version,
                  a.version as "acknowledged_version?", a.acknowledged_at as "acknowledged_at?"
           from rule_versions v
           left join lateral (
               select version, acknowledged_at from rule_acknowledgements a
               where a.institution_id = v.institution_id and a.code = v.code and a.user_id = $2
               order by version desc limit 1) a on true
           where v.institution_id = $1
             and v.version = (select max(version) from rule_versions w
                              where w.institution_id = v.institution_id and w.code = v.code)
           order by (a.version is not distinct from v.version), v.title, v.code"#,
        institution,
        user
    )
    .fetch_all(conn)
    .await
}

/// Who acknowledged a version, and who has not yet (active people), for the chief officer.
#[derive(Debug, Clone)]
pub struct Standing {
    pub login_id: String,
    pub name: String,
    pub division: String,
    pub acknowledged_at: Option<OffsetDateTime>,
}

pub async fn standings(
    conn: &mut PgConnection,
    institution: Uuid,
    code: &str,
    version: i32,
) -> Result<Vec<Standing>, sqlx::Error> {
    sqlx::query_as!(
        Standing,
        r#"select u.login_id, u.name, d.name as division, a.acknowledged_at as "acknowledged_at?"
           from users u
           join divisions d on d.institution_id = u.institution_id and d.id = u.division_id
           left join rule_acknowledgements a
             on a.institution_id = u.institution_id and a.user_id = u.id and a.code = $2
            and a.version = $3
           where u.institution_id = $1 and u.active
           order by (a.acknowledged_at is not null), d.name, u.login_id"#,
        institution,
        code,
        version
    )
    .fetch_all(conn)
    .await
}

/// A person's latest acknowledgement of a document.
#[derive(Debug, Clone)]
pub struct Ack {
    pub user_id: Uuid,
    pub code: String,
    pub version: i32,
    pub acknowledged_at: OffsetDateTime,
}

/// What everyone's standing with the required rules of `fiscal_year` follows from, judged on
/// `today`, as one text: the day, when the overview last refreshed people's facts (every
/// change of the roster, a designation, a transfer marks them for it), the acknowledgements
/// (how many, the latest) and the latest version published. None before the overview has
/// counted the year. Equal stamps, equal standings: what was judged under one need not be
/// judged again. Read before the facts, so that a change in between only makes the next stamp
/// differ.
macro_rules! stamp {
    () => {
        "select concat_ws('|', $3::date, s.as_of, s.refreshed_at,
                            (select count(*) || '/' || coalesce(max(a.acknowledged_at)::text, '')
                             from rule_acknowledgements a where a.institution_id = $1),
                            (select max(v.published_at)::text from rule_versions v
                             where v.institution_id = $1))
                     from overview_state s where s.institution_id = $1 and s.fiscal_year = $2"
    };
}

/// One statement of one row: the stamp now (`stamp!`), then `$tail`, which may compare it as
/// `(select * from now)`.
macro_rules! with_stamp {
    ($tail:literal) => {
        concat!(
            "with now as (",
            stamp!(),
            ") select (select * from now), ",
            $tail
        )
    };
}

/// Counts per division kept under a stamp: (division, required, acknowledged, overdue).
pub type KeptCounts = Vec<(Uuid, i64, i64, i64)>;

/// The stamp now (None before the overview has counted the year), and the counts kept under
/// it if they are (one statement).
pub async fn kept_counts(
    conn: &mut PgConnection,
    institution: Uuid,
    fiscal_year: i32,
    today: time::Date,
) -> Result<(Option<String>, Option<KeptCounts>), sqlx::Error> {
    let (stamp, counts): (Option<String>, Option<sqlx::types::Json<KeptCounts>>) =
        sqlx::query_as(with_stamp!(
            "(select k.counts from rule_counts_kept k
              where k.institution_id = $1 and k.fiscal_year = $2
                and k.stamp = (select * from now))"
        ))
        .bind(institution)
        .bind(fiscal_year)
        .bind(today)
        .fetch_one(conn)
        .await?;
    Ok((stamp, counts.map(|c| c.0)))
}

/// Keeps the counts judged under `stamp`.
pub async fn keep_counts(
    conn: &mut PgConnection,
    institution: Uuid,
    fiscal_year: i32,
    stamp: &str,
    counts: &KeptCounts,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into rule_counts_kept (institution_id, fiscal_year, stamp, counts)
         values ($1, $2, $3, $4)
         on conflict (institution_id, fiscal_year)
         do update set stamp = excluded.stamp, counts = excluded.counts",
    )
    .bind(institution)
    .bind(fiscal_year)
    .bind(stamp)
    .bind(sqlx::types::Json(counts))
    .execute(conn)
    .await?;
    Ok(())
}

/// The stamp now (None before the overview has counted the year), and whether the reminder
/// schedule last judged everyone's rules under this very stamp: then nothing can have come due.
pub async fn schedule_stamp(
    conn: &mut PgConnection,
    institution: Uuid,
    fiscal_year: i32,
    today: time::Date,
) -> Result<(Option<String>, bool), sqlx::Error> {
    sqlx::query_as(with_stamp!(
        "exists (select 1 from rule_schedule_judged j
                 where j.institution_id = $1 and j.fiscal_year = $2
                   and j.stamp = (select * from now))"
    ))
    .bind(institution)
    .bind(fiscal_year)
    .bind(today)
    .fetch_one(conn)
    .await
}

/// The schedule judged everyone's rules under `stamp` and took every step due.
pub async fn schedule_judged(
    conn: &mut PgConnection,
    institution: Uuid,
    fiscal_year: i32,
    stamp: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into rule_schedule_judged (institution_id, fiscal_year, stamp) values ($1, $2, $3)
         on conflict (institution_id, fiscal_year) do update set stamp = excluded.stamp",
    )
    .bind(institution)
    .bind(fiscal_year)
    .bind(stamp)
    .execute(conn)
    .await?;
    Ok(())
}
