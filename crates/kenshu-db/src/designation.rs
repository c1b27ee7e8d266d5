//! Designations (指定) with their periods.

use kenshu_core::plan::DesignationKind;
use sqlx::PgConnection;
use time::Date;
use uuid::Uuid;

/// The constraint that keeps a person from holding one designation (kind, division) twice
/// over a day (migration 0045).
pub const NO_OVERLAP: &str = "designations_no_overlap";

#[derive(Debug, Clone)]
pub struct NewDesignation<'a> {
    pub user_id: Uuid,
    pub kind: DesignationKind,
    pub division_id: Option<Uuid>,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
    pub note: Option<&'a str>,
    pub created_by: Option<Uuid>,
}

#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id))]
pub async fn add(
    conn: &mut PgConnection,
    institution_id: Uuid,
    d: &NewDesignation<'_>,
) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar!(
        "insert into designations (institution_id, user_id, kind, division_id, valid_from, valid_to, note, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning id",
        institution_id,
        d.user_id,
        d.kind.as_str(),
        d.division_id,
        d.valid_from,
        d.valid_to,
        d.note,
        d.created_by
    )
    .fetch_one(conn)
    .await
}

/// Ends a designation on `on` (inclusive); its history stays.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, designation = %id))]
pub async fn end(
    conn: &mut PgConnection,
    institution_id: Uuid,
    id: Uuid,
    on: Date,
    by: Option<Uuid>,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query!(
        "update designations set valid_to = greatest(valid_from, $3), ended_by = $4, ended_at = now()
         where institution_id = $1 and id = $2 and (valid_to is null or valid_to > $3)",
        institution_id,
        id,
        on,
        by
    )
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

#[derive(Debug, Clone)]
pub struct DesignationRow {
    pub id: Uuid,
    pub kind: String,
    pub division: Option<String>,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
    pub note: Option<String>,
}

/// A person's designations, newest first.
pub async fn for_person(
    conn: &mut PgConnection,
    institution_id: Uuid,
    user_id: Uuid,
) -> Result<Vec<DesignationRow>, sqlx::Error> {
    sqlx::query_as!(
        DesignationRow,
        r#"select d.id, d.kind, v.name as "division?", d.valid_from, d.valid_to, d.note
           from designations d left join divisions v on v.institution_id = d.institution_id and v.id = d.division_id
           where d.institution_id = $1 and d.user_id = $2 order by d.valid_from desc"#,
        institution_id,
        user_id
    )
    .fetch_all(conn)
    .await
}

/// A person of a division with their designations (all periods, newest first).
#[derive(Debug, Clone)]
pub struct PersonDesignations {
    pub user_id: Uuid,
    pub login_id: String,
    pub name: String,
    pub designations: Vec<DesignationRow>,
}

#[derive(Debug, Clone, serde::Deserialize)]
struct RowJson {
    id: Uuid,
    kind: String,
    valid_from: String,
    valid_to: Option<String>,
    note: Option<String>,
}

/// The active people of a division and their designations, in one query.
pub async fn for_division(
    conn: &mut PgConnection,
    institution_id: Uuid,
    division_id: Uuid,
) -> Result<Vec<PersonDesignations>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"select u.id, u.login_id, u.name,
                  coalesce((select json_agg(json_build_object('id', d.id, 'kind', d.kind, 'valid_from', d.valid_from,
                                 'valid_to', d.valid_to, 'note', d.note) order by d.valid_from desc)
                            from designations d where d.institution_id = u.institution_id and d.user_id = u.id), '[]'::json)
                     as "designations!: sqlx::types::Json<Vec<RowJson>>"
           from users u where u.institution_id = $1 and u.division_id = $2 and u.status <> 'left'
           order by u.login_id"#,
        institution_id,
        division_id
    )
    .fetch_all(conn)
    .await?;
    let day = |s: &str| kenshu_core::roster::parse_date(s).unwrap_or(Date::MIN);
    Ok(rows
        .into_iter()
        .map(|r| PersonDesignations {
            user_id: r.id,
            login_id: r.login_id,
            name: r.name,
            designations: r
                .designations
                .0
                .into_iter()
                .map(|d| DesignationRow {
                    id: d.id,
                    kind: d.kind,
                    division: None,
                    valid_from: day(&d.valid_from),
                    valid_to: d.valid_to.as_deref().map(day),
                    note: d.note,
                })
                .collect(),
        })
        .collect())
}

/// The division a designation's holder belongs to now and the designation's kind, for the
/// authorization check.
pub async fn holder_division(
    conn: &mut PgConnection,
    institution_id: Uuid,
    id: Uuid,
) -> Result<Option<(Uuid, String)>, sqlx::Error> {
    Ok(sqlx::query!(
        "select u.division_id, d.kind from designations d join users u on u.institution_id = d.institution_id and u.id = d.user_id
         where d.institution_id = $1 and d.id = $2",
        institution_id,
        id
    )
    .fetch_optional(conn)
    .await?
    .map(|r| (r.division_id, r.kind)))
}

