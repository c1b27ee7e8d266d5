//! Applying a roster import: the portal's current roster as the planner needs it, and the
//! plan written in one transaction with a handful of set-based statements, whatever the size.

use std::collections::HashMap;

use kenshu_core::roster::{
    ExistingDivision, ExistingPerson, ImportPlan, MassChange, PersonStatus, PlanOptions,
};
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
                employee_number: r.login_id,
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

/// Writes a plan (which must have no errors). Run it inside a transaction: the import is all
/// or nothing. `o.today` decides what happens now and what is scheduled for its day.
pub async fn apply(
    conn: &mut PgConnection,
    institution_id: Uuid,
    plan: &ImportPlan<'_>,
    o: &PlanOptions,
) -> Result<(), sqlx::Error> {
    apply_divisions(conn, institution_id, plan).await?;
    insert_people(conn, institution_id, plan, o).await?;
    update_people(conn, institution_id, plan).await?;
    transfer(conn, institution_id, plan, o.today).await?;
    leave(conn, institution_id, plan, o.today).await?;
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

/// New people, at work from their hire date (or the import's day); a new person whose row says
/// 退職 is written as at work and then leaves on their last day, like anyone else.
async fn insert_people(
    conn: &mut PgConnection,
    inst: Uuid,
    plan: &ImportPlan<'_>,
    o: &PlanOptions,
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
    let (mut gone, mut last_days) = (Vec::new(), Vec::new());
    for r in &plan.new_people {
        let mut start = r
            .hired_on
            .filter(|h| *h <= o.today)
            .or(r.effective)
            .unwrap_or(o.default_on);
        let status = if r.status == PersonStatus::Left {
            let last = kenshu_core::roster::last_day(r, o.default_on);
            start = start.min(last);
            gone.push(r.employee_number.clone());
            last_days.push(last);
            PersonStatus::Active
        } else {
            r.status
        };
        logins.push(r.employee_number.clone());
        names.push(r.name.clone());
        kanas.push(r.kana.clone());
        emails.push(r.email.clone());
        divisions.push(r.division_code.clone());
        types.push(r.employment_type.clone());
        hired.push(r.hired_on);
        statuses.push(status.as_str().to_string());
        starts.push(start);
    }
    sqlx::query!(
        "insert into users (institution_id, login_id, name, kana, email, division_id, role, password_hash,
                            must_change_password, active, employment_type, hired_on, status)
         select $1, t.l, t.n, t.k, t.e, d.id, 'staff', null, true, true, t.ty, t.h, t.s
         from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::date[], $9::text[])
              as t(l, n, k, e, dc, ty, h, s)
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
    leave_people(conn, inst, &gone, &last_days, o.today).await
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
    // A column the file does not have (its bit unset in `hs`) keeps the stored value. Someone
    // who had left and is at work again (再任用) has no last day any more.
    sqlx::query!(
        "update users u set name = t.n,
                kana = case when t.hs & 1 <> 0 then t.k else u.kana end,
                email = case when t.hs & 2 <> 0 then t.e else u.email end,
                employment_type = case when t.hs & 4 <> 0 then t.ty else u.employment_type end,
                hired_on = coalesce(t.h, u.hired_on),
                status = case when t.hs & 8 = 0 or t.s = 'left' then u.status else t.s end,
                active = case when t.hs & 8 = 0 or t.s = 'left' then u.active else true end,
                left_on = case when t.hs & 8 = 0 or t.s = 'left' or u.status <> 'left' then u.left_on else null end
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
    today: Date,
) -> Result<(), sqlx::Error> {
    let logins: Vec<String> = plan
        .transfers
        .iter()
        .map(|t| t.employee_number.clone())
        .collect();
    let to: Vec<String> = plan.transfers.iter().map(|t| t.to.clone()).collect();
    let on: Vec<Date> = plan.transfers.iter().map(|t| t.effective).collect();
    transfer_people(conn, inst, &logins, &to, &on, today).await
}

/// Moves people (by login ID) to divisions (by code) from the given days: each placement that
/// reaches into the day ends the day before, so the history stays, and whatever was planned
/// from a later day is replaced. A transfer dated after `today` is scheduled: the person's
/// current division changes on its day (`take_effect`).
pub async fn transfer_people(
    conn: &mut PgConnection,
    inst: Uuid,
    logins: &[String],
    to: &[String],
    on: &[Date],
    today: Date,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "delete from placements p
         using unnest($2::text[], $3::date[]) as t(l, d)
         join users u on u.institution_id = $1 and u.login_id = t.l
         where p.institution_id = $1 and p.user_id = u.id and p.valid_from > t.d",
        inst,
        logins,
        on
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "update placements p set valid_to = t.d - 1
         from unnest($2::text[], $3::date[]) as t(l, d)
         join users u on u.institution_id = $1 and u.login_id = t.l
         where p.institution_id = $1 and p.user_id = u.id and p.valid_from < t.d
           and (p.valid_to is null or p.valid_to >= t.d)",
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
    // Now: the current division, and no transfer left pending. Later: the schedule.
    sqlx::query!(
        "with t as (
             select u.id, d.id as division_id, t.d
             from unnest($2::text[], $3::text[], $4::date[]) as t(l, dc, d)
             join users u on u.institution_id = $1 and u.login_id = t.l
             join divisions d on d.institution_id = $1 and d.code = t.dc
         ),
         now as (
             update users u set division_id = t.division_id from t
             where u.institution_id = $1 and u.id = t.id and t.d <= $5
         ),
         dropped as (
             delete from roster_schedule s using t
             where s.institution_id = $1 and s.user_id = t.id and s.kind = 'transfer' and t.d <= $5
         )
         insert into roster_schedule (institution_id, user_id, kind, due, division_id)
         select $1, t.id, 'transfer', t.d, t.division_id from t where t.d > $5
         on conflict (institution_id, user_id, kind) do update set due = excluded.due, division_id = excluded.division_id",
        inst,
        logins,
        to,
        on,
        today
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn leave(
    conn: &mut PgConnection,
    inst: Uuid,
    plan: &ImportPlan<'_>,
    today: Date,
) -> Result<(), sqlx::Error> {
    let logins: Vec<String> = plan
        .leavers
        .iter()
        .map(|l| l.employee_number.clone())
        .collect();
    let on: Vec<Date> = plan.leavers.iter().map(|l| l.on).collect();
    leave_people(conn, inst, &logins, &on, today).await
}

/// Records that people (by login ID) leave, each on their last day: never deleted, their
/// placement ends that day and nothing planned after it stays. Once the day has ended (it is
/// before `today`) they are disabled and signed out at once; a last day still to come is
/// scheduled, and until it has ended they keep working and signing in.
pub async fn leave_people(
    conn: &mut PgConnection,
    inst: Uuid,
    logins: &[String],
    on: &[Date],
    today: Date,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "with t as (
             select u.id, t.d
             from unnest($2::text[], $3::date[]) as t(l, d)
             join users u on u.institution_id = $1 and u.login_id = t.l
         ),
         gone as (
             update users u set left_on = t.d,
                    status = case when t.d < $4 then 'left' else u.status end,
                    active = case when t.d < $4 then false else u.active end
             from t where u.institution_id = $1 and u.id = t.id
         ),
         dropped as (
             delete from roster_schedule s using t
             where s.institution_id = $1 and s.user_id = t.id
               and ((s.kind = 'leave' and t.d < $4) or (s.kind = 'transfer' and s.due > t.d))
         ),
         signed_out as (
             delete from sessions s using t
             where s.institution_id = $1 and s.user_id = t.id and t.d < $4
         ),
         later as (
             delete from placements p using t
             where p.institution_id = $1 and p.user_id = t.id and p.valid_from > t.d
         )
         insert into roster_schedule (institution_id, user_id, kind, due)
         select $1, t.id, 'leave', t.d + 1 from t where t.d >= $4
         on conflict (institution_id, user_id, kind) do update set due = excluded.due",
        inst,
        logins,
        on,
        today
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "update placements p set valid_to = greatest(p.valid_from, t.d)
         from unnest($2::text[], $3::date[]) as t(l, d)
         join users u on u.institution_id = $1 and u.login_id = t.l
         where p.institution_id = $1 and p.user_id = u.id
           and (p.valid_to is null or p.valid_to > t.d) and p.valid_from <= t.d",
        inst,
        logins,
        on
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A roster change waiting for its day, for the roster page.
#[derive(Debug, Clone)]
pub struct Pending {
    pub login_id: String,
    pub name: String,
    /// `transfer` or `leave`.
    pub kind: String,
    /// The first day it holds (for a leaving, the day after the last day).
    pub due: Date,
    /// For a transfer: the division they move to.
    pub division: Option<String>,
}

/// The institution's scheduled changes, soonest first.
pub async fn pending(
    conn: &mut PgConnection,
    institution_id: Uuid,
) -> Result<Vec<Pending>, sqlx::Error> {
    sqlx::query_as!(
        Pending,
        r#"select u.login_id, u.name, s.kind, s.due, d.name as "division?"
           from roster_schedule s
           join users u on u.institution_id = s.institution_id and u.id = s.user_id
           left join divisions d on d.institution_id = s.institution_id and d.id = s.division_id
           where s.institution_id = $1
           order by s.due, u.login_id, s.kind"#,
        institution_id
    )
    .fetch_all(conn)
    .await
}

/// What `take_effect` did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TookEffect {
    pub transfers: u64,
    pub leavers: u64,
}

/// Makes the scheduled roster changes whose day has come (`today`, in Japan): transfers move
/// people's current division, leavings disable the account and sign it out. Idempotent and
/// safe to run from several instances at once: each change is taken by exactly one of them.
pub async fn take_effect(conn: &mut PgConnection, today: Date) -> Result<TookEffect, sqlx::Error> {
    take_effect_in(conn, today, None).await
}

/// `take_effect` for one institution only (`Some`), as an import does inside its transaction:
/// it must not hold other institutions' rows until it commits.
pub async fn take_effect_in(
    conn: &mut PgConnection,
    today: Date,
    institution_id: Option<Uuid>,
) -> Result<TookEffect, sqlx::Error> {
    let transfers = sqlx::query!(
        "with due as (
             delete from roster_schedule
             where kind = 'transfer' and due <= $1 and ($2::uuid is null or institution_id = $2)
             returning institution_id, user_id, division_id
         )
         update users u set division_id = due.division_id from due
         where u.institution_id = due.institution_id and u.id = due.user_id",
        today,
        institution_id
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let leavers = sqlx::query!(
        "with due as (
             delete from roster_schedule
             where kind = 'leave' and due <= $1 and ($2::uuid is null or institution_id = $2)
             returning institution_id, user_id
         ),
         signed_out as (
             delete from sessions s using due
             where s.institution_id = due.institution_id and s.user_id = due.user_id
         )
         update users u set status = 'left', active = false from due
         where u.institution_id = due.institution_id and u.id = due.user_id",
        today,
        institution_id
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(TookEffect { transfers, leavers })
}

/// One list of the import report: what it is, how many, and every line.
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
    /// Data records read (valid or not).
    pub rows: usize,
    /// A problem with the whole file (encoding, header): nothing else was looked at.
    pub file_error: Option<String>,
    /// Header cells used, as 「在職区分 → 在職状況」, and those ignored.
    pub used: Vec<String>,
    pub ignored: Vec<String>,
    pub sections: Vec<ReportSection>,
    pub errors: usize,
    /// Errors counted by column and kind, most frequent first: (「採用日の形式」, 300).
    pub error_counts: Vec<(String, usize)>,
    /// Most of the institution new or leaving (refused unless confirmed).
    pub mass_change: Option<MassChange>,
    pub noop: bool,
    pub applied: bool,
    /// Login IDs of the accounts the import created.
    pub new_logins: Vec<String>,
    /// `divisions: new=N renamed=N moved=N`.
    pub division_summary: String,
    /// `new=N transfers=N leavers=N changed=N errors=N`.
    pub summary: String,
}

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
        lines: items.iter().map(line).collect(),
    }
}

