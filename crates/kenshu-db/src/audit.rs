//! The audit log (監査ログ): appended in the caller's transaction under the installation's
//! key, read with filters, and verified against its keyed hash chain and checkpoints.

use kenshu_core::audit::{
    AuditAction, AuditKey, Checkpoint, Entry, Fields, GENESIS, Head, Scheme, Verdict, Verifier,
    entry_mac,
};
use sqlx::PgConnection;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// Who did what to whom. `actor` is a login ID (or `cli:` and the OS user for commands).
pub struct NewEntry<'a> {
    pub actor_id: Option<Uuid>,
    pub actor: &'a str,
    pub action: AuditAction,
    pub subject: &'a str,
    pub detail: &'a str,
}

/// The actor of what a command does: `cli:` and the operating-system user.
pub fn command_line_actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    )
}

/// Appends an entry to the institution's chain, keyed with `key`, in the caller's transaction:
/// appends to one institution's log are serialized by a transaction-level advisory lock, held
/// until that transaction ends, so a connection outside a transaction is refused (before any
/// statement). A `PgTransaction` or the web's request transaction both pass.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, action = e.action.as_str()))]
pub async fn append(
    tx: &mut PgConnection,
    key: &AuditKey,
    institution_id: Uuid,
    e: &NewEntry<'_>,
) -> Result<i64, sqlx::Error> {
    if !sqlx::Connection::is_in_transaction(&*tx) {
        return Err(sqlx::Error::InvalidArgument(
            "an audit entry is appended in a transaction".into(),
        ));
    }
    sqlx::query!(
        "select pg_advisory_xact_lock(hashtextextended('kenshu-audit:' || $1::text, 0))",
        institution_id.to_string()
    )
    .execute(&mut *tx)
    .await?;
    let head = sqlx::query!(
        "select seq, hash from audit_log where institution_id = $1 order by seq desc limit 1",
        institution_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let (seq, prev) = match head {
        Some(h) => (h.seq + 1, h.hash),
        None => (1, GENESIS.to_vec()),
    };
    // PostgreSQL keeps microseconds: the hash covers the time as it will be read back.
    let now = OffsetDateTime::now_utc();
    let at = now - time::Duration::nanoseconds(i64::from(now.nanosecond() % 1000));
    let hash = entry_mac(
        key,
        &Fields {
            institution: institution_id,
            prev: &prev,
            seq,
            at_micros: micros(at),
            actor: e.actor,
            action: e.action.as_str(),
            subject: e.subject,
            detail: e.detail,
        },
    );
    sqlx::query!(
        "insert into audit_log (institution_id, seq, at, actor_id, actor, action, subject, detail, prev_hash, hash, scheme)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        institution_id,
        seq,
        at,
        e.actor_id,
        e.actor,
        e.action.as_str(),
        e.subject,
        e.detail,
        prev,
        hash.as_slice(),
        Scheme::Keyed.id()
    )
    .execute(&mut *tx)
    .await?;
    Ok(seq)
}

/// A time as whole microseconds since the epoch, as the chain hashes it.
fn micros(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1000) as i64
}

#[derive(Debug, Clone)]
pub struct Row {
    pub seq: i64,
    pub at: OffsetDateTime,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub action: Option<String>,
    pub actor: Option<String>,
    pub subject: Option<String>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// Entries before this sequence number (the next page).
    pub before: Option<i64>,
}

/// Entries matching the filter, newest first (dates are Japan's).
pub async fn list(
    conn: &mut PgConnection,
    institution_id: Uuid,
    f: &Filter,
    limit: i64,
) -> Result<Vec<Row>, sqlx::Error> {
    sqlx::query_as!(
        Row,
        "select seq, at, actor, action, subject, detail from audit_log
         where institution_id = $1
           and ($2::text is null or action = $2)
           and ($3::text is null or actor = $3)
           and ($4::text is null or subject = $4)
           and ($5::date is null or at >= ($5::date::timestamp at time zone 'Asia/Tokyo'))
           and ($6::date is null or at < (($6::date + 1)::timestamp at time zone 'Asia/Tokyo'))
           and ($7::bigint is null or seq < $7)
         order by seq desc
         limit $8",
        institution_id,
        f.action,
        f.actor,
        f.subject,
        f.from,
        f.to,
        f.before,
        limit
    )
    .fetch_all(conn)
    .await
}

/// The institution's last entry, if any.
pub async fn head(
    conn: &mut PgConnection,
    institution_id: Uuid,
) -> Result<Option<Head>, sqlx::Error> {
    Ok(sqlx::query!(
        "select seq, hash from audit_log where institution_id = $1 order by seq desc limit 1",
        institution_id
    )
    .fetch_optional(conn)
    .await?
    .map(|r| Head {
        seq: r.seq,
        hash: r.hash,
    }))
}

/// The institution's last entry if its own hash verifies under `key` (a keyed entry) or it is
/// an unkeyed one; `Err` with the entry's number when it does not verify.
pub async fn verified_head(
    conn: &mut PgConnection,
    key: &AuditKey,
    institution_id: Uuid,
) -> Result<Result<Option<Head>, i64>, sqlx::Error> {
    let row = sqlx::query!(
        "select seq, at, actor, action, subject, detail, prev_hash, hash, scheme from audit_log
         where institution_id = $1 order by seq desc limit 1",
        institution_id
    )
    .fetch_optional(conn)
    .await?;
    let Some(r) = row else { return Ok(Ok(None)) };
    let e = Entry {
        seq: r.seq,
        at_micros: micros(r.at),
        actor: r.actor,
        action: r.action,
        subject: r.subject,
        detail: r.detail,
        prev_hash: r.prev_hash,
        hash: r.hash,
        scheme: r.scheme,
    };
    if kenshu_core::audit::own_hash_ok(key, institution_id, &e) {
        Ok(Ok(Some(Head {
            seq: e.seq,
            hash: e.hash,
        })))
    } else {
        Ok(Err(e.seq))
    }
}

/// Verifies the institution's whole chain under `key` and against `checkpoints`, a page at a
/// time.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, checkpoints = checkpoints.len()))]
pub async fn verify(
    conn: &mut PgConnection,
    key: &AuditKey,
    institution_id: Uuid,
    checkpoints: &[Checkpoint],
) -> Result<Verdict, sqlx::Error> {
    const PAGE: i64 = 10_000;
    let mut v = Verifier::new(key, institution_id, checkpoints);
    let mut after = 0i64;
    loop {
        let rows = sqlx::query!(
            "select seq, at, actor, action, subject, detail, prev_hash, hash, scheme from audit_log
             where institution_id = $1 and seq > $2 order by seq limit $3",
            institution_id,
            after,
            PAGE
        )
        .fetch_all(&mut *conn)
        .await?;
        let n = rows.len();
        for r in rows {
            after = r.seq;
            v.check(&Entry {
                seq: r.seq,
                at_micros: micros(r.at),
                actor: r.actor,
                action: r.action,
                subject: r.subject,
                detail: r.detail,
                prev_hash: r.prev_hash,
                hash: r.hash,
                scheme: r.scheme,
            });
        }
        if (n as i64) < PAGE {
            return Ok(v.finish());
        }
    }
}