/// A protection officer of another division who is also responsible for this one (兼務).
#[derive(Debug, Clone)]
pub struct VisitingOfficer {
    pub id: Uuid,
    pub login_id: String,
    pub name: String,
    pub home_division: String,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
}

/// The protection-officer designations for a division held by people of other divisions,
/// current or future.
pub async fn visiting_officers(
    conn: &mut PgConnection,
    institution_id: Uuid,
    division_id: Uuid,
    today: Date,
) -> Result<Vec<VisitingOfficer>, sqlx::Error> {
    sqlx::query_as!(
        VisitingOfficer,
        "select d.id, u.login_id, u.name, h.name as home_division, d.valid_from, d.valid_to
         from designations d
         join users u on u.institution_id = d.institution_id and u.id = d.user_id
         join divisions h on h.institution_id = u.institution_id and h.id = u.division_id
         where d.institution_id = $1 and d.division_id = $2 and d.kind = 'protection_officer'
           and u.division_id <> $2 and (d.valid_to is null or d.valid_to >= $3)
         order by u.login_id",
        institution_id,
        division_id,
        today
    )
    .fetch_all(conn)
    .await
}

/// Protection officers (by role) outside a division: (login, name, their division).
pub async fn officers_outside(
    conn: &mut PgConnection,
    institution_id: Uuid,
    division_id: Uuid,
) -> Result<Vec<(String, String, String, Uuid)>, sqlx::Error> {
    Ok(sqlx::query!(
        "select u.login_id, u.name, h.name as division, u.id from users u
         join divisions h on h.institution_id = u.institution_id and h.id = u.division_id
         where u.institution_id = $1 and u.division_id <> $2 and u.role = 'protection_officer'
           and u.status <> 'left' and u.active
         order by h.code, u.login_id",
        institution_id,
        division_id
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.login_id, r.name, r.division, r.id))
    .collect())
}

/// Imports designations from parsed CSV rows: every person must exist; a row identical to a
/// stored designation (same person, kind and start) is left as it is. Returns (added,
/// unchanged, errors); with errors the caller must not commit.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, rows = rows.len()))]
pub async fn import(
    conn: &mut PgConnection,
    institution_id: Uuid,
    rows: &[kenshu_core::designation::DesignationRow],
    by: Option<Uuid>,
) -> Result<(usize, usize, Vec<kenshu_core::roster::RowError>), sqlx::Error> {
    use kenshu_core::roster::{Column, ErrorKind, RowError, RowProblem};
    let (mut added, mut unchanged, mut errors) = (0, 0, Vec::new());
    for r in rows {
        let Some((user_id, division, _)) =
            crate::person::by_login(&mut *conn, institution_id, &r.employee_number).await?
        else {
            errors.push(RowError {
                line: r.line,
                column: Column::Known("employee_number"),
                kind: ErrorKind::Reference,
                problem: RowProblem::UnknownPerson {
                    column: Column::Known("employee_number"),
                    number: r.employee_number.to_string(),
                },
            });
            continue;
        };
        // A stored designation (or one of an earlier row) of the same kind and division over
        // part of the period: the same start is this row again, any other is refused by the
        // database (`NO_OVERLAP`), so it is said here, on its row.
        let held = sqlx::query!(
            "select valid_from, valid_to from designations
             where institution_id = $1 and user_id = $2 and kind = $3
               and division_id is not distinct from $4
               and daterange(valid_from, valid_to, '[]') && daterange($5::date, $6::date, '[]')
             order by valid_from limit 1",
            institution_id,
            user_id,
            r.kind.as_str(),
            Some(division),
            r.from,
            r.to
        )
        .fetch_optional(&mut *conn)
        .await?;
        match held {
            Some(h) if h.valid_from == r.from => {
                unchanged += 1;
                continue;
            }
            Some(h) => {
                errors.push(RowError {
                    line: r.line,
                    column: Column::Known("from"),
                    kind: ErrorKind::Conflict,
                    problem: RowProblem::DesignationOverlap {
                        from: h.valid_from,
                        to: h.valid_to,
                    },
                });
                continue;
            }
            None => {}
        }
        let new = NewDesignation {
            user_id,
            kind: r.kind,
            division_id: Some(division),
            valid_from: r.from,
            valid_to: r.to,
            note: r.note.as_deref(),
            created_by: by,
        };
        add(&mut *conn, institution_id, &new).await?;
        added += 1;
    }
    Ok((added, unchanged, errors))
}
