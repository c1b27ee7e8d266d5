//! Digests (督促の取りまとめ) to officers: who receives which list this week, and who is left
//! out and why. The preview page shows exactly what the schedule ([`schedule`]) would send,
//! because both read [`prepare`].

pub mod deputy;
pub mod schedule;

use std::collections::{HashMap, HashSet};

use kenshu_core::FiscalYear;
use kenshu_core::assignment::Status;
use kenshu_core::digest::{Line, Rules, days_overdue};
use kenshu_core::plan::RuleState;
use kenshu_db::PgConnection;
use kenshu_db::digest::Recipient;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// Whose digest: a protection officer's (their divisions) or a chief officer's (everyone past
/// the plan's threshold, by division).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Officer,
    Chief,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Officer => "officer",
            Kind::Chief => "chief",
        }
    }
}

/// How a digest reaches its recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The officer receives their own.
    Officer,
    /// The deputy named for the day, while the officer is absent.
    Deputy,
    /// The officer is on leave (休職中) and no deputy covers them: the chief officer.
    Chief,
}

/// One digest to send.
#[derive(Debug, Clone)]
pub struct Digest {
    pub kind: Kind,
    /// The officer whose digest it is.
    pub officer: Recipient,
    /// Who receives it: the officer, their deputy while they are absent, or the chief officer
    /// while they are on leave with no deputy ([`Via`]).
    pub recipient: Recipient,
    pub via: Via,
    pub lines: Vec<Line>,
    /// The people listed, for the record.
    pub people: Vec<Uuid>,
    /// The divisions it covers (a protection officer's reach; every division for a chief).
    pub divisions: Vec<Uuid>,
}

impl Digest {
    pub fn by_deputy(&self) -> bool {
        self.via == Via::Deputy
    }

    /// Whose digest the recipient receives in the officer's place, and why (for the mail).
    pub fn stand_in(&self) -> Option<kenshu_core::digest::StandIn<'_>> {
        use kenshu_core::digest::StandIn;
        match self.via {
            Via::Officer => None,
            Via::Deputy => Some(StandIn::Deputy(&self.officer.name)),
            Via::Chief => Some(StandIn::Chief(&self.officer.name)),
        }
    }
}

pub use kenshu_core::digest::SkipReason as Reason;

/// One entry of the "left out" list.
#[derive(Debug, Clone)]
pub struct Skipped {
    /// The person (or, for NoMail and Deputy, the officer) concerned.
    pub who: String,
    pub division: String,
    pub division_id: Option<Uuid>,
    pub course: String,
    pub reason: Reason,
    /// Whose digest this entry concerns (NoMail, Deputy), for an officer's own preview.
    pub officer_id: Option<Uuid>,
    /// The deputy's name, for Deputy.
    pub detail: String,
}

/// What the schedule would send in an institution this week.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub rules: Rules,
    pub week: Date,
    pub digests: Vec<Digest>,
    pub skipped: Vec<Skipped>,
}

/// One overdue course of one person, before it is given to officers.
struct Overdue {
    person: Uuid,
    division: Uuid,
    line: Line,
}

