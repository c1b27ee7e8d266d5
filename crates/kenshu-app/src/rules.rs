//! Rules read and acknowledged (誓約書・規程の確認, issue 17, item 2): the chief officer publishes
//! the institution's own documents (its 特定個人情報取扱規程, its security policy) as versioned
//! text with a minimum reading time; each person acknowledges the current version, not before
//! the reading time has passed since they first opened it (the server's clock, not the page's);
//! a new version asks everyone again. Publications and acknowledgements are in the audit log.

use std::collections::HashMap;

use kenshu_core::FiscalYear;
use kenshu_core::audit::AuditAction;
use kenshu_core::plan::{PersonFacts, RuleAssignment, RuleState, rule_assignments, rule_state};
use kenshu_db::plan::PlanRecord;
use kenshu_db::rules::{self as store, NewVersion};
use sqlx::PgConnection;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::audit::Actor;

/// Longest reading time a document may ask for: an hour.
pub const MAX_READ_SECS: i32 = 3600;
/// Longest text: 200,000 characters (a long 規程 is some 30,000).
pub const MAX_BODY: usize = 200_000;

/// What is wrong with a document to publish, field by field.
#[derive(Debug, PartialEq, Eq)]
pub enum DraftProblem {
    /// The code: lower-case letters, digits and hyphens, starting with a letter or digit, at
    /// most 64.
    Code,
    /// The title: 1 to 200 characters.
    Title,
    /// The text: 1 to 200,000 characters.
    Body,
    /// The reading time: 0 to 3600 seconds.
    ReadSecs,
    /// A My Number in the title or text: never published.
    MyNumber,
}

/// A document as the chief officer typed it.
pub struct Draft<'a> {
    pub code: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub min_read_secs: i32,
}

/// The problems of a draft, none when it may be published.
pub fn check(d: &Draft<'_>) -> Vec<DraftProblem> {
    let mut problems = Vec::new();
    let code_ok = !d.code.is_empty()
        && d.code.len() <= 64
        && d.code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !d.code.starts_with('-');
    if !code_ok {
        problems.push(DraftProblem::Code);
    }
    let title = d.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        problems.push(DraftProblem::Title);
    }
    if d.body.trim().is_empty() || d.body.chars().count() > MAX_BODY {
        problems.push(DraftProblem::Body);
    }
    if !(0..=MAX_READ_SECS).contains(&d.min_read_secs) {
        problems.push(DraftProblem::ReadSecs);
    }
    if kenshu_core::my_number::contains_my_number(d.title)
        || kenshu_core::my_number::contains_my_number(d.body)
    {
        problems.push(DraftProblem::MyNumber);
    }
    problems
}

/// Publishes the draft as the document's next version (the first makes the document): the
/// version's number, or what is wrong with the draft.
pub async fn publish(
    conn: &mut PgConnection,
    actor: &Actor<'_>,
    d: &Draft<'_>,
) -> Result<Result<i32, Vec<DraftProblem>>, sqlx::Error> {
    let problems = check(d);
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let version = store::publish(
        &mut tx,
        actor.institution_id,
        &NewVersion {
            code: d.code,
            title: d.title.trim(),
            body: d.body,
            min_read_secs: d.min_read_secs,
            published_by: actor.person_id("publishing a rule")?,
        },
    )
    .await?;
    actor
        .record(
            &mut tx,
            AuditAction::RulePublished,
            d.code,
            &format!(
                "version {version}: {} (reading time {} s)",
                d.title.trim(),
                d.min_read_secs
            ),
        )
        .await?;
    tx.commit().await?;
    Ok(Ok(version))
}

/// Why an acknowledgement is not taken.
#[derive(Debug, PartialEq, Eq)]
pub enum AckRefusal {
    /// The version acknowledged is no longer the current one (a new one was published while
    /// the page was open): read the new one.
    NotCurrent,
    /// Opened too recently: so many seconds more.
    TooSoon { secs: i64 },
}

/// Records that the person read and acknowledged the current version `version` of `code`.
/// Whether it is new (a second press records nothing more).
pub async fn acknowledge(
    conn: &mut PgConnection,
    actor: &Actor<'_>,
    code: &str,
    version: i32,
) -> Result<Option<Result<bool, AckRefusal>>, sqlx::Error> {
    let user = actor.person_id("acknowledging a rule")?;
    let Some(current) = store::current(conn, actor.institution_id, code).await? else {
        return Ok(None);
    };
    if current.version != version {
        return Ok(Some(Err(AckRefusal::NotCurrent)));
    }
    let read = store::opened(conn, actor.institution_id, user, code, version).await?;
    let need = i64::from(current.min_read_secs);
    if read < need {
        return Ok(Some(Err(AckRefusal::TooSoon { secs: need - read })));
    }
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let new = store::acknowledge(
        &mut tx,
        actor.institution_id,
        user,
        code,
        version,
        i32::try_from(read).unwrap_or(i32::MAX),
    )
    .await?;
    if new {
        actor
            .record(
                &mut tx,
                AuditAction::RuleAcknowledged,
                code,
                &format!("version {version}, read for {read} s"),
            )
            .await?;
    }
    tx.commit().await?;
    Ok(Some(Ok(new)))
}

