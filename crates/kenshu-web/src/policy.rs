//! Authorization, decided in one place. Handlers ask `user.require(Action::…)`; they never
//! compare roles themselves.

use kenshu_core::person::Role;

use crate::AppError;
use crate::session::CurrentUser;

/// What a signed-in person may want to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Take one's own training and see one's own records and certificates.
    TakeTraining,
    /// See and manage course content versions.
    ManageContent,
    /// Upload, publish and export course packages: the institution's own courses (the chief
    /// officer) or the shared ones (the portal administrator).
    AuthorCourses,
    /// Read the institution's training plan and its printed document.
    ViewPlan,
    /// Draft a plan (create, copy from last year).
    DraftPlan,
    /// Approve a plan, which puts it in force.
    ApprovePlan,
    /// Designate people of a division (and end designations).
    ManageDesignations,
    /// Import the roster from HR's CSV.
    ImportRoster,
    /// Designate officers (protection, chief, audit), including a protection officer of one
    /// division for another (兼務).
    AssignOfficers,
    /// Read the audit log and check its chain.
    ViewAudit,
    /// See who is trained and who is not, and one person's record, within one's scope.
    ViewDashboard,
    /// Schedule in-person sessions (集合研修), nominate people and record attendance, within
    /// one's scope; institution-wide sessions are the chief officer's.
    ManageSessions,
    /// Withdraw a recorded attendance at an in-person session, with a reason (出欠の訂正),
    /// within one's scope; the audit officer only reads.
    CorrectAttendance,
    /// See every division's figures side by side for a fiscal year (the institution overview).
    /// Protection officers are refused: their dashboard covers their own divisions.
    ViewOverview,
    /// Export the annual attendance report and attendance lists of the whole institution.
    ExportReports,
    /// Choose how each institution's people sign in (portal password, its directory).
    ManageSignIn,
    /// Publish the institution's rules (規程) for everyone to read and acknowledge.
    PublishRules,
    /// See who has acknowledged the institution's rules.
    ViewRuleStandings,
    /// See who the next digests go to and who is left out: the chief officer all of them, a
    /// protection officer their own.
    PreviewDigests,
    /// Prepare, launch and cancel targeted-attack mail drills (標的型メール訓練): the chief
    /// officer for anyone, a protection officer for their divisions.
    PrepareDrills,
    /// See drills and their results: the chief and protection officers (theirs), the audit
    /// officer reading.
    ViewDrills,
    /// See the deputies (代理) who receive absent officers' digests: the chief officer, and the
    /// audit officer reading (who checks who received what, as with the rules' standings).
    ViewDeputies,
    /// Name, end and remove deputies: the chief officer, who answers for the digests' chain.
    ManageDeputies,
}

/// Which divisions a person's division-level powers reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Divisions(Vec<uuid::Uuid>),
    Nothing,
}

impl Scope {
    /// Whether something aimed at `divisions` (every division when empty, which only a scope
    /// over every division covers) is within this scope.
    pub fn covers_all(&self, divisions: &[uuid::Uuid]) -> bool {
        match self {
            Scope::All => true,
            scope => !divisions.is_empty() && divisions.iter().all(|d| scope.covers(*d)),
        }
    }

    pub fn covers(&self, division: uuid::Uuid) -> bool {
        match self {
            Scope::All => true,
            Scope::Divisions(ds) => ds.contains(&division),
            Scope::Nothing => false,
        }
    }
}

/// The chief officer (and, read-only, the audit officer) reaches every division; a protection
/// officer their own and every division they are designated protection officer of today;
/// others none. What may be done there is still the action's to say.
pub fn scope(role: Role, own_division: uuid::Uuid, designated: &[uuid::Uuid]) -> Scope {
    match role {
        Role::ChiefOfficer | Role::AuditOfficer => Scope::All,
        Role::ProtectionOfficer => {
            let mut ds = vec![own_division];
            ds.extend(designated.iter().filter(|d| **d != own_division));
            Scope::Divisions(ds)
        }
        _ => Scope::Nothing,
    }
}