/// Who would receive which digest in an institution on `today`, and who is left out: from
/// every division's standing (the same answer the dashboard shows), the officers' reach and
/// the deputies of the day. `None` without an approved plan for the year.
#[tracing::instrument(skip_all, fields(institution = %institution_id, %today))]
pub async fn prepare(
    conn: &mut PgConnection,
    institution_id: Uuid,
    today: Date,
) -> Result<Option<Prepared>, sqlx::Error> {
    let fy = FiscalYear::of(today);
    let Some(plan) = kenshu_db::plan::plan(conn, institution_id, fy)
        .await?
        .filter(|p| p.plan.approved)
    else {
        return Ok(None);
    };
    let rules = plan.digest.clone();
    let titles = kenshu_db::content::course_titles(conn).await?;
    let divisions = kenshu_db::institution::divisions(conn, institution_id).await?;
    let names: HashMap<Uuid, String> = divisions.iter().map(|d| (d.id, d.name.clone())).collect();
    let mut overdue: Vec<Overdue> = Vec::new();
    let mut skipped: Vec<Skipped> = Vec::new();
    let mut completed: Vec<(Uuid, String, Date, Skipped)> = Vec::new();
    for division in &divisions {
        let standing =
            crate::standing::division(conn, institution_id, division.id, fy, today).await?;
        for l in standing.lines.iter().filter(|l| l.deadline < today) {
            let person = &standing.people[l.person];
            let course = titles
                .get(&l.assignment.code)
                .cloned()
                .unwrap_or_else(|| l.assignment.code.clone());
            let skip = |reason| Skipped {
                who: person.name.clone(),
                division: division.name.clone(),
                division_id: Some(division.id),
                course: course.clone(),
                reason,
                officer_id: None,
                detail: String::new(),
            };
            match l.status {
                Status::Overdue => overdue.push(Overdue {
                    person: person.id,
                    division: division.id,
                    line: Line {
                        person: person.name.clone(),
                        division: division.name.clone(),
                        course: course.clone(),
                        deadline: l.deadline,
                        days_overdue: days_overdue(l.deadline, today),
                    },
                }),
                Status::Exempt => skipped.push(skip(Reason::Exempt)),
                Status::Completed | Status::CompletedInPerson => completed.push((
                    person.id,
                    l.assignment.code.clone(),
                    l.deadline,
                    skip(Reason::Completed),
                )),
                Status::NotStarted | Status::InProgress => {}
            }
        }
        // The required rules (規程) past their deadline and not acknowledged in the current
        // version: listed like an overdue course.
        for r in standing
            .rules
            .iter()
            .filter(|r| r.required.state == RuleState::Overdue)
        {
            let person = &standing.people[r.person];
            overdue.push(Overdue {
                person: person.id,
                division: division.id,
                line: Line {
                    person: person.name.clone(),
                    division: division.name.clone(),
                    course: rule_item(kenshu_core::i18n::JA.digest_rule_item, &r.required.title),
                    deadline: r.required.deadline,
                    days_overdue: days_overdue(r.required.deadline, today),
                },
            });
        }
    }
    // Of those who completed a course past its deadline, the ones who did so late: they were
    // overdue until then. (Those on time were never anyone's concern.)
    if let Some(earliest) = completed.iter().map(|c| c.2).min() {
        let since = earliest
            .next_day()
            .unwrap_or(earliest)
            .midnight()
            .assume_offset(kenshu_core::fiscal_year::JST);
        let on: HashMap<(Uuid, String), Date> =
            kenshu_db::digest::completed_since(conn, institution_id, fy, since)
                .await?
                .into_iter()
                .map(|(who, code, at)| {
                    let day = at.to_offset(kenshu_core::fiscal_year::JST).date();
                    ((who, code), day)
                })
                .collect();
        for (who, code, deadline, entry) in completed {
            if on.get(&(who, code)).is_some_and(|day| *day > deadline) {
                skipped.push(entry);
            }
        }
    }
    let people: Vec<Uuid> = overdue.iter().map(|o| o.person).collect();
    let on_leave: HashSet<Uuid> = kenshu_db::digest::on_leave(conn, institution_id, &people)
        .await?
        .into_iter()
        .collect();
    overdue.retain(|o| {
        if on_leave.contains(&o.person) {
            skipped.push(Skipped {
                who: o.line.person.clone(),
                division: o.line.division.clone(),
                division_id: Some(o.division),
                course: o.line.course.clone(),
                reason: Reason::OnLeave,
                officer_id: None,
                detail: String::new(),
            });
            false
        } else {
            true
        }
    });

    let deputies: HashMap<Uuid, Recipient> =
        kenshu_db::digest::deputies_on(conn, institution_id, today)
            .await?
            .into_iter()
            .collect();
    let officers = kenshu_db::digest::protection_officers(conn, institution_id, today).await?;
    let chiefs = kenshu_db::digest::chief_officers(conn, institution_id).await?;
    let route = Routes::new(conn, institution_id, &officers, &chiefs, deputies).await?;
    let covered: HashSet<Uuid> = officers
        .iter()
        .flat_map(|o| o.divisions.iter().copied())
        .collect();
    for o in overdue.iter().filter(|o| !covered.contains(&o.division)) {
        skipped.push(Skipped {
            who: o.line.person.clone(),
            division: o.line.division.clone(),
            division_id: Some(o.division),
            course: o.line.course.clone(),
            reason: Reason::NoOfficer,
            officer_id: None,
            detail: String::new(),
        });
    }
    let mut digests = Vec::new();
    for officer in officers {
        let mine: Vec<&Overdue> = overdue
            .iter()
            .filter(|o| officer.divisions.contains(&o.division))
            .collect();
        if !mine.is_empty() {
            let divisions = officer.divisions.clone();
            let division = divisions.first().and_then(|d| names.get(d));
            let division = division.cloned().unwrap_or_default();
            match route.officer(&officer) {
                Some(to) => digests.push(digest(Kind::Officer, officer, to, &mine, divisions)),
                None => skipped.push(unsent(&officer, division)),
            }
        }
    }
    let late: Vec<&Overdue> = overdue
        .iter()
        .filter(|o| o.line.days_overdue >= rules.chief_after_days)
        .collect();
    if !late.is_empty() {
        // Grouped by division in the order divisions are listed everywhere (by code).
        let order: HashMap<Uuid, usize> = divisions
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id, i))
            .collect();
        let mut late = late;
        late.sort_by_key(|o| order.get(&o.division).copied().unwrap_or(usize::MAX));
        let all: Vec<Uuid> = divisions.iter().map(|d| d.id).collect();
        for chief in chiefs {
            match route.own(&chief) {
                Some(to) => digests.push(digest(Kind::Chief, chief, to, &late, all.clone())),
                None => skipped.push(unsent(&chief, String::new())),
            }
        }
    }
    for d in &digests {
        let division = names
            .get(d.divisions.first().unwrap_or(&Uuid::nil()))
            .cloned()
            .unwrap_or_default();
        let concern = |reason| Skipped {
            who: d.officer.name.clone(),
            division: if d.kind == Kind::Officer {
                division.clone()
            } else {
                String::new()
            },
            division_id: None,
            course: String::new(),
            reason,
            officer_id: Some(d.officer.id),
            detail: d.recipient.name.clone(),
        };
        match d.via {
            Via::Officer => {}
            Via::Deputy => skipped.push(concern(Reason::Deputy)),
            Via::Chief => skipped.push(concern(Reason::AbsentToChief)),
        }
        if d.recipient.email.is_none() {
            skipped.push(Skipped {
                who: d.recipient.name.clone(),
                detail: String::new(),
                ..concern(Reason::NoMail)
            });
        }
    }
    Ok(Some(Prepared {
        rules,
        week: plan.digest.week_of(today),
        digests,
        skipped,
    }))
}