/// One rule the plan requires of a person, and where they stand with it.
#[derive(Debug, Clone)]
pub struct Required {
    pub code: String,
    /// The current version's title.
    pub title: String,
    /// The current version: the one that counts.
    pub version: i32,
    /// The deadline for the current version (`kenshu_core::plan::rule_deadline`).
    pub deadline: Date,
    pub state: RuleState,
    /// When they acknowledged the current version.
    pub acknowledged_at: Option<OffsetDateTime>,
    /// The latest version they acknowledged, current or not.
    pub last_version: Option<i32>,
}

impl Required {
    pub fn done(&self) -> bool {
        self.state == RuleState::Acknowledged
    }
}

/// Where a person stands with the rules `assigned` to them under `plan`, judged on `today`;
/// `ack` gives their latest acknowledgement (version, when) of a document.
pub fn judge(
    plan: &PlanRecord,
    assigned: &[RuleAssignment],
    today: Date,
    ack: impl Fn(&str) -> Option<(i32, OffsetDateTime)>,
) -> Vec<Required> {
    assigned
        .iter()
        .filter_map(|a| {
            let r = plan.rule(&a.code)?;
            let last = ack(&a.code);
            let current = last.filter(|(v, _)| *v == r.version).map(|(_, at)| at);
            let deadline = r.deadline_for(a.deadline);
            Some(Required {
                code: a.code.clone(),
                title: r.title.clone(),
                version: r.version,
                deadline,
                state: rule_state(current.is_some(), deadline, today),
                acknowledged_at: current,
                last_version: last.map(|(v, _)| v),
            })
        })
        .collect()
}

/// The rules `plan` requires of a person with `facts`, as of `on` (see
/// `kenshu_core::plan::assignments`), judged on `today`.
pub fn required(
    plan: &PlanRecord,
    facts: &PersonFacts,
    on: Date,
    today: Date,
    ack: impl Fn(&str) -> Option<(i32, OffsetDateTime)>,
) -> Vec<Required> {
    if plan.rules.is_empty() {
        return Vec::new();
    }
    let assigned = rule_assignments(&plan.plan, &plan.plan_rules(), facts, on);
    judge(plan, &assigned, today, ack)
}

/// Acknowledgements by person and document, to look up.
pub fn ack_index(acks: &[kenshu_db::rules::Ack]) -> HashMap<(Uuid, &str), (i32, OffsetDateTime)> {
    acks.iter()
        .map(|a| ((a.user_id, a.code.as_str()), (a.version, a.acknowledged_at)))
        .collect()
}

/// Counts of one division (or the whole) for the required rules: people × rules required,
/// acknowledged (the current version), overdue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleCounts {
    pub required: u64,
    pub acknowledged: u64,
    pub overdue: u64,
}

impl RuleCounts {
    pub fn add(&mut self, r: &Required) {
        self.required += 1;
        match r.state {
            RuleState::Acknowledged => self.acknowledged += 1,
            RuleState::Overdue => self.overdue += 1,
            RuleState::Pending => {}
        }
    }

    /// Neither acknowledged nor overdue.
    pub fn pending(&self) -> u64 {
        self.required
            .saturating_sub(self.acknowledged + self.overdue)
    }
}

/// The rule counts of every division of the institution for `fy`, judged on `today` (the
/// overview): the plan, and only when it requires rules the counts kept under the current
/// stamp (`kenshu_db::rules::kept_counts`); when the stamp changed, one read of everyone's
/// facts with their acknowledgements, judged, and kept. Empty without required rules. The
/// caller has brought the overview's counts up to date (the stamp follows their refresh).
pub async fn counts_by_division(
    conn: &mut PgConnection,
    institution: Uuid,
    fy: FiscalYear,
    today: Date,
) -> Result<HashMap<Uuid, RuleCounts>, sqlx::Error> {
    let Some(plan) = kenshu_db::plan::plan(&mut *conn, institution, fy)
        .await?
        .filter(|p| p.plan.approved && !p.rules.is_empty())
    else {
        return Ok(HashMap::new());
    };
    let (stamp, kept) =
        kenshu_db::rules::kept_counts(&mut *conn, institution, fy.year(), today).await?;
    let as_counts = |(division, required, acknowledged, overdue): (Uuid, i64, i64, i64)| {
        let n = |v: i64| v.unsigned_abs();
        let counts = RuleCounts {
            required: n(required),
            acknowledged: n(acknowledged),
            overdue: n(overdue),
        };
        (division, counts)
    };
    if let Some(kept) = kept {
        return Ok(kept.into_iter().map(as_counts).collect());
    }
    let on = fy.judged_on(today);
    let people = kenshu_db::plan::facts_for_institution(&mut *conn, institution, on).await?;
    let mut out: HashMap<Uuid, RuleCounts> = HashMap::new();
    for p in &people {
        for r in required(&plan, &p.facts, on, today, |c| p.ack(c)) {
            out.entry(p.division_id).or_default().add(&r);
        }
    }
    if let Some(stamp) = stamp {
        let signed = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let kept: kenshu_db::rules::KeptCounts = out
            .iter()
            .map(|(d, c)| {
                (
                    *d,
                    signed(c.required),
                    signed(c.acknowledged),
                    signed(c.overdue),
                )
            })
            .collect();
        kenshu_db::rules::keep_counts(&mut *conn, institution, fy.year(), &stamp, &kept).await?;
    }
    Ok(out)
}
