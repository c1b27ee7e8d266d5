//! The scenario builder: the arrange part of a test, written as the story it tells.
//!
//! ```text
//! let yesterday = kenshu_core::japan_today() - time::Duration::days(1);
//! let s = Scenario::new(app.pool())                      // institution `test`, divisions a and b
//!     .plan(fy).course("clerk").deadline(yesterday).approved()
//!     .person("officer-a", Role::ProtectionOfficer)       // in division a
//!     .person("clerk-b", Role::Staff).in_division("b").designated(DesignationKind::Clerk, from)
//!     .person("gone-a", Role::Staff).left(yesterday)
//!     .completed("clerk-b", "clerk").in_person()
//!     .exempted("officer-a", "cybersecurity", "長期療養")
//!     .build()
//!     .await;
//! s.id("clerk-b");                                        // what was made, by login
//! ```
//!
//! What it makes, in this order, in one transaction, through the application's own functions
//! (`kenshu_db::institution`, `plans`, `users`, `designations`, `roster`, `progress`,
//! `follow_ups`), so that the data is what the portal itself would have written:
//!
//! - **The institution.** [`Scenario::new`] is the tests' institution `test` (テスト市) with
//!   divisions `a` (A課) and `b` (B課) and, when it is first made, this fiscal year's standard
//!   plan, approved — what most tests take for granted — unless the scenario declares its own
//!   plan for this year. [`Scenario::institution`] is another institution, bare. Both are
//!   found when they exist already, so a test may continue its story with a second scenario.
//!   [`Scenario::division`] adds a division.
//! - **Plans.** [`Scenario::plan`] is the standard plan of a year (as
//!   `kenshu_core::plan::standard_courses` makes it), left a draft unless
//!   [`approved`](Scenario::approved). [`course`](Scenario::course) or
//!   [`every_course`](Scenario::every_course) picks what the next
//!   [`starts`](Scenario::starts), [`deadline`](Scenario::deadline),
//!   [`retake_until`](Scenario::retake_until), [`audience`](Scenario::audience) and
//!   [`test_required`](Scenario::test_required) change; [`courses`](Scenario::courses) keeps
//!   only the courses named.
//! - **People.** [`Scenario::person`] makes an account (name `試験 LOGIN`, e-mail
//!   `LOGIN@CODE.example.jp`, password [`crate::PASSWORD`], in the first division) and
//!   [`Scenario::existing`] picks one made earlier; what follows describes that person, in the
//!   order written: [`in_division`](Scenario::in_division), [`named`](Scenario::named),
//!   [`without_email`](Scenario::without_email),
//!   [`must_change_password`](Scenario::must_change_password),
//!   [`arrived`](Scenario::arrived), [`designated`](Scenario::designated) (for the division
//!   they are in at that point; [`until`](Scenario::until) and [`note`](Scenario::note) finish
//!   the designation), [`transferred`](Scenario::transferred) and [`left`](Scenario::left)
//!   (their last day), as a roster import moves people.
//! - **Progress**, in the fiscal year of [`Scenario::year`] (this one unless said):
//!   [`completed`](Scenario::completed) (e-learning, now; [`in_person`](Scenario::in_person),
//!   [`score`](Scenario::score) and [`at`](Scenario::at) say otherwise),
//!   [`exempted`](Scenario::exempted) and [`retake`](Scenario::retake) (a re-attendance
//!   deadline). Exemptions and re-attendance are recorded as decided by the person themselves.
//!
//! Whatever the application cannot do itself (time passing, changes made behind its back) is
//! in [`crate::simulate`], one helper per thing simulated.

use std::collections::HashMap;

use kenshu_core::FiscalYear;
use kenshu_core::person::Role;
use kenshu_core::plan::{DesignationKind, PlanCourse, Target};
use kenshu_db::designation::NewDesignation;
use kenshu_db::learning::Learner;
use kenshu_db::person::NewUser;
use kenshu_db::{PgConnection, PgPool};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// The story of a test's data; [`Scenario::build`] writes it.
#[must_use = "a scenario is written by `.build().await`"]
pub struct Scenario<'p> {
    pool: &'p PgPool,
    code: String,
    name: String,
    /// The tests' institution: divisions a and b, and this year's approved standard plan.
    test_defaults: bool,
    divisions: Vec<(String, String)>,
    plans: Vec<Plan>,
    people: Vec<Person>,
    progress: Vec<Step>,
    year: FiscalYear,
    focus: Focus,
}

