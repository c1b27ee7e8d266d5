//! Applying a roster import: the portal's current roster as the planner needs it, and the
//! plan written in one transaction with a handful of set-based statements, whatever the size.

use std::collections::HashMap;

use kenshu_core::roster::{ExistingDivision, ExistingPerson, ImportPlan, PersonStatus};
use sqlx::PgConnection;
use time::Date;
use uuid::Uuid;

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
        r#"select u.login_id, u.name, u.kana, u.email, d.code as division_code, u.employment_type, u.hired_on, u.status
           from users u join divisions d on d.institution_id = u.institution_id and d.id = u.division_id
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
                employee_number: r.login_id,
                name: r.name,
                kana: r.kana,
                email: r.email,
                division_code: r.division_code,
                employment_type: r.employment_type,
                hired_on: r.hired_on,
                status,
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

/// Writes a plan (which must have no errors). Run it inside a transaction: the import is all
/// or nothing. `today` is the start of new people's placement when the file gives no hire date.
pub async fn apply(
    conn: &mut PgConnection,
    institution_id: Uuid,
    plan: &ImportPlan<'_>,
    today: Date,
) -> Result<(), sqlx::Error> {
    apply_divisions(conn, institution_id, plan).await?;
    insert_people(conn, institution_id, plan, today).await?;
    update_people(conn, institution_id, plan).await?;
    transfer(conn, institution_id, plan).await?;
    leave(conn, institution_id, plan).await?;
    Ok(())
}