/// Where officers' digests go on the day, from the deputies named for it and who is on leave.
///
/// A deputy named for the day receives the officer's digest (unless on leave themselves: they
/// cannot act on it either); otherwise the officer, unless they are on leave (休職中). A
/// protection officer on leave with nobody standing in would be mailed a list nobody reads
/// while their people stay overdue, and skipping it would leave those people unfollowed just
/// as quietly: so their digest goes up the chain to the chief officer, who answers for the
/// training when a division's officer cannot (the first chief present by login ID, or that
/// chief's own deputy), marked as such in the mail and the preview (休職中・代理なし), so that
/// the chief can name a deputy. A chief officer's own digest has nobody above it: when they are
/// on leave with no deputy it is not sent, and the preview says so for the same reason.
struct Routes {
    deputies: HashMap<Uuid, Recipient>,
    on_leave: HashSet<Uuid>,
    /// Who takes a protection officer's digest when they are on leave with no deputy.
    chief: Option<Recipient>,
}

impl Routes {
    async fn new(
        conn: &mut PgConnection,
        institution_id: Uuid,
        officers: &[Recipient],
        chiefs: &[Recipient],
        deputies: HashMap<Uuid, Recipient>,
    ) -> Result<Routes, sqlx::Error> {
        let concerned: Vec<Uuid> = officers
            .iter()
            .chain(chiefs)
            .chain(deputies.values())
            .map(|r| r.id)
            .collect();
        let on_leave = kenshu_db::digest::on_leave(conn, institution_id, &concerned)
            .await?
            .into_iter()
            .collect();
        let mut routes = Routes {
            deputies,
            on_leave,
            chief: None,
        };
        routes.chief = chiefs.iter().find_map(|c| routes.own(c)).map(|(to, _)| to);
        Ok(routes)
    }