/// The policy: may a person with this role perform this action?
pub fn allows(role: Role, action: Action) -> bool {
    match action {
        Action::TakeTraining => true,
        Action::ManageContent | Action::ManageSignIn => role == Role::PortalAdmin,
        Action::AuthorCourses => matches!(role, Role::ChiefOfficer | Role::PortalAdmin),
        Action::ViewPlan => role != Role::Staff,
        Action::DraftPlan => matches!(role, Role::ChiefOfficer | Role::PortalAdmin),
        Action::ApprovePlan => role == Role::ChiefOfficer,
        Action::ManageDesignations => matches!(role, Role::ChiefOfficer | Role::ProtectionOfficer),
        Action::ImportRoster => matches!(role, Role::ChiefOfficer | Role::PortalAdmin),
        Action::AssignOfficers => role == Role::ChiefOfficer,
        Action::ViewAudit => matches!(role, Role::ChiefOfficer | Role::AuditOfficer),
        Action::ViewDashboard => matches!(
            role,
            Role::ChiefOfficer | Role::ProtectionOfficer | Role::AuditOfficer
        ),
        Action::ManageSessions | Action::CorrectAttendance | Action::PreviewDigests => {
            matches!(role, Role::ChiefOfficer | Role::ProtectionOfficer)
        }
        Action::ViewOverview => matches!(role, Role::ChiefOfficer | Role::AuditOfficer),
        // The report covers every division: the chief and audit officers only.
        Action::ExportReports => matches!(role, Role::ChiefOfficer | Role::AuditOfficer),
        Action::PublishRules => role == Role::ChiefOfficer,
        // Whole-institution figures: the chief officer, and the audit officer reading.
        Action::ViewRuleStandings => matches!(role, Role::ChiefOfficer | Role::AuditOfficer),
        Action::PrepareDrills => matches!(role, Role::ChiefOfficer | Role::ProtectionOfficer),
        Action::ViewDrills => matches!(
            role,
            Role::ChiefOfficer | Role::ProtectionOfficer | Role::AuditOfficer
        ),
        Action::ViewDeputies => matches!(role, Role::ChiefOfficer | Role::AuditOfficer),
        Action::ManageDeputies => role == Role::ChiefOfficer,
    }
}

impl CurrentUser {
    /// The divisions within this person's scope, and the one asked for by code (or their own,
    /// or the first): 403 when the code is outside the scope.
    pub async fn scoped_divisions(
        &self,
        conn: &mut kenshu_db::PgConnection,
        requested: Option<&str>,
    ) -> Result<
        (
            Vec<kenshu_db::institution::Division>,
            kenshu_db::institution::Division,
        ),
        AppError,
    > {
        let scope = self.scope();
        let divisions: Vec<_> =
            kenshu_db::institution::divisions(conn, self.session.institution_id)
                .await?
                .into_iter()
                .filter(|d| scope.covers(d.id))
                .collect();
        let division = match requested {
            Some(code) => divisions.iter().find(|d| d.code == code),
            None => divisions
                .iter()
                .find(|d| d.id == self.session.division_id)
                .or(divisions.first()),
        }
        .cloned()
        .ok_or(AppError::Forbidden)?;
        Ok((divisions, division))
    }