async fn apply_divisions(
    conn: &mut PgConnection,
    inst: Uuid,
    plan: &ImportPlan<'_>,
) -> Result<(), sqlx::Error> {
    let codes: Vec<String> = plan.new_divisions.iter().map(|d| d.code.clone()).collect();
    let names: Vec<String> = plan.new_divisions.iter().map(|d| d.name.clone()).collect();
    sqlx::query!(
        "insert into divisions (institution_id, code, name) select $1, c, n from unnest($2::text[], $3::text[]) as t(c, n)",
        inst,
        &codes,
        &names
    )
    .execute(&mut *conn)
    .await?;
    // Parents are set once every division exists, so a parent may come later in the file.
    let all = plan.new_divisions.iter().chain(&plan.changed_divisions);
    let (mut codes, mut names, mut parents) = (Vec::new(), Vec::new(), Vec::new());
    for d in all {
        codes.push(d.code.clone());
        names.push(d.name.clone());
        parents.push(d.parent_code.clone().unwrap_or_default());
    }
    sqlx::query!(
        "update divisions d set name = t.n, parent_id = p.id
         from unnest($2::text[], $3::text[], $4::text[]) as t(c, n, pc)
         left join divisions p on p.institution_id = $1 and p.code = t.pc
         where d.institution_id = $1 and d.code = t.c",
        inst,
        &codes,
        &names,
        &parents
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn insert_people(
    conn: &mut PgConnection,
    inst: Uuid,
    plan: &ImportPlan<'_>,
    today: Date,
) -> Result<(), sqlx::Error> {
    let n = plan.new_people.len();
    let (mut logins, mut names, mut kanas, mut emails, mut divisions) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut types, mut hired, mut statuses, mut starts) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for r in &plan.new_people {
        logins.push(r.employee_number.clone());
        names.push(r.name.clone());
        kanas.push(r.kana.clone());
        emails.push(r.email.clone());
        divisions.push(r.division_code.clone());
        types.push(r.employment_type.clone());
        hired.push(r.hired_on);
        statuses.push(r.status.as_str().to_string());
        starts.push(
            r.hired_on
                .filter(|h| *h <= today)
                .or(r.effective)
                .unwrap_or(today),
        );
    }
    sqlx::query!(
        "insert into users (institution_id, login_id, name, kana, email, division_id, role, password_hash,
                            must_change_password, active, employment_type, hired_on, status, left_on)
         select $1, t.l, t.n, t.k, t.e, d.id, 'staff', null, true, t.s <> 'left', t.ty, t.h, t.s,
                case when t.s = 'left' then t.st end
         from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::date[], $9::text[], $10::date[])
              as t(l, n, k, e, dc, ty, h, s, st)
         join divisions d on d.institution_id = $1 and d.code = t.dc",
        inst,
        &logins,
        &names,
        &kanas as &[Option<String>],
        &emails as &[Option<String>],
        &divisions,
        &types,
        &hired as &[Option<Date>],
        &statuses,
        &starts
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "insert into placements (institution_id, user_id, valid_from, division_id)
         select u.institution_id, u.id, t.st, u.division_id
         from unnest($2::text[], $3::date[]) as t(l, st)
         join users u on u.institution_id = $1 and u.login_id = t.l",
        inst,
        &logins,
        &starts
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn update_people(
    conn: &mut PgConnection,
    inst: Uuid,
    plan: &ImportPlan<'_>,
) -> Result<(), sqlx::Error> {
    let rows = &plan.changed_people;
    let logins: Vec<String> = rows.iter().map(|r| r.employee_number.clone()).collect();
    let names: Vec<String> = rows.iter().map(|r| r.name.clone()).collect();
    let kanas: Vec<Option<String>> = rows.iter().map(|r| r.kana.clone()).collect();
    let emails: Vec<Option<String>> = rows.iter().map(|r| r.email.clone()).collect();
    let types: Vec<String> = rows.iter().map(|r| r.employment_type.clone()).collect();
    let hired: Vec<Option<Date>> = rows.iter().map(|r| r.hired_on).collect();
    let statuses: Vec<String> = rows.iter().map(|r| r.status.as_str().to_string()).collect();
    let has: Vec<i32> = rows
        .iter()
        .map(|r| {
            i32::from(r.present.kana)
                | i32::from(r.present.email) << 1
                | i32::from(r.present.employment_type) << 2
                | i32::from(r.present.status) << 3
        })
        .collect();
    // Statuses other than 'left' are written here; leaving is done by `leave`, with its date.
    // A column the file does not have (its bit unset in `hs`) keeps the stored value.
    sqlx::query!(
        "update users u set name = t.n,
                kana = case when t.hs & 1 <> 0 then t.k else u.kana end,
                email = case when t.hs & 2 <> 0 then t.e else u.email end,
                employment_type = case when t.hs & 4 <> 0 then t.ty else u.employment_type end,
                hired_on = coalesce(t.h, u.hired_on),
                status = case when t.hs & 8 = 0 or t.s = 'left' then u.status else t.s end,
                active = case when t.hs & 8 = 0 or t.s = 'left' then u.active else true end,
                left_on = case when t.hs & 8 = 0 or t.s = 'left' then u.left_on else null end
         from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::date[], $8::text[], $9::int[])
              as t(l, n, k, e, ty, h, s, hs)
         where u.institution_id = $1 and u.login_id = t.l",
        inst,
        &logins,
        &names,
        &kanas as &[Option<String>],
        &emails as &[Option<String>],
        &types,
        &hired as &[Option<Date>],
        &statuses,
        &has
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn transfer(
    conn: &mut PgConnection,
    inst: Uuid,
    plan: &ImportPlan<'_>,
) -> Result<(), sqlx::Error> {
    let logins: Vec<String> = plan
        .transfers
        .iter()
        .map(|t| t.employee_number.clone())
        .collect();
    let to: Vec<String> = plan.transfers.iter().map(|t| t.to.clone()).collect();
    let on: Vec<Date> = plan.transfers.iter().map(|t| t.effective).collect();
    transfer_people(conn, inst, &logins, &to, &on).await
}

/// Moves people (by login ID) to divisions (by code) from the given days: each current
/// placement ends the day before, so the history stays.
pub async fn transfer_people(
    conn: &mut PgConnection,
    inst: Uuid,
    logins: &[String],
    to: &[String],
    on: &[Date],
) -> Result<(), sqlx::Error> {
    // Close the current placement the day before; a placement that starts on the same day is
    // replaced instead.
    sqlx::query!(
        "update placements p set valid_to = t.d - 1
         from unnest($2::text[], $3::date[]) as t(l, d)
         join users u on u.institution_id = $1 and u.login_id = t.l
         where p.institution_id = $1 and p.user_id = u.id and p.valid_to is null and p.valid_from < t.d",
        inst,
        logins,
        on
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "insert into placements (institution_id, user_id, valid_from, division_id)
         select $1, u.id, t.d, d.id
         from unnest($2::text[], $3::text[], $4::date[]) as t(l, dc, d)
         join users u on u.institution_id = $1 and u.login_id = t.l
         join divisions d on d.institution_id = $1 and d.code = t.dc
         on conflict (institution_id, user_id, valid_from) do update set division_id = excluded.division_id, valid_to = null",
        inst,
        logins,
        to,
        on
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "update users u set division_id = d.id
         from unnest($2::text[], $3::text[]) as t(l, dc)
         join divisions d on d.institution_id = $1 and d.code = t.dc
         where u.institution_id = $1 and u.login_id = t.l",
        inst,
        logins,
        to
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn leave(
    conn: &mut PgConnection,
    inst: Uuid,
    plan: &ImportPlan<'_>,
) -> Result<(), sqlx::Error> {
    let logins: Vec<String> = plan
        .leavers
        .iter()
        .map(|l| l.employee_number.clone())
        .collect();
    let on: Vec<Date> = plan.leavers.iter().map(|l| l.on).collect();
    leave_people(conn, inst, &logins, &on).await
}

/// Records that people (by login ID) left on the given days: disabled and signed out, never
/// deleted; their placement ends that day.
pub async fn leave_people(
    conn: &mut PgConnection,
    inst: Uuid,
    logins: &[String],
    on: &[Date],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update users u set status = 'left', active = false, left_on = t.d
         from unnest($2::text[], $3::date[]) as t(l, d)
         where u.institution_id = $1 and u.login_id = t.l",
        inst,
        logins,
        on
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "update placements p set valid_to = greatest(p.valid_from, t.d)
         from unnest($2::text[], $3::date[]) as t(l, d)
         join users u on u.institution_id = $1 and u.login_id = t.l
         where p.institution_id = $1 and p.user_id = u.id and p.valid_to is null",
        inst,
        logins,
        on
    )
    .execute(&mut *conn)
    .await?;
    // Whoever leaves is signed out everywhere.
    sqlx::query!(
        "delete from sessions s using users u
         where u.institution_id = $1 and u.login_id = any($2) and s.institution_id = u.institution_id and s.user_id = u.id",
        inst,
        logins
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// One list of the import report: what it is, how many, and the first lines.
#[derive(Debug, Clone)]
pub struct ReportSection {
    /// `new_divisions`, `changed_divisions`, `new_staff`, `transfers`, `leavers`, `changed`, `errors`.
    pub key: &'static str,
    pub title_en: &'static str,
    pub total: usize,
    pub lines: Vec<String>,
}

/// What an import found and did, for the command line and the web page alike.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub encoding: &'static str,
    pub rows: usize,
    /// A problem with the whole file (encoding, header): nothing else was looked at.
    pub file_error: Option<String>,
    pub sections: Vec<ReportSection>,
    pub errors: usize,
    pub noop: bool,
    pub applied: bool,
    /// Login IDs of the accounts the import created.
    pub new_logins: Vec<String>,
    /// `new=N transfers=N leavers=N changed=N errors=N`.
    pub summary: String,
}

/// Lines shown per list; the totals are always exact.
pub const SHOWN: usize = 50;

fn section<T>(
    key: &'static str,
    title_en: &'static str,
    items: &[T],
    line: impl Fn(&T) -> String,
) -> ReportSection {
    ReportSection {
        key,
        title_en,
        total: items.len(),
        lines: items.iter().take(SHOWN).map(line).collect(),
    }
}

/// The report's lines, in Japanese (dates in the Japanese calendar), for the command line and
/// the web page alike.
fn describe(p: &ImportPlan<'_>) -> Vec<ReportSection> {
    use kenshu_core::fiscal_year::japanese_date as jd;
    let parent = |c: &Option<String>| {
        c.as_ref()
            .map(|c| format!("（上位: {c}）"))
            .unwrap_or_default()
    };
    let field = |f: &str| {
        match f {
            "name" => "氏名",
            "kana" => "氏名カナ",
            "email" => "メールアドレス",
            "employment_type" => "雇用形態",
            "hire_date" => "採用日",
            "status" => "在職状況",
            other => other,
        }
        .to_string()
    };
    vec![
        section("new_divisions", "new divisions", &p.new_divisions, |d| {
            format!("+ {} {}{}", d.code, d.name, parent(&d.parent_code))
        }),
        section(
            "changed_divisions",
            "renamed or moved divisions",
            &p.changed_divisions,
            |d| {
                format!(
                    "~ {}: {} → {}{}",
                    d.code,
                    d.old_name.clone().unwrap_or_default(),
                    d.name,
                    parent(&d.parent_code)
                )
            },
        ),
        section("new_staff", "new staff", &p.new_people, |r| {
            format!("+ {} {}（{}）", r.employee_number, r.name, r.division_code)
        }),
        section("transfers", "transfers", &p.transfers, |t| {
            format!(
                "→ {} {}: {} → {}（{}付）",
                t.employee_number,
                t.name,
                t.from,
                t.to,
                jd(t.effective)
            )
        }),
        section("leavers", "leavers", &p.leavers, |l| {
            format!(
                "- {} {}（{}）{}付で退職",
                l.employee_number,
                l.name,
                l.division_code,
                jd(l.on)
            )
        }),
        section("changed", "changed", &p.changes, |c| {
            format!(
                "~ {} {}: 「{}」→「{}」",
                c.employee_number,
                field(c.field),
                c.old,
                c.new
            )
        }),
        section("errors", "errors", &p.errors, |e| e.to_string()),
    ]
    .into_iter()
    .filter(|s| s.total > 0)
    .collect()
}

/// Decodes, checks and plans a roster file against the institution and, when `apply` and the
/// file has no errors, writes it. Runs inside the caller's transaction, which it locks against
/// concurrent imports of the same institution; the caller commits.
pub async fn import(
    conn: &mut PgConnection,
    institution_id: Uuid,
    bytes: Vec<u8>,
    complete: bool,
    today: Date,
    apply_it: bool,
) -> Result<ImportReport, sqlx::Error> {
    use kenshu_core::roster;
    let parsed = roster::decode(bytes).and_then(|d| Ok((d.encoding, roster::parse(&d.text)?)));
    let (encoding, roster::Parsed { rows, mut errors, records, .. }) = match parsed {
        Ok(p) => p,
        Err(e) => {
            return Ok(ImportReport {
                file_error: Some(e.to_string()),
                errors: 1,
                summary: "new=0 transfers=0 leavers=0 changed=0 errors=1".into(),
                ..Default::default()
            });
        }
    };
    sqlx::query!(
        "select pg_advisory_xact_lock(hashtext($1))",
        format!("roster:{institution_id}")
    )
    .execute(&mut *conn)
    .await?;
    let (people, divisions) = snapshot(&mut *conn, institution_id).await?;
    let mut plan = roster::plan(&rows, &people, &divisions, complete, today);
    errors.append(&mut plan.errors);
    errors.sort_by_key(|e| e.line);
    plan.errors = errors;
    let mut report = ImportReport {
        encoding,
        rows: records,
        file_error: None,
        sections: describe(&plan),
        errors: plan.errors.len(),
        noop: plan.is_noop(),
        applied: false,
        new_logins: Vec::new(),
        summary: plan.summary(),
    };
    if apply_it && plan.errors.is_empty() && !plan.is_noop() {
        apply(conn, institution_id, &plan, today).await?;
        report.applied = true;
        report.new_logins = plan
            .new_people
            .iter()
            .map(|r| r.employee_number.clone())
            .collect();
    }
    Ok(report)
}

/// Keeps an uploaded roster file for its dry run and later application.
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
