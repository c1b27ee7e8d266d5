//! 督促: reminders to people with unfinished courses, sent by an officer to the people they
//! picked ([`remind`]) or by the plan's schedule ([`schedule`]); each is recorded, queued as
//! mail (when the person has an address) and shown to the person at their next sign-in until
//! they acknowledge it.

pub mod schedule;

use std::collections::HashMap;

use kenshu_core::FiscalYear;
use kenshu_core::i18n::{EN, JA, Lang};
use kenshu_core::my_number::contains_my_number;
use kenshu_core::reminder::{Due, DueRule, compose_with_rules};
use kenshu_db::PgConnection;
use kenshu_db::reminder::{Mail, NewReminder};
use time::Date;
use uuid::Uuid;

use crate::standing::Standing;

/// Why reminders were not sent.
#[derive(Debug, thiserror::Error)]
pub enum RemindError {
    /// The officer's message is over 1,000 characters.
    #[error("the message is over 1,000 characters")]
    MessageTooLong,
    /// The officer's message holds what looks like a My Number.
    #[error("the message holds what looks like a My Number")]
    MyNumber,
    /// Nobody picked has an unfinished course or a rule to acknowledge.
    #[error("nobody to remind")]
    Nobody,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// One reminder to record: who, and which unfinished courses with their deadlines.
struct Pending {
    /// The reminder's id, known before it is recorded (the schedule's steps name it).
    id: Uuid,
    user_id: Uuid,
    courses: Vec<(String, Date)>,
    /// The required rules they are still to acknowledge, named in the same mail: (code, the
    /// rule as the mail names it).
    rules: Vec<(String, DueRule)>,
}

/// Who sends reminders in one institution, and what every mail needs: read once per send or
/// per schedule run, not per person.
struct Sender<'a> {
    institution_id: Uuid,
    institution_name: &'a str,
    fy: FiscalYear,
    today: Date,
    /// None: the plan's schedule.
    sent_by: Option<Uuid>,
    /// When the mail may go: the schedule's waits for office hours of a working day
    /// (`kenshu_core::holiday::next_office_hours`); an officer's goes at once.
    mail_after: Option<time::OffsetDateTime>,
    portal_url: &'a str,
    titles: &'a HashMap<String, String>,
}

impl Sender<'_> {
    /// Records the reminders and queues their mail, in the caller's transaction.
    async fn send(
        &self,
        conn: &mut PgConnection,
        pending: &[Pending],
        message: &str,
    ) -> Result<(), sqlx::Error> {
        let people: Vec<Uuid> = pending.iter().map(|p| p.user_id).collect();
        let contacts: HashMap<Uuid, kenshu_db::reminder::Contact> =
            kenshu_db::reminder::contacts(conn, self.institution_id, &people)
                .await?
                .into_iter()
                .map(|c| (c.id, c))
                .collect();
        for p in pending {
            let Some(contact) = contacts.get(&p.user_id) else {
                continue;
            };
            let (name, email) = (&contact.name, &contact.email);
            // The recipient's own language when they chose one; Japanese otherwise (a mail is
            // not an answer to a request, so no browser says what they read).
            let t = match contact.language {
                Some(Lang::En) => &EN,
                _ => &JA,
            };
            let due: Vec<Due> = p
                .courses
                .iter()
                .map(|(code, deadline)| Due {
                    title: self
                        .titles
                        .get(code)
                        .cloned()
                        .unwrap_or_else(|| code.clone()),
                    deadline: *deadline,
                })
                .collect();
            let rules: Vec<DueRule> = p.rules.iter().map(|(_, r)| r.clone()).collect();
            let (subject, body) = compose_with_rules(
                t,
                name,
                self.institution_name,
                &due,
                &rules,
                self.today,
                message,
                self.portal_url,
            );
            let codes: Vec<String> = p.courses.iter().map(|(c, _)| c.clone()).collect();
            let rule_codes: Vec<String> = p.rules.iter().map(|(c, _)| c.clone()).collect();
            kenshu_db::reminder::record(
                conn,
                self.institution_id,
                &NewReminder {
                    id: p.id,
                    user_id: p.user_id,
                    fiscal_year: self.fy,
                    courses: &codes,
                    rules: &rule_codes,
                    message,
                    sent_by: self.sent_by,
                    mail: email.as_deref().map(|to| Mail {
                        to,
                        subject: &subject,
                        body: &body,
                    }),
                    mail_after: self.mail_after,
                },
            )
            .await?;
        }
        Ok(())
    }
}