/// The Japanese name of a roster column key (the first header `gen roster` writes).
fn column_ja(key: &str) -> &'static str {
    kenshu_core::roster::COLUMNS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or("", |(_, names)| names[0])
}

/// The report's lines, in Japanese (dates in the Japanese calendar), for the command line and
/// the web page alike. A change dated after `today` is marked as scheduled (予定).
fn describe(p: &ImportPlan<'_>, today: Date) -> Vec<ReportSection> {
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
    let when = |d: Date, after: Date| if d > after { "・予定" } else { "" };
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
                "→ {} {}: {} → {}（{}付{}）",
                t.employee_number,
                t.name,
                t.from,
                t.to,
                jd(t.effective),
                when(t.effective, today)
            )
        }),
        section("leavers", "leavers", &p.leavers, |l| {
            format!(
                "- {} {}（{}）{}付で退職{}",
                l.employee_number,
                l.name,
                l.division_code,
                jd(l.on),
                // The account closes when the last day has ended.
                when(l.on, today.previous_day().unwrap_or(today))
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
/// concurrent imports of the same institution; the caller commits. Scheduled changes whose day
/// has come are taken first, so that the file is compared with the roster as it is today.
pub async fn import(
    conn: &mut PgConnection,
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
                file_error: Some(e.to_string()),
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
    errors.sort_by_key(|e| e.line);
    plan.errors = errors;
    let mut report = ImportReport {
        encoding,
        rows: records,
        file_error: None,
        used: used
            .iter()
            .map(|(header, key)| match column_ja(key) {
                ja if ja == header || ja.is_empty() => header.clone(),
                ja => format!("{header} → {ja}"),
            })
            .collect(),
        ignored,
        sections: describe(&plan, o.today),
        errors: plan.errors.len(),
        error_counts: roster::count_by_kind(&plan.errors),
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