    /// The officer or their deputy; None when neither is there.
    fn own(&self, officer: &Recipient) -> Option<(Recipient, Via)> {
        let deputy = self
            .deputies
            .get(&officer.id)
            .filter(|d| !self.on_leave.contains(&d.id));
        match deputy {
            Some(d) => Some((d.clone(), Via::Deputy)),
            None if !self.on_leave.contains(&officer.id) => Some((officer.clone(), Via::Officer)),
            None => None,
        }
    }

    /// A protection officer's digest: theirs or their deputy's, else the chief officer's.
    fn officer(&self, officer: &Recipient) -> Option<(Recipient, Via)> {
        self.own(officer)
            .or_else(|| self.chief.clone().map(|c| (c, Via::Chief)))
    }
}

/// The "left out" entry of a digest nobody can receive.
fn unsent(officer: &Recipient, division: String) -> Skipped {
    Skipped {
        who: officer.name.clone(),
        division,
        division_id: None,
        course: String::new(),
        reason: Reason::AbsentUnsent,
        officer_id: Some(officer.id),
        detail: String::new(),
    }
}

/// A rule as a digest's line names it, in the digest's language (Japanese: a digest's lines
/// are written before the recipient is known, as the course titles are).
fn rule_item(template: &str, title: &str) -> String {
    template.replace("{title}", title)
}

fn digest(
    kind: Kind,
    officer: Recipient,
    (recipient, via): (Recipient, Via),
    lines: &[&Overdue],
    divisions: Vec<Uuid>,
) -> Digest {
    let mut people: Vec<Uuid> = lines.iter().map(|o| o.person).collect();
    people.sort_unstable();
    people.dedup();
    Digest {
        kind,
        officer,
        recipient,
        via,
        lines: lines.iter().map(|o| o.line.clone()).collect(),
        people,
        divisions,
    }
}

/// The preview of an institution's digests at `now`: what `prepare` finds, the day they go
/// out next and whether this week's went out already.
pub struct Preview {
    pub prepared: Option<Prepared>,
    pub next_day: Option<Date>,
    pub sent_this_week: bool,
}

pub async fn preview(
    conn: &mut PgConnection,
    institution_id: Uuid,
    now: OffsetDateTime,
) -> Result<Preview, sqlx::Error> {
    let today = now.to_offset(kenshu_core::fiscal_year::JST).date();
    let prepared = prepare(conn, institution_id, today).await?;
    let Some(p) = &prepared else {
        return Ok(Preview {
            prepared,
            next_day: None,
            sent_this_week: false,
        });
    };
    let sent_this_week = kenshu_db::digest::week_done(conn, institution_id, p.week).await?;
    let next_day = p
        .rules
        .enabled
        .then(|| p.rules.next_day(now, sent_this_week));
    Ok(Preview {
        prepared,
        next_day,
        sent_this_week,
    })
}