/// What the modifiers apply to: the last thing declared.
enum Focus {
    Nothing,
    Person(usize),
    Designation(usize, usize),
    /// A plan and its courses picked (all when `None`).
    Plan(usize, Option<String>),
    Completion(usize),
}

struct Plan {
    fy: FiscalYear,
    courses: Vec<PlanCourse>,
    test_required: Vec<String>,
    approved: bool,
}

struct Person {
    login: String,
    /// None for someone made earlier ([`Scenario::existing`]).
    new: Option<NewPerson>,
    steps: Vec<PersonStep>,
}

struct NewPerson {
    role: Role,
    division: Option<String>,
    name: Option<String>,
    email: bool,
    must_change: bool,
}

enum PersonStep {
    Arrived(Date),
    Designated {
        kind: DesignationKind,
        from: Date,
        to: Option<Date>,
        note: Option<String>,
    },
    Transferred {
        to: String,
        on: Date,
    },
    Left(Date),
}

enum Step {
    Completed {
        login: String,
        course: String,
        fy: FiscalYear,
        in_person: bool,
        score: Option<(i32, i32)>,
        at: Option<OffsetDateTime>,
    },
    Exempted {
        login: String,
        course: String,
        fy: FiscalYear,
        reason: String,
    },
    Retake {
        login: String,
        course: String,
        fy: FiscalYear,
        deadline: Date,
    },
}

/// What a scenario made (and the people it used), by name.
#[derive(Debug, Clone)]
pub struct Built {
    institution: Uuid,
    divisions: HashMap<String, Uuid>,
    people: HashMap<String, Uuid>,
    plans: HashMap<i32, Uuid>,
    designations: HashMap<String, Vec<Uuid>>,
}

impl Built {
    pub fn institution(&self) -> Uuid {
        self.institution
    }

    /// A division by code.
    pub fn division(&self, code: &str) -> Uuid {
        *self
            .divisions
            .get(code)
            .unwrap_or_else(|| panic!("no division {code} in the scenario"))
    }

    /// A person of the scenario by login ID.
    pub fn id(&self, login: &str) -> Uuid {
        *self
            .people
            .get(login)
            .unwrap_or_else(|| panic!("nobody called {login} in the scenario"))
    }

    /// The plan the scenario made for a fiscal year.
    pub fn plan(&self, fy: FiscalYear) -> Uuid {
        *self
            .plans
            .get(&fy.year())
            .unwrap_or_else(|| panic!("no plan for {} in the scenario", fy.year()))
    }

    /// The first designation the scenario gave `login`.
    pub fn designation(&self, login: &str) -> Uuid {
        self.designations
            .get(login)
            .and_then(|d| d.first().copied())
            .unwrap_or_else(|| panic!("no designation of {login} in the scenario"))
    }
}

fn this_year() -> FiscalYear {
    FiscalYear::of(kenshu_core::japan_today())
}

impl<'p> Scenario<'p> {
    /// The tests' institution `test` (テスト市) with divisions `a` (A課) and `b` (B課); when
    /// first made, with this fiscal year's standard plan approved unless the scenario declares
    /// its own plan for this year.
    pub fn new(pool: &'p PgPool) -> Self {
        let mut s = Self::institution(pool, "test", "テスト市")
            .division("a", "A課")
            .division("b", "B課");
        s.test_defaults = true;
        s
    }

    /// Another institution, with nothing in it unless declared.
    pub fn institution(pool: &'p PgPool, code: &str, name: &str) -> Self {
        Scenario {
            pool,
            code: code.to_string(),
            name: name.to_string(),
            test_defaults: false,
            divisions: Vec::new(),
            plans: Vec::new(),
            people: Vec::new(),
            progress: Vec::new(),
            year: this_year(),
            focus: Focus::Nothing,
        }
    }

