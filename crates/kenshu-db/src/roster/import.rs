//! An import from the file's bytes to its report: decoded, parsed and planned against the
//! portal's current roster (read by `snapshot`), and applied when asked and possible.

use std::collections::HashMap;

use kenshu_core::i18n::Catalogue;
use kenshu_core::person::EmployeeNumber;
use kenshu_core::roster::{ExistingDivision, ExistingPerson, PersonStatus, PlanOptions};
use sqlx::PgConnection;
use uuid::Uuid;

use super::report::describe;
use super::{ImportReport, apply, take_effect_in};

/// Everyone the institution has, keyed by employee number (login ID), and its divisions by code.
pub async fn snapshot(
    conn: &mut PgConnection,
    institution_id: Uuid,
) -> Result<
    (
        HashMap<String, ExistingPerson>,
        HashMap<String, ExistingDivision>,
    ),
    sqlx::Error,
> {
    let people = sqlx::query!(
        r#"select u.login_id, u.name, u.kana, u.email, d.code as division_code, u.employment_type, u.hired_on, u.status,
                  u.left_on, pd.code as "pending_code?", s.due as "pending_due?"
           from users u join divisions d on d.institution_id = u.institution_id and d.id = u.division_id
           left join roster_schedule s on s.institution_id = u.institution_id and s.user_id = u.id and s.kind = 'transfer'
           left join divisions pd on pd.institution_id = s.institution_id and pd.id = s.division_id
           where u.institution_id = $1"#,
        institution_id
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| {
        let status = PersonStatus::parse(&r.status).unwrap_or(PersonStatus::Active);
        (
            r.login_id.clone(),
            ExistingPerson {
                employee_number: EmployeeNumber::stored(r.login_id),
                name: r.name,
                kana: r.kana,
                email: r.email,
                division_code: r.division_code,
                employment_type: r.employment_type,
                hired_on: r.hired_on,
                status,
                pending: r.pending_code.zip(r.pending_due),
                left_on: r.left_on,
            },
        )
    })
    .collect();
    let divisions = sqlx::query!(
        r#"select d.code, d.name, p.code as "parent_code?" from divisions d
           left join divisions p on p.institution_id = d.institution_id and p.id = d.parent_id
           where d.institution_id = $1"#,
        institution_id
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| {
        (
            r.code.clone(),
            ExistingDivision {
                code: r.code,
                name: r.name,
                parent_code: r.parent_code,
            },
        )
    })
    .collect();
    Ok((people, divisions))
}

/// Decodes, checks and plans a roster file against the institution and, when `apply` and the
/// file has no errors, writes it; the report is worded in `t`'s language. Runs inside the caller's transaction, which it locks against
/// concurrent imports of the same institution; the caller commits. Scheduled changes whose day
/// has come are taken first, so that the file is compared with the roster as it is today.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, bytes = bytes.len(), apply = apply_it))]
pub async fn import(
    conn: &mut PgConnection,
    t: &Catalogue,
    institution_id: Uuid,
    bytes: Vec<u8>,
    o: PlanOptions,
    apply_it: bool,
) -> Result<ImportReport, sqlx::Error> {
    use kenshu_core::roster;
    let parsed = roster::decode(bytes).and_then(|d| Ok((d.encoding, roster::parse(&d.text)?)));
    let (encoding, parsed) = match parsed {
        Ok(p) => p,
        Err(e) => {
            return Ok(ImportReport {
                file_error: Some(t.file_error(&e)),
                errors: 1,
                division_summary: "divisions: new=0 renamed=0 moved=0".into(),
                summary: "new=0 transfers=0 leavers=0 changed=0 errors=1".into(),
                ..Default::default()
            });
        }
    };
    let roster::Parsed {
        rows,
        mut errors,
        records,
        used,
        ignored,
    } = parsed;
    sqlx::query!(
        "select pg_advisory_xact_lock(hashtext($1))",
        format!("roster:{institution_id}")
    )
    .execute(&mut *conn)
    .await?;
    take_effect_in(&mut *conn, o.today, Some(institution_id)).await?;
    let (people, divisions) = snapshot(&mut *conn, institution_id).await?;
    let mut plan = roster::plan(&rows, &people, &divisions, o);
    errors.append(&mut plan.errors);
    for e in &mut errors {
        e.name_columns(&used);
    }
    errors.sort_by_key(|e| e.line);
    plan.errors = errors;
    let mut report = ImportReport {
        encoding,
        rows: records,
        file_error: None,
        used: used
            .iter()
            .map(|(header, key)| t.roster_used(header, key))
            .collect(),
        ignored,
        sections: describe(t, &plan, o.today),
        errors: plan.errors.len(),
        error_counts: roster::count_by_kind(t, &plan.errors),
        mass_change: plan.mass_change,
        noop: plan.is_noop(),
        applied: false,
        new_logins: Vec::new(),
        division_summary: plan.division_summary(),
        summary: plan.summary(),
    };
    if apply_it && plan.errors.is_empty() && !plan.is_noop() {
        apply(conn, institution_id, &plan, &o).await?;
        report.applied = true;
        report.new_logins = plan
            .new_people
            .iter()
            .map(|r| r.employee_number.to_string())
            .collect();
    }
    Ok(report)
}
