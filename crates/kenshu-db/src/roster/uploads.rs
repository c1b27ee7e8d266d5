//! Uploaded roster files, kept between their dry run and their application.

use sqlx::PgConnection;
use uuid::Uuid;

/// Keeps an uploaded roster file for its dry run and later application.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, bytes = content.len(), complete))]
pub async fn stage(
    conn: &mut PgConnection,
    institution_id: Uuid,
    file_name: &str,
    content: &[u8],
    complete: bool,
    by: Uuid,
) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar!(
        "insert into roster_uploads (institution_id, file_name, content, complete, uploaded_by)
         values ($1, $2, $3, $4, $5) returning id",
        institution_id,
        file_name,
        content,
        complete,
        by
    )
    .fetch_one(conn)
    .await
}

/// A staged upload: (file name, content, complete).
pub async fn staged(
    conn: &mut PgConnection,
    institution_id: Uuid,
    id: Uuid,
) -> Result<Option<(String, Vec<u8>, bool)>, sqlx::Error> {
    Ok(sqlx::query!(
        "select file_name, content, complete from roster_uploads where institution_id = $1 and id = $2",
        institution_id,
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| (r.file_name, r.content, r.complete)))
}

pub async fn mark_applied(
    conn: &mut PgConnection,
    institution_id: Uuid,
    id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update roster_uploads set applied_at = now() where institution_id = $1 and id = $2",
        institution_id,
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}