    /// A division of the institution (made unless it exists).
    pub fn division(mut self, code: &str, name: &str) -> Self {
        self.divisions.push((code.to_string(), name.to_string()));
        self
    }

    // Plans.

    /// The standard plan of `fy`, a draft unless [`approved`](Self::approved); the course
    /// modifiers that follow change it.
    pub fn plan(mut self, fy: FiscalYear) -> Self {
        assert!(
            self.plans.iter().all(|p| p.fy != fy),
            "the plan of {} is declared twice",
            fy.year()
        );
        self.plans.push(Plan {
            fy,
            courses: kenshu_core::plan::standard_courses(fy),
            test_required: Vec::new(),
            approved: false,
        });
        self.focus = Focus::Plan(self.plans.len() - 1, None);
        self
    }

    /// The plan keeps only these courses.
    pub fn courses(mut self, codes: &[&str]) -> Self {
        let (plan, _) = self.plan_focus("courses");
        self.plans[plan]
            .courses
            .retain(|c| codes.contains(&c.code.as_str()));
        self
    }

    /// The course of the plan that the next modifiers change.
    pub fn course(mut self, code: &str) -> Self {
        let (plan, _) = self.plan_focus("course");
        assert!(
            self.plans[plan].courses.iter().any(|c| c.code == code),
            "the plan has no course {code}"
        );
        self.focus = Focus::Plan(plan, Some(code.to_string()));
        self
    }

    /// Every course of the plan is changed by the next modifiers.
    pub fn every_course(mut self) -> Self {
        let (plan, _) = self.plan_focus("every_course");
        self.focus = Focus::Plan(plan, None);
        self
    }

    pub fn starts(self, on: Date) -> Self {
        self.each_course("starts", |c| c.starts_on = on)
    }

    pub fn deadline(self, on: Date) -> Self {
        self.each_course("deadline", |c| c.deadline = on)
    }

    /// The end of the re-attendance period (再受講の機会); None for no such period.
    pub fn retake_until(self, on: Option<Date>) -> Self {
        self.each_course("retake_until", |c| c.retake_until = on)
    }

    pub fn audience(self, audience: &[Target]) -> Self {
        self.each_course("audience", |c| c.audience = audience.to_vec())
    }

    /// Attendance of an in-person session completes the course only with the test passed.
    pub fn test_required(mut self) -> Self {
        let (plan, picked) = self.plan_focus("test_required");
        let codes: Vec<String> = match picked {
            Some(code) => vec![code],
            None => self.plans[plan]
                .courses
                .iter()
                .map(|c| c.code.clone())
                .collect(),
        };
        self.plans[plan].test_required.extend(codes);
        self
    }

    /// The plan is approved.
    pub fn approved(mut self) -> Self {
        let (plan, _) = self.plan_focus("approved");
        self.plans[plan].approved = true;
        self
    }

    fn plan_focus(&self, what: &str) -> (usize, Option<String>) {
        match &self.focus {
            Focus::Plan(plan, picked) => (*plan, picked.clone()),
            _ => panic!("{what}() follows plan()"),
        }
    }

    fn each_course(mut self, what: &str, change: impl Fn(&mut PlanCourse)) -> Self {
        let (plan, picked) = self.plan_focus(what);
        for c in &mut self.plans[plan].courses {
            if picked.as_ref().is_none_or(|p| *p == c.code) {
                change(c);
            }
        }
        self
    }

    // People.

    /// A new account; what follows describes it.
    pub fn person(mut self, login: &str, role: Role) -> Self {
        self.people.push(Person {
            login: login.to_string(),
            new: Some(NewPerson {
                role,
                division: None,
                name: None,
                email: true,
                must_change: false,
            }),
            steps: Vec::new(),
        });
        self.focus = Focus::Person(self.people.len() - 1);
        self
    }

    /// Someone made before (by an earlier scenario or the test); what follows happens to them.
    pub fn existing(mut self, login: &str) -> Self {
        self.people.push(Person {
            login: login.to_string(),
            new: None,
            steps: Vec::new(),
        });
        self.focus = Focus::Person(self.people.len() - 1);
        self
    }

