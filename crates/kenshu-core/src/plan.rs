//! Training plans (研修計画) and the rule that turns a plan and a person's facts into the
//! courses they must take, by when.

use time::{Date, Duration};

use crate::FiscalYear;
use crate::person::Role;

/// What makes a person a target of a course: a designation held, or an officer role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DesignationKind {
    Clerk,
    FileHandler,
    SystemAdmin,
    ProtectionOfficer,
    ChiefOfficer,
    AuditOfficer,
}

impl DesignationKind {
    pub const ALL: [DesignationKind; 6] = [
        DesignationKind::Clerk,
        DesignationKind::FileHandler,
        DesignationKind::SystemAdmin,
        DesignationKind::ProtectionOfficer,
        DesignationKind::ChiefOfficer,
        DesignationKind::AuditOfficer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DesignationKind::Clerk => "clerk",
            DesignationKind::FileHandler => "file_handler",
            DesignationKind::SystemAdmin => "system_admin",
            DesignationKind::ProtectionOfficer => "protection_officer",
            DesignationKind::ChiefOfficer => "chief_officer",
            DesignationKind::AuditOfficer => "audit_officer",
        }
    }

    /// The identifier or the Japanese name.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s || crate::i18n::JA.designation_kind(*k) == s)
            .or(match s {
                "ファイル取扱者" | "特定個人情報ファイルを取り扱う事務に従事する者" => {
                    Some(DesignationKind::FileHandler)
                }
                "システム管理者" => Some(DesignationKind::SystemAdmin),
                _ => None,
            })
    }

    /// Officer designations (protection, chief, audit), which the chief officer makes.
    pub fn is_officer(self) -> bool {
        self.role().is_some()
    }

    /// The officer role that counts as this designation, for people whose account has it.
    fn role(self) -> Option<Role> {
        match self {
            DesignationKind::ProtectionOfficer => Some(Role::ProtectionOfficer),
            DesignationKind::ChiefOfficer => Some(Role::ChiefOfficer),
            DesignationKind::AuditOfficer => Some(Role::AuditOfficer),
            _ => None,
        }
    }
}

/// Who a course is for: everyone, or holders of a designation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    Everyone,
    Designated(DesignationKind),
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Everyone => "all",
            Target::Designated(k) => k.as_str(),
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "all" | "全職員" | "全員" => Some(Target::Everyone),
            other => DesignationKind::parse(other).map(Target::Designated),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanCourse {
    pub code: String,
    pub audience: Vec<Target>,
    pub starts_on: Date,
    pub deadline: Date,
    /// 再受講の機会: until when those who missed the deadline may still complete it.
    pub retake_until: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub fiscal_year: FiscalYear,
    pub approved: bool,
    /// Days a newcomer has for individual training after arriving.
    pub newcomer_days: i64,
    pub courses: Vec<PlanCourse>,
}

/// A designation held from one day to another (inclusive; open-ended when `to` is None).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    pub kind: DesignationKind,
    pub from: Date,
    pub to: Option<Date>,
}

impl Held {
    pub fn on(&self, date: Date) -> bool {
        self.from <= date && self.to.is_none_or(|t| date <= t)
    }
}

/// What the rule needs to know about a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonFacts {
    pub role: Role,
    /// The day they arrived where they are: hired, or transferred into their current division.
    pub arrived_on: Date,
    pub left_on: Option<Date>,
    pub designations: Vec<Held>,
}

impl PersonFacts {
    /// The day this person's assignments of a year are taken and judged on, given the day
    /// they are for everyone else (`on`, or today): that day, or the day they left if earlier.
    /// A leaver keeps what they were assigned when they left and is never overdue for a
    /// deadline that fell after they had gone. The overview's recount (kenshu-db) and the
    /// annual report both follow this.
    pub fn as_of(&self, on: Date) -> Date {
        self.left_on.map_or(on, |l| on.min(l))
    }
}

/// The courses `person` had to take in `fy`, as of `on` (see [`PersonFacts::as_of`]): none
/// for someone who left before the year began. The rule of the annual report and the
/// overview alike.
pub fn year_assignments(
    plan: &Plan,
    person: &PersonFacts,
    fy: FiscalYear,
    on: Date,
) -> Vec<Assignment> {
    if person.left_on.is_some_and(|l| l < fy.start()) {
        return Vec::new();
    }
    assignments(plan, person, person.as_of(on))
}

/// One course a person must take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub code: String,
    pub deadline: Date,
    pub retake_until: Option<Date>,
    /// Became a target after the period started: trained individually, with their own deadline.
    pub individual: bool,
    /// The day they became a target.
    pub since: Date,
}

