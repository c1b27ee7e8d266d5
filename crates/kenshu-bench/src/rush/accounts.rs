//! The generated institution and the accounts that take part in the rush.

use anyhow::Context;

use super::RushArgs;
use crate::dashboard::{bench_password_hash, generate_institution};
use crate::db;

/// A protection officer taking part: the division's code and the people of the division whose
/// pages the officer opens.
pub(super) struct Officer {
    pub(super) login: String,
    pub(super) division: String,
    pub(super) people: Vec<String>,
}

pub(super) struct Accounts {
    pub(super) chief: String,
    pub(super) officers: Vec<Officer>,
    pub(super) staff: Vec<String>,
}

/// Generates the institution and gives the bench password to the chief officer, the protection
/// officers of the first `officer_divisions` divisions and a sample of the active staff.
pub(super) async fn generate(bench: &db::BenchDb, r: &RushArgs) -> anyhow::Result<Accounts> {
    generate_institution(bench, r.staff, r.divisions).await?;
    let hash = bench_password_hash().await?;
    let mut conn = bench.pool.acquire().await?;
    let division_codes: Vec<String> = (1..=r.officer_divisions.min(r.divisions))
        .map(|n| format!("d{n:03}"))
        .collect();
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "update users u set password_hash = $1 from divisions d
         where d.institution_id = u.institution_id and d.id = u.division_id
           and (u.role = 'chief_officer'
                or (u.role = 'protection_officer' and d.code = any($2))
                or u.id in (select x.id from users x
                            where x.role = 'staff' and x.status = 'active'
                            order by hashtext(x.login_id) limit $3))
         returning u.role, u.login_id, d.code",
    )
    .bind(&hash)
    .bind(&division_codes)
    .bind(i64::from(r.sample))
    .fetch_all(&mut *conn)
    .await?;
    let chief = rows
        .iter()
        .find(|(role, ..)| role == "chief_officer")
        .map(|(_, l, _)| l.clone())
        .context("no chief officer generated")?;
    let mut staff: Vec<String> = rows
        .iter()
        .filter(|(role, ..)| role == "staff")
        .map(|(_, l, _)| l.clone())
        .collect();
    staff.sort();
    let mut officers = Vec::new();
    for (_, login, division) in rows
        .iter()
        .filter(|(role, ..)| role == "protection_officer")
    {
        let people: Vec<String> = sqlx::query_scalar(
            "select u.login_id from users u join divisions d on d.id = u.division_id
             where d.code = $1 and u.role = 'staff' and u.status = 'active'
             order by u.login_id limit 100",
        )
        .bind(division)
        .fetch_all(&mut *conn)
        .await?;
        anyhow::ensure!(
            !people.is_empty(),
            "division {division} has no active staff"
        );
        officers.push(Officer {
            login: login.clone(),
            division: division.clone(),
            people,
        });
    }
    officers.sort_by(|a, b| a.division.cmp(&b.division));
    anyhow::ensure!(!officers.is_empty(), "no protection officer generated");
    anyhow::ensure!(!staff.is_empty(), "no staff in the sample");
    Ok(Accounts {
        chief,
        officers,
        staff,
    })
}
