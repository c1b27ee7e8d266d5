//! The people an officer picks on the dashboard (checkboxes named `pick`), for reminders and
//! re-attendance: parsed from the form and checked against the officer's divisions.

use kenshu_app::reminder::Picked;

use crate::AppError;
use crate::policy::Action;
use crate::session::CurrentUser;

/// The dashboard's picks (the `pick` fields of a form): `login|course`, or a bare login for all
/// their courses.
pub fn picks(picked: &[String]) -> Vec<(String, Option<String>)> {
    picked
        .iter()
        .map(|v| match v.split_once('|') {
            Some((login, code)) => (login.to_string(), Some(code.to_string())),
            None => (v.clone(), None),
        })
        .collect()
}

/// The picked people, read in one query, in the order picked, each within the officer's
/// divisions — 403 otherwise, as for a login that does not exist.
pub async fn picked_people(
    conn: &mut kenshu_db::PgConnection,
    user: &CurrentUser,
    picks: &[(String, Option<String>)],
) -> Result<Vec<Picked>, AppError> {
    let logins: Vec<String> = picks.iter().map(|(l, _)| l.clone()).collect();
    let found = kenshu_db::person::by_logins(conn, user.session.institution_id, &logins).await?;
    picks
        .iter()
        .map(|(login, course)| {
            let (person, division) = *found.get(login).ok_or(AppError::Forbidden)?;
            user.require_division(Action::ManageDesignations, division)?;
            Ok(Picked {
                person,
                division,
                course: course.clone(),
            })
        })
        .collect()
}
