//! What the application cannot do itself and a test must simulate, each in one helper named
//! after what it simulates: time passing (a test cannot wait half an hour or until a session
//! starts) and changes made behind the portal's back. These are the only writes of the tests
//! in SQL; everything else is made by [`crate::scenario::Scenario`] through the application's
//! own functions, or by the test through the portal.

use kenshu_db::learning::Learner;
use kenshu_db::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

/// A completion recorded now is dated `at` instead, as if it had been made then (a past
/// year's report).
pub async fn completed_at(conn: &mut PgConnection, who: Learner, course: &str, at: OffsetDateTime) {
    sqlx::query(
        "update completions set completed_at = $5
         where institution_id = $1 and user_id = $2 and fiscal_year = $3 and course_code = $4",
    )
    .bind(who.institution_id)
    .bind(who.user_id)
    .bind(who.fiscal_year.year())
    .bind(course)
    .bind(at)
    .execute(conn)
    .await
    .expect("date the completion back");
}

/// Sessions were last seen `minutes` ago (0: just now): every session, or only the one with
/// this token hash. The portal's memory of them is not touched
/// ([`crate::TestApp::forget_sessions_of`]).
pub async fn sessions_idle_for(pool: &PgPool, minutes: i32, token_hash: Option<&[u8]>) {
    sqlx::query(
        "update sessions set seen_at = now() - make_interval(mins => $1)
         where $2::bytea is null or token_hash = $2",
    )
    .bind(minutes)
    .bind(token_hash)
    .execute(pool)
    .await
    .expect("sessions idle");
}

/// The wait the sign-in throttle imposed (on accounts, addresses and the password page) has
/// passed.
pub async fn sign_in_wait_over(pool: &PgPool) {
    sqlx::query("update sign_in_throttle set next_at = now() - interval '1 second'")
        .execute(pool)
        .await
        .expect("the throttle's wait is over");
}

/// The pause before the next attempt of every mail that failed has passed.
pub async fn mail_retry_due(pool: &PgPool) {
    sqlx::query("update mail_outbox set next_attempt_at = now()")
        .execute(pool)
        .await
        .expect("mail due again");
}

/// Office hours have come: the scheduled reminders' mail held until then (queued outside
/// office hours or on a day off, `kenshu_core::holiday::next_office_hours`) is due now.
pub async fn office_hours_come(pool: &PgPool) {
    sqlx::query(
        "update mail_outbox set next_attempt_at = now()
         where sent_at is null and attempts = 0 and next_attempt_at > now()",
    )
    .execute(pool)
    .await
    .expect("held mail due");
}

/// The in-person session `id` runs from `from` to `to` minutes from now (negative: ago), as
/// if the clock had moved to that point.
pub async fn in_person_session_runs(pool: &PgPool, id: Uuid, from: i32, to: i32) {
    sqlx::query(
        "update in_person_sessions
         set starts_at = now() + make_interval(mins => $2), ends_at = now() + make_interval(mins => $3)
         where id = $1",
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .execute(pool)
    .await
    .expect("move the session");
}

/// Every roster change scheduled for a later day falls due on `day`, as if that day had come
/// (and the server had been down on it).
pub async fn roster_changes_due(pool: &PgPool, day: time::Date) {
    sqlx::query("update roster_schedule set due = $1")
        .bind(day)
        .execute(pool)
        .await
        .expect("the roster changes fall due");
}

/// A change written straight into the database, as an administrator with `psql` or another
/// system would: nothing the portal offers makes it (an account switched off without ending
/// its sessions, a role changed, an institution renamed, an approved plan's date moved), yet
/// the portal must follow it.
pub async fn behind_the_portals_back(pool: &PgPool, sql: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// A database superuser working around the triggers (`session_replication_role = replica`),
/// as an intruder with full access would: `sql` (one statement or several) alters the
/// append-only audit log.
pub async fn tampered_by_a_superuser(pool: &PgPool, sql: &str) {
    let mut c = pool.acquire().await.expect("conn");
    sqlx::query("set session_replication_role = replica")
        .execute(&mut *c)
        .await
        .expect("triggers off");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut *c)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    sqlx::query("reset session_replication_role")
        .execute(&mut *c)
        .await
        .expect("triggers on");
}

/// 10:00 in Japan on `day`: within office hours when `day` is a working day, for a schedule run
/// on a simulated day.
pub fn ten_oclock(day: time::Date) -> OffsetDateTime {
    day.with_hms(10, 0, 0)
        .map(|t| t.assume_offset(kenshu_core::fiscal_year::JST))
        .unwrap_or_else(|_| OffsetDateTime::now_utc())
}