    /// The division the new account is made in (by code).
    pub fn in_division(mut self, code: &str) -> Self {
        self.new_person("in_division").division = Some(code.to_string());
        self
    }

    pub fn named(mut self, name: &str) -> Self {
        self.new_person("named").name = Some(name.to_string());
        self
    }

    pub fn without_email(mut self) -> Self {
        self.new_person("without_email").email = false;
        self
    }

    /// The password is an initial one, to be replaced at the first sign-in.
    pub fn must_change_password(mut self) -> Self {
        self.new_person("must_change_password").must_change = true;
        self
    }

    /// Hired and placed on `on` (`kenshu_db::person::set_arrival`).
    pub fn arrived(self, on: Date) -> Self {
        self.step("arrived", PersonStep::Arrived(on))
    }

    /// Designated from `from`, for the division the person is in at this point of the story.
    pub fn designated(mut self, kind: DesignationKind, from: Date) -> Self {
        let person = self.person_focus("designated");
        self.people[person].steps.push(PersonStep::Designated {
            kind,
            from,
            to: None,
            note: None,
        });
        self.focus = Focus::Designation(person, self.people[person].steps.len() - 1);
        self
    }

    /// The designation ends on `on` (inclusive).
    pub fn until(mut self, on: Date) -> Self {
        if let PersonStep::Designated { to, .. } = self.designation_focus("until") {
            *to = Some(on);
        }
        self
    }

    pub fn note(mut self, text: &str) -> Self {
        if let PersonStep::Designated { note, .. } = self.designation_focus("note") {
            *note = Some(text.to_string());
        }
        self
    }

    /// Moved to division `to` from `on`, as a roster import moves people: from that day on,
    /// or scheduled for it if it is still to come.
    pub fn transferred(self, to: &str, on: Date) -> Self {
        self.step(
            "transferred",
            PersonStep::Transferred {
                to: to.to_string(),
                on,
            },
        )
    }

    /// Leaves, `on` being their last day, as a roster import records it (once that day has
    /// passed: the account is disabled and signed out; before: scheduled).
    pub fn left(self, on: Date) -> Self {
        self.step("left", PersonStep::Left(on))
    }

    fn person_focus(&self, what: &str) -> usize {
        match self.focus {
            Focus::Person(p) | Focus::Designation(p, _) => p,
            _ => panic!("{what}() follows person() or existing()"),
        }
    }

    fn new_person(&mut self, what: &str) -> &mut NewPerson {
        let person = self.person_focus(what);
        self.people[person]
            .new
            .as_mut()
            .unwrap_or_else(|| panic!("{what}() describes a new person, not an existing one"))
    }

    fn step(mut self, what: &str, step: PersonStep) -> Self {
        let person = self.person_focus(what);
        self.people[person].steps.push(step);
        self.focus = Focus::Person(person);
        self
    }

    fn designation_focus(&mut self, what: &str) -> &mut PersonStep {
        match self.focus {
            Focus::Designation(p, d) => &mut self.people[p].steps[d],
            _ => panic!("{what}() follows designated()"),
        }
    }

    // Progress.

    /// The fiscal year of the progress that follows (this one unless said).
    pub fn year(mut self, fy: FiscalYear) -> Self {
        self.year = fy;
        self
    }

    /// `login` completed `course` by e-learning, now (`kenshu_db::learning::complete`).
    pub fn completed(mut self, login: &str, course: &str) -> Self {
        self.progress.push(Step::Completed {
            login: login.to_string(),
            course: course.to_string(),
            fy: self.year,
            in_person: false,
            score: None,
            at: None,
        });
        self.focus = Focus::Completion(self.progress.len() - 1);
        self
    }

    /// The completion was by attending an in-person session.
    pub fn in_person(mut self) -> Self {
        if let Step::Completed { in_person, .. } = self.completion_focus("in_person") {
            *in_person = true;
        }
        self
    }

    /// The completion's test score.
    pub fn score(mut self, score: i32, total: i32) -> Self {
        if let Step::Completed { score: s, .. } = self.completion_focus("score") {
            *s = Some((score, total));
        }
        self
    }