/// The unfinished courses of the people in `standing` that `wanted` picks (person, course),
/// each person's together (the standing lists each person's lines together). Each reminder
/// also names the person's required rules not yet acknowledged; a person whose only pending
/// items are rules is reminded of them when `rules_alone` picks them.
fn pending(
    standing: &Standing,
    wanted: impl Fn(Uuid, &str) -> bool,
    rules_alone: impl Fn(Uuid) -> bool,
) -> Vec<Pending> {
    let mut out: Vec<Pending> = Vec::new();
    for l in standing.lines.iter().filter(|l| !l.status.is_done()) {
        let user_id = standing.people[l.person].id;
        if !wanted(user_id, &l.assignment.code) {
            continue;
        }
        let course = (l.assignment.code.clone(), l.deadline);
        match out.last_mut().filter(|p| p.user_id == user_id) {
            Some(p) => p.courses.push(course),
            None => out.push(Pending {
                id: Uuid::new_v4(),
                user_id,
                courses: vec![course],
                rules: Vec::new(),
            }),
        }
    }
    // Where each person's reminder is, found by person: a division's rule lines would
    // otherwise each search every reminder (people × people per division and schedule run).
    let mut at: HashMap<Uuid, usize> = HashMap::with_capacity(out.len());
    for (i, p) in out.iter().enumerate() {
        at.entry(p.user_id).or_insert(i);
    }
    for r in standing.rules.iter().filter(|r| !r.required.done()) {
        let user_id = standing.people[r.person].id;
        let rule = (
            r.required.code.clone(),
            DueRule {
                title: r.required.title.clone(),
                version: r.required.version,
                deadline: r.required.deadline,
            },
        );
        match at.get(&user_id) {
            Some(&i) => out[i].rules.push(rule),
            None if rules_alone(user_id) => {
                at.insert(user_id, out.len());
                out.push(Pending {
                    id: Uuid::new_v4(),
                    user_id,
                    courses: Vec::new(),
                    rules: vec![rule],
                });
            }
            None => {}
        }
    }
    out
}

/// An officer's message, trimmed: refused when too long or when it holds a My Number.
pub fn checked_message(text: &str) -> Result<String, RemindError> {
    let message = text.trim();
    if message.chars().count() > 1000 {
        return Err(RemindError::MessageTooLong);
    }
    if contains_my_number(message) {
        return Err(RemindError::MyNumber);
    }
    Ok(message.to_string())
}

/// A person picked for a reminder, within the sender's reach (the caller checked): all their
/// unfinished courses, or only `course`.
pub struct Picked {
    pub person: Uuid,
    pub division: Uuid,
    pub course: Option<String>,
}

/// Who sends an officer's reminders.
pub struct SentBy<'a> {
    pub institution_id: Uuid,
    pub institution_name: &'a str,
    pub user_id: Uuid,
    /// The portal's address, for the link in the mail.
    pub portal_url: &'a str,
}

/// Sends reminders to the picked people for their unfinished courses of `fy` (and, for a
/// person picked as a whole, their required rules not yet acknowledged), in the caller's
/// transaction; returns how many people were reminded.
#[tracing::instrument(skip_all, fields(institution = %from.institution_id, fiscal_year = fy.year(), picked = picked.len()))]
pub async fn remind(
    conn: &mut PgConnection,
    from: &SentBy<'_>,
    fy: FiscalYear,
    today: Date,
    picked: &[Picked],
    message: &str,
) -> Result<usize, RemindError> {
    let inst = from.institution_id;
    let mut by_division: HashMap<Uuid, Vec<&Picked>> = HashMap::new();
    for p in picked {
        by_division.entry(p.division).or_default().push(p);
    }
    let mut all = Vec::new();
    for (division, picked) in &by_division {
        let standing = crate::standing::division(conn, inst, *division, fy, today).await?;
        all.extend(pending(
            &standing,
            |id, code| {
                picked
                    .iter()
                    .any(|p| p.person == id && p.course.as_deref().is_none_or(|c| c == code))
            },
            // A person picked as a whole is reminded of their rules even with every course
            // done; a course picked is about that course.
            |id| picked.iter().any(|p| p.person == id && p.course.is_none()),
        ));
    }
    if all.is_empty() {
        return Err(RemindError::Nobody);
    }
    let sender = Sender {
        institution_id: inst,
        institution_name: from.institution_name,
        fy,
        today,
        sent_by: Some(from.user_id),
        mail_after: None,
        portal_url: from.portal_url,
        titles: &kenshu_db::content::course_titles(conn).await?,
    };
    sender.send(conn, &all, message).await?;
    crate::metrics::OFFICER_REMINDERS.add(all.len() as u64);
    tracing::info!(people = all.len(), "reminders sent");
    Ok(all.len())
}

/// The person has read the reminders shown to them (marked seen; nothing shown again).
#[tracing::instrument(skip_all, fields(institution = %institution_id))]
pub async fn seen(
    conn: &mut PgConnection,
    institution_id: Uuid,
    user_id: Uuid,
) -> Result<(), sqlx::Error> {
    kenshu_db::reminder::mark_seen(conn, institution_id, user_id).await?;
    Ok(())
}