/// The courses `person` must take under `plan`, as of `on`. An unapproved plan assigns
/// nothing; a person who has left is assigned nothing after leaving.
pub fn assignments(plan: &Plan, person: &PersonFacts, on: Date) -> Vec<Assignment> {
    if !plan.approved || person.left_on.is_some_and(|l| l < on) {
        return Vec::new();
    }
    plan.courses
        .iter()
        .filter_map(|c| {
            let since = target_since(&c.audience, person, on)?;
            let individual = since > c.starts_on;
            let deadline = if individual {
                c.deadline.max(since + Duration::days(plan.newcomer_days))
            } else {
                c.deadline
            };
            Some(Assignment {
                code: c.code.clone(),
                deadline,
                retake_until: c.retake_until.map(|r| r.max(deadline)),
                individual,
                since: since.max(c.starts_on),
            })
        })
        .collect()
}

/// The day `person` became one of `audience` (as of `on`): their arrival for everyone, the
/// first day of a designation they hold on `on`, or their arrival for an officer role they
/// have. None: not in the audience.
fn target_since(audience: &[Target], person: &PersonFacts, on: Date) -> Option<Date> {
    audience
        .iter()
        .filter_map(|t| match t {
            Target::Everyone => Some(person.arrived_on),
            Target::Designated(kind) => {
                let by_role = kind
                    .role()
                    .filter(|r| *r == person.role)
                    .map(|_| person.arrived_on);
                let by_designation = person
                    .designations
                    .iter()
                    .filter(|h| h.kind == *kind && h.on(on))
                    .map(|h| h.from)
                    .min();
                by_role.into_iter().chain(by_designation).min()
            }
        })
        .min()
}

/// A rule (規程) the plan requires to be read and acknowledged, like a course: by audience and
/// deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRule {
    pub code: String,
    pub audience: Vec<Target>,
    pub deadline: Date,
}

/// One rule a person must acknowledge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleAssignment {
    pub code: String,
    /// The plan's deadline, or a newcomer's own (arrival plus the plan's newcomer days) when
    /// they became a target after the year began. [`rule_deadline`] moves it for a version
    /// published late.
    pub deadline: Date,
    pub individual: bool,
}

/// The rules `person` must acknowledge under `plan`, as of `on`: the rule of
/// [`assignments`] (audience, newcomers, leavers, approval), the fiscal year's first day
/// standing for a course's start.
pub fn rule_assignments(
    plan: &Plan,
    rules: &[PlanRule],
    person: &PersonFacts,
    on: Date,
) -> Vec<RuleAssignment> {
    if !plan.approved || person.left_on.is_some_and(|l| l < on) {
        return Vec::new();
    }
    rules
        .iter()
        .filter_map(|r| {
            let since = target_since(&r.audience, person, on)?;
            let individual = since > plan.fiscal_year.start();
            let deadline = if individual {
                r.deadline.max(since + Duration::days(plan.newcomer_days))
            } else {
                r.deadline
            };
            Some(RuleAssignment {
                code: r.code.clone(),
                deadline,
                individual,
            })
        })
        .collect()
}

/// The rules `person` had to acknowledge in `fy`, as of `on`, as [`year_assignments`] reads
/// courses: none for someone who left before the year began, a leaver's as of their last day.
pub fn year_rule_assignments(
    plan: &Plan,
    rules: &[PlanRule],
    person: &PersonFacts,
    fy: FiscalYear,
    on: Date,
) -> Vec<RuleAssignment> {
    if person.left_on.is_some_and(|l| l < fy.start()) {
        return Vec::new();
    }
    rule_assignments(plan, rules, person, person.as_of(on))
}

/// Days everyone has to acknowledge a new version, whatever the plan's deadline.
pub const RULE_GRACE_DAYS: i64 = 30;

/// The deadline for acknowledging a rule's current version: the assignment's, but never less
/// than [`RULE_GRACE_DAYS`] after the version was published. A version published after the
/// deadline (or just before it) asks everyone again with 30 days to read it: nobody turns
/// overdue on the day a new text appears.
pub fn rule_deadline(assigned: Date, published_on: Date) -> Date {
    assigned.max(published_on + Duration::days(RULE_GRACE_DAYS))
}

/// Where a person stands with a required rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleState {
    /// The current version is acknowledged.
    Acknowledged,
    /// Not yet, and the deadline has not passed.
    Pending,
    /// Not yet, and the deadline has passed.
    Overdue,
}

impl RuleState {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleState::Acknowledged => "acknowledged",
            RuleState::Pending => "pending",
            RuleState::Overdue => "overdue",
        }
    }
}