    /// The completion happened at `when` (in the past: [`crate::simulate::completed_at`]).
    pub fn at(mut self, when: OffsetDateTime) -> Self {
        if let Step::Completed { at, .. } = self.completion_focus("at") {
            *at = Some(when);
        }
        self
    }

    fn completion_focus(&mut self, what: &str) -> &mut Step {
        match self.focus {
            Focus::Completion(i) => &mut self.progress[i],
            _ => panic!("{what}() follows completed()"),
        }
    }

    /// `login` need not take `course` (`kenshu_db::plan::exempt`).
    pub fn exempted(mut self, login: &str, course: &str, reason: &str) -> Self {
        self.progress.push(Step::Exempted {
            login: login.to_string(),
            course: course.to_string(),
            fy: self.year,
            reason: reason.to_string(),
        });
        self.focus = Focus::Nothing;
        self
    }

    /// `login` has a new deadline for `course` (再受講, `kenshu_db::follow_up::grant_retakes`).
    pub fn retake(mut self, login: &str, course: &str, deadline: Date) -> Self {
        self.progress.push(Step::Retake {
            login: login.to_string(),
            course: course.to_string(),
            fy: self.year,
            deadline,
        });
        self.focus = Focus::Nothing;
        self
    }

    /// Writes the scenario in one transaction.
    pub async fn build(self) -> Built {
        let mut tx = self.pool.begin().await.expect("begin the scenario");
        let built = self.write(&mut tx).await;
        tx.commit().await.expect("commit the scenario");
        built
    }