    pub fn require(&self, action: Action) -> Result<(), AppError> {
        if allows(self.role, action) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn may(&self, action: Action) -> bool {
        allows(self.role, action)
    }

    /// The divisions this person's division-level powers reach.
    pub fn scope(&self) -> Scope {
        scope(
            self.role,
            self.session.division_id,
            &self.session.officer_divisions,
        )
    }

    /// 403 unless the person may manage an in-person session for this division; a session for
    /// the whole institution (`None`) needs a scope over every division.
    pub fn require_session(&self, division: Option<uuid::Uuid>) -> Result<(), AppError> {
        self.require_session_for(Action::ManageSessions, division)
    }

    /// 403 unless the person may do `action` to an in-person session for this division; a
    /// session for the whole institution (`None`) needs a scope over every division.
    pub fn require_session_for(
        &self,
        action: Action,
        division: Option<uuid::Uuid>,
    ) -> Result<(), AppError> {
        self.require(action)?;
        match (division, self.scope()) {
            (_, Scope::All) => Ok(()),
            (Some(d), scope) if scope.covers(d) => Ok(()),
            _ => Err(AppError::Forbidden),
        }
    }

    /// 403 unless the person may do `action` to a drill aimed at these divisions (every
    /// division when empty, which only a scope over every division covers).
    pub fn require_drill(&self, action: Action, divisions: &[uuid::Uuid]) -> Result<(), AppError> {
        self.require(action)?;
        if self.scope().covers_all(divisions) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// 403 unless the person may act on this division.
    pub fn require_division(&self, action: Action, division: uuid::Uuid) -> Result<(), AppError> {
        self.require(action)?;
        if self.scope().covers(division) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_chief_officer_approves_a_plan() {
        for role in Role::ALL {
            assert_eq!(
                allows(role, Action::ApprovePlan),
                role == Role::ChiefOfficer,
                "{role}"
            );
            assert_eq!(
                allows(role, Action::AssignOfficers),
                role == Role::ChiefOfficer,
                "{role}"
            );
            assert_eq!(
                allows(role, Action::ViewPlan),
                role != Role::Staff,
                "{role}"
            );
            assert_eq!(
                allows(role, Action::DraftPlan),
                matches!(role, Role::ChiefOfficer | Role::PortalAdmin),
                "{role}"
            );
        }
    }

    #[test]
    fn a_protection_officer_reaches_their_own_and_their_designated_divisions() {
        let own = uuid::Uuid::from_u128(1);
        let other = uuid::Uuid::from_u128(2);
        let third = uuid::Uuid::from_u128(3);
        let s = scope(Role::ProtectionOfficer, own, &[other, own]);
        assert_eq!(s, Scope::Divisions(vec![own, other]));
        assert!(s.covers(own) && s.covers(other) && !s.covers(third));
        assert_eq!(scope(Role::Staff, own, &[other]), Scope::Nothing);
        assert_eq!(scope(Role::ChiefOfficer, own, &[]), Scope::All);
    }

    #[test]
    fn officers_manage_sessions_and_only_the_chief_institution_wide_ones() {
        for role in Role::ALL {
            assert_eq!(
                allows(role, Action::ManageSessions),
                matches!(role, Role::ChiefOfficer | Role::ProtectionOfficer),
                "{role}"
            );
        }
    }

    #[test]
    fn officers_correct_attendance_and_the_audit_officer_only_reads() {
        for role in Role::ALL {
            assert_eq!(
                allows(role, Action::CorrectAttendance),
                matches!(role, Role::ChiefOfficer | Role::ProtectionOfficer),
                "{role}"
            );
        }
    }

    #[test]
    fn only_portal_admins_manage_content() {
        for role in Role::ALL {
            assert!(allows(role, Action::TakeTraining));
            assert_eq!(
                allows(role, Action::ManageContent),
                role == Role::PortalAdmin,
                "{role}"
            );
        }
    }

    #[test]
    fn the_chief_names_deputies_and_the_audit_officer_only_reads_them() {
        for role in Role::ALL {
            assert_eq!(
                allows(role, Action::ViewDeputies),
                matches!(role, Role::ChiefOfficer | Role::AuditOfficer),
                "{role}"
            );
            assert_eq!(
                allows(role, Action::ManageDeputies),
                role == Role::ChiefOfficer,
                "{role}"
            );
        }
    }

    #[test]
    fn only_the_chief_and_audit_officers_see_the_institution_overview() {
        for role in Role::ALL {
            assert_eq!(
                allows(role, Action::ViewOverview),
                matches!(role, Role::ChiefOfficer | Role::AuditOfficer),
                "{role}"
            );
        }
    }
}