/// The state of a required rule: only an acknowledgement of the current version counts (a
/// new version asks again); overdue the day after `deadline` (from [`rule_deadline`]), as a
/// course is.
pub fn rule_state(acknowledged_current: bool, deadline: Date, today: Date) -> RuleState {
    if acknowledged_current {
        RuleState::Acknowledged
    } else if today > deadline {
        RuleState::Overdue
    } else {
        RuleState::Pending
    }
}

/// The standard plan: everyone takes the clerk course, cybersecurity and the final test;
/// protection officers also their own course. Period: the whole fiscal year, deadline the end
/// of December, re-attendance until the end of the fiscal year.
pub fn standard_courses(fy: FiscalYear) -> Vec<PlanCourse> {
    let start = fy.start();
    let deadline =
        Date::from_calendar_date(fy.year(), time::Month::December, 31).unwrap_or(fy.end());
    let course = |code: &str, audience: Vec<Target>| PlanCourse {
        code: code.to_string(),
        audience,
        starts_on: start,
        deadline,
        retake_until: Some(fy.end()),
    };
    vec![
        course("clerk", vec![Target::Everyone]),
        course(
            "protection-officer",
            vec![Target::Designated(DesignationKind::ProtectionOfficer)],
        ),
        course("cybersecurity", vec![Target::Everyone]),
        course("final-test", vec![Target::Everyone]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn plan(approved: bool) -> Plan {
        let mut courses = standard_courses(FiscalYear::stored(2025));
        courses[0].audience = vec![Target::Designated(DesignationKind::Clerk)];
        Plan {
            fiscal_year: FiscalYear::stored(2025),
            approved,
            newcomer_days: 30,
            courses,
        }
    }

    fn staff(arrived: Date) -> PersonFacts {
        PersonFacts {
            role: Role::Staff,
            arrived_on: arrived,
            left_on: None,
            designations: Vec::new(),
        }
    }

    fn codes(a: &[Assignment]) -> Vec<&str> {
        a.iter().map(|a| a.code.as_str()).collect()
    }

    #[test]
    fn a_plan_that_is_not_approved_assigns_nothing() {
        assert!(
            assignments(
                &plan(false),
                &staff(date!(2020 - 04 - 01)),
                date!(2025 - 06 - 01)
            )
            .is_empty()
        );
        assert_eq!(
            assignments(
                &plan(true),
                &staff(date!(2020 - 04 - 01)),
                date!(2025 - 06 - 01)
            )
            .len(),
            2
        );
    }

    #[test]
    fn a_helper_designated_for_one_month_is_a_clerk_for_that_month_only() {
        let mut p = staff(date!(2020 - 04 - 01));
        p.designations.push(Held {
            kind: DesignationKind::Clerk,
            from: date!(2026 - 01 - 05),
            to: Some(date!(2026 - 01 - 31)),
        });
        assert!(!codes(&assignments(&plan(true), &p, date!(2026 - 01 - 04))).contains(&"clerk"));
        let during = assignments(&plan(true), &p, date!(2026 - 01 - 20));
        let clerk = during
            .iter()
            .find(|a| a.code == "clerk")
            .expect("a clerk in January");
        assert!(clerk.individual, "designated after the period started");
        assert_eq!(clerk.since, date!(2026 - 01 - 05));
        assert_eq!(
            clerk.deadline,
            date!(2026 - 02 - 04),
            "30 days after the designation"
        );
        assert!(!codes(&assignments(&plan(true), &p, date!(2026 - 02 - 01))).contains(&"clerk"));
    }

    #[test]
    fn a_newcomer_after_the_start_gets_individual_training_with_their_own_deadline() {
        let early = assignments(
            &plan(true),
            &staff(date!(2025 - 04 - 01)),
            date!(2025 - 05 - 01),
        );
        assert!(
            early
                .iter()
                .all(|a| !a.individual && a.deadline == date!(2025 - 12 - 31))
        );
        let late = assignments(
            &plan(true),
            &staff(date!(2025 - 12 - 15)),
            date!(2025 - 12 - 20),
        );
        assert!(late.iter().all(|a| a.individual), "{late:?}");
        assert_eq!(late[0].deadline, date!(2026 - 01 - 14));
        let mid = assignments(
            &plan(true),
            &staff(date!(2025 - 07 - 01)),
            date!(2025 - 07 - 02),
        );
        assert_eq!(
            mid[0].deadline,
            date!(2025 - 12 - 31),
            "never earlier than the plan's deadline"
        );
        assert!(mid[0].individual);
    }

    #[test]
    fn officers_are_targets_by_role_or_by_designation_and_leavers_are_not() {
        let mut officer = staff(date!(2020 - 04 - 01));
        officer.role = Role::ProtectionOfficer;
        assert!(
            codes(&assignments(&plan(true), &officer, date!(2025 - 06 - 01)))
                .contains(&"protection-officer")
        );
        let mut designated = staff(date!(2020 - 04 - 01));
        designated.designations.push(Held {
            kind: DesignationKind::ProtectionOfficer,
            from: date!(2025 - 04 - 01),
            to: None,
        });
        assert!(
            codes(&assignments(
                &plan(true),
                &designated,
                date!(2025 - 06 - 01)
            ))
            .contains(&"protection-officer")
        );
        let mut gone = staff(date!(2020 - 04 - 01));
        gone.left_on = Some(date!(2025 - 10 - 31));
        assert!(!assignments(&plan(true), &gone, date!(2025 - 10 - 31)).is_empty());
        assert!(assignments(&plan(true), &gone, date!(2025 - 11 - 01)).is_empty());
    }

    #[test]
    fn in_the_year_a_leaver_keeps_what_they_had_on_their_last_day() {
        let fy = FiscalYear::of(date!(2025 - 06 - 01));
        let mut gone = staff(date!(2020 - 04 - 01));
        gone.left_on = Some(date!(2025 - 10 - 31));
        gone.designations.push(Held {
            kind: DesignationKind::ProtectionOfficer,
            from: date!(2025 - 11 - 15),
            to: None,
        });
        assert_eq!(gone.as_of(date!(2026 - 03 - 31)), date!(2025 - 10 - 31));
        assert_eq!(gone.as_of(date!(2025 - 09 - 01)), date!(2025 - 09 - 01));
        let kept = year_assignments(&plan(true), &gone, fy, date!(2026 - 03 - 31));
        assert_eq!(
            codes(&kept),
            codes(&assignments(&plan(true), &gone, date!(2025 - 10 - 31))),
            "the assignments of the last day, not none"
        );
        assert!(!kept.is_empty());
        assert!(
            !codes(&kept).contains(&"protection-officer"),
            "a designation that began after leaving does not count"
        );
        gone.left_on = Some(date!(2025 - 03 - 31));
        assert!(
            year_assignments(&plan(true), &gone, fy, date!(2025 - 06 - 01)).is_empty(),
            "left before the year began"
        );
    }

    #[test]
    fn designation_kinds_parse_from_japanese_names() {
        assert_eq!(
            DesignationKind::parse("事務取扱担当者"),
            Some(DesignationKind::Clerk)
        );
        assert_eq!(
            DesignationKind::parse("file_handler"),
            Some(DesignationKind::FileHandler)
        );
        assert_eq!(Target::parse("全職員"), Some(Target::Everyone));
        assert_eq!(Target::parse("課長"), None);
    }

    #[test]
    fn a_required_rule_follows_the_audience_and_a_newcomer_gets_their_own_deadline() {
        let rules = [
            PlanRule {
                code: "kitei".into(),
                audience: vec![Target::Everyone],
                deadline: date!(2025 - 06 - 30),
            },
            PlanRule {
                code: "policy".into(),
                audience: vec![Target::Designated(DesignationKind::Clerk)],
                deadline: date!(2025 - 06 - 30),
            },
        ];
        let on = date!(2025 - 05 - 01);
        let a = rule_assignments(&plan(true), &rules, &staff(Date::MIN), on);
        assert_eq!(a.len(), 1, "not a clerk: {a:?}");
        assert_eq!(
            (a[0].deadline, a[0].individual),
            (date!(2025 - 06 - 30), false)
        );
        assert!(rule_assignments(&plan(false), &rules, &staff(Date::MIN), on).is_empty());
        let newcomer = rule_assignments(&plan(true), &rules, &staff(date!(2025 - 06 - 20)), on);
        assert_eq!(
            (newcomer[0].deadline, newcomer[0].individual),
            (date!(2025 - 07 - 20), true),
            "arrival plus the plan's 30 newcomer days"
        );
    }

    #[test]
    fn a_new_version_gives_30_days_and_only_the_current_one_counts() {
        let deadline = date!(2025 - 06 - 30);
        assert_eq!(rule_deadline(deadline, date!(2025 - 04 - 01)), deadline);
        assert_eq!(
            rule_deadline(deadline, date!(2025 - 09 - 01)),
            date!(2025 - 10 - 01),
            "a version published after the deadline: 30 days from publication"
        );
        let today = date!(2025 - 07 - 01);
        assert_eq!(rule_state(true, deadline, today), RuleState::Acknowledged);
        assert_eq!(rule_state(false, deadline, today), RuleState::Overdue);
        assert_eq!(rule_state(false, deadline, deadline), RuleState::Pending);
    }
}