    async fn write(self, conn: &mut PgConnection) -> Built {
        let today = kenshu_core::japan_today();
        let found = kenshu_db::institution::find_by_code(&mut *conn, &self.code)
            .await
            .expect("find the institution");
        let made = found.is_none();
        let inst = match found {
            Some(i) => i.id,
            None => kenshu_db::institution::create(&mut *conn, &self.code, &self.name)
                .await
                .expect("create the institution"),
        };
        let mut built = Built {
            institution: inst,
            divisions: HashMap::new(),
            people: HashMap::new(),
            plans: HashMap::new(),
            designations: HashMap::new(),
        };
        for (code, name) in &self.divisions {
            let id = match kenshu_db::institution::find_division(&mut *conn, inst, code)
                .await
                .expect("find a division")
            {
                Some(d) => d.id,
                None => kenshu_db::institution::create_division(&mut *conn, inst, code, name, None)
                    .await
                    .unwrap_or_else(|e| panic!("create division {code}: {e}")),
            };
            built.divisions.insert(code.clone(), id);
        }

        let this = this_year();
        if made && self.test_defaults && self.plans.iter().all(|p| p.fy != this) {
            kenshu_db::plan::create_standard(&mut *conn, inst, this, true, None)
                .await
                .expect("this year's standard plan");
        }
        for p in &self.plans {
            let id = kenshu_db::plan::create_standard(&mut *conn, inst, p.fy, false, None)
                .await
                .unwrap_or_else(|e| panic!("the plan of {}: {e}", p.fy.year()));
            kenshu_db::plan::set_courses(&mut *conn, inst, id, &p.courses)
                .await
                .expect("the plan's courses");
            for code in &p.test_required {
                kenshu_db::in_person::set_test_required(&mut *conn, inst, id, code, true)
                    .await
                    .expect("the test on top of attendance");
            }
            if p.approved {
                kenshu_db::plan::approve(&mut *conn, inst, id, None)
                    .await
                    .expect("approve the plan");
            }
            built.plans.insert(p.fy.year(), id);
        }

        let first_division = self.divisions.first().map(|d| d.0.clone());
        for p in &self.people {
            let (id, mut division) = match &p.new {
                Some(n) => {
                    let code = n
                        .division
                        .clone()
                        .or_else(|| first_division.clone())
                        .expect("a person needs a division: declare one");
                    let division = built.division(&code);
                    let email = format!("{}@{}.example.jp", p.login, self.code);
                    let name = n.name.clone().unwrap_or(format!("試験 {}", p.login));
                    let id = kenshu_db::person::create(
                        &mut *conn,
                        &NewUser {
                            institution_id: inst,
                            login_id: &kenshu_core::person::LoginId::parse(&p.login)
                                .expect("a login ID a person may have"),
                            email: n.email.then_some(email.as_str()),
                            name: &name,
                            division_id: division,
                            role: n.role,
                            password_hash: &crate::hash_of(crate::PASSWORD),
                            must_change_password: n.must_change,
                        },
                    )
                    .await
                    .unwrap_or_else(|e| panic!("create {}: {e}", p.login));
                    (id, division)
                }
                None => {
                    let (id, division, _) = kenshu_db::person::by_login(&mut *conn, inst, &p.login)
                        .await
                        .expect("find a person")
                        .unwrap_or_else(|| panic!("nobody called {} exists", p.login));
                    (id, division)
                }
            };
            built.people.insert(p.login.clone(), id);
            let login = [p.login.clone()];
            for step in &p.steps {
                match step {
                    PersonStep::Arrived(on) => {
                        kenshu_db::person::set_arrival(&mut *conn, inst, id, *on)
                            .await
                            .expect("arrival");
                    }
                    PersonStep::Designated {
                        kind,
                        from,
                        to,
                        note,
                    } => {
                        let d = kenshu_db::designation::add(
                            &mut *conn,
                            inst,
                            &NewDesignation {
                                user_id: id,
                                kind: *kind,
                                division_id: Some(division),
                                valid_from: *from,
                                valid_to: *to,
                                note: note.as_deref(),
                                created_by: None,
                            },
                        )
                        .await
                        .expect("designation");
                        built
                            .designations
                            .entry(p.login.clone())
                            .or_default()
                            .push(d);
                    }
                    PersonStep::Transferred { to, on } => {
                        kenshu_db::roster::transfer_people(
                            &mut *conn,
                            inst,
                            &login,
                            std::slice::from_ref(to),
                            &[*on],
                            today,
                        )
                        .await
                        .expect("transfer");
                        if *on <= today {
                            division = built.division(to);
                        }
                    }
                    PersonStep::Left(on) => {
                        kenshu_db::roster::leave_people(&mut *conn, inst, &login, &[*on], today)
                            .await
                            .expect("leaving");
                    }
                }
            }
        }

        for step in &self.progress {
            let (login, course, fy) = match step {
                Step::Completed {
                    login, course, fy, ..
                }
                | Step::Exempted {
                    login, course, fy, ..
                }
                | Step::Retake {
                    login, course, fy, ..
                } => (login, course, *fy),
            };
            let user = person_id(&mut *conn, &mut built, login).await;
            match step {
                Step::Completed {
                    in_person,
                    score,
                    at,
                    ..
                } => {
                    let version = kenshu_db::content::current_version(&mut *conn, course)
                        .await
                        .expect("the course's version")
                        .unwrap_or_else(|| panic!("no course {course}"));
                    let who = Learner {
                        institution_id: inst,
                        user_id: user,
                        fiscal_year: fy,
                    };
                    kenshu_db::learning::complete(
                        &mut *conn, who, course, version, *in_person, *score, None,
                    )
                    .await
                    .expect("a completion");
                    if let Some(at) = at {
                        crate::simulate::completed_at(&mut *conn, who, course, *at).await;
                    }
                }
                Step::Exempted { reason, .. } => {
                    kenshu_db::plan::exempt(&mut *conn, inst, user, course, fy, reason, user)
                        .await
                        .expect("an exemption");
                }
                Step::Retake { deadline, .. } => {
                    kenshu_db::follow_up::grant_retakes(
                        &mut *conn,
                        inst,
                        &[(user, course.clone())],
                        fy,
                        *deadline,
                        user,
                    )
                    .await
                    .expect("a re-attendance deadline");
                }
            }
        }
        built
    }
}

/// The id of `login`, made by the scenario or found in its institution.
async fn person_id(conn: &mut PgConnection, built: &mut Built, login: &str) -> Uuid {
    if let Some(id) = built.people.get(login) {
        return *id;
    }
    let (id, _, _) = kenshu_db::person::by_login(conn, built.institution, login)
        .await
        .expect("find a person")
        .unwrap_or_else(|| panic!("nobody called {login} exists"));
    built.people.insert(login.to_string(), id);
    id
}
