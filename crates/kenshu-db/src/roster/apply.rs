//! A plan written, each kind of change in one set-based statement or a few: divisions, new
//! people, changed details, transfers and leavers.

use kenshu_core::roster::{ImportPlan, PersonStatus, PlanOptions};
use sqlx::PgConnection;
use time::Date;
use uuid::Uuid;

use super::{leave_people, transfer_people};

/// Writes a plan (which must have no errors). Run it inside a transaction: the import is all
/// or nothing. `o.today` decides what happens now and what is scheduled for its day.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, new = plan.new_people.len(), transfers = plan.transfers.len(), leavers = plan.leavers.len(), changed = plan.changed_people.len()))]
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
            gone.push(r.employee_number.to_string());
            last_days.push(last);
            PersonStatus::Active
        } else {
            r.status
        };
        logins.push(r.employee_number.to_string());
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
    let logins: Vec<String> = rows.iter().map(|r| r.employee_number.to_string()).collect();
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
        .map(|t| t.employee_number.to_string())
        .collect();
    let to: Vec<String> = plan.transfers.iter().map(|t| t.to.clone()).collect();
    let on: Vec<Date> = plan.transfers.iter().map(|t| t.effective).collect();
    transfer_people(conn, inst, &logins, &to, &on, today).await
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
        .map(|l| l.employee_number.to_string())
        .collect();
    let on: Vec<Date> = plan.leavers.iter().map(|l| l.on).collect();
    leave_people(conn, inst, &logins, &on, today).await
}
