//! What the audit log records: one value per kind of act, stored by its identifier and shown
//! by its name in the catalogue (`Catalogue::audit_action`).

/// A kind of act the audit log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    SignIn,
    SignInFailed,
    SignOut,
    PasswordChanged,
    PasswordChangeFailed,
    PasswordSetByLink,
    PersonViewed,
    Exported,
    DesignationAdded,
    DesignationEnded,
    OfficerAssigned,
    PlanCreated,
    PlanChanged,
    PlanApproved,
    RosterImported,
    DesignationsImported,
    ContentLoaded,
    ExemptionRecorded,
    RetakeGranted,
    AttendanceCorrected,
    SignInMethodsChanged,
    SecondFactorEnrolled,
    SecondFactorRemoved,
    RecoveryCodesRenewed,
    SecondFactorPolicyChanged,
    RulePublished,
    RuleAcknowledged,
    DrillPrepared,
    DrillLaunched,
    DrillCancelled,
    DrillClicked,
    DrillReported,
}

impl AuditAction {
    /// Every act, in the order the audit page's filter lists them.
    pub const ALL: [AuditAction; 32] = [
        AuditAction::SignIn,
        AuditAction::SignInFailed,
        AuditAction::SignOut,
        AuditAction::PasswordChanged,
        AuditAction::PasswordChangeFailed,
        AuditAction::PasswordSetByLink,
        AuditAction::PersonViewed,
        AuditAction::Exported,
        AuditAction::DesignationAdded,
        AuditAction::DesignationEnded,
        AuditAction::OfficerAssigned,
        AuditAction::PlanCreated,
        AuditAction::PlanChanged,
        AuditAction::PlanApproved,
        AuditAction::RosterImported,
        AuditAction::DesignationsImported,
        AuditAction::ContentLoaded,
        AuditAction::ExemptionRecorded,
        AuditAction::RetakeGranted,
        AuditAction::AttendanceCorrected,
        AuditAction::SignInMethodsChanged,
        AuditAction::SecondFactorEnrolled,
        AuditAction::SecondFactorRemoved,
        AuditAction::RecoveryCodesRenewed,
        AuditAction::SecondFactorPolicyChanged,
        AuditAction::RulePublished,
        AuditAction::RuleAcknowledged,
        AuditAction::DrillPrepared,
        AuditAction::DrillLaunched,
        AuditAction::DrillCancelled,
        AuditAction::DrillClicked,
        AuditAction::DrillReported,
    ];

    /// The identifier stored in `audit_log.action` (and hashed into the chain: never change one).
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SignIn => "sign_in",
            AuditAction::SignInFailed => "sign_in_failed",
            AuditAction::SignOut => "sign_out",
            AuditAction::PasswordChanged => "password_changed",
            AuditAction::PasswordChangeFailed => "password_change_failed",
            AuditAction::PasswordSetByLink => "password_set_by_link",
            AuditAction::PersonViewed => "person_viewed",
            AuditAction::Exported => "exported",
            AuditAction::DesignationAdded => "designation_added",
            AuditAction::DesignationEnded => "designation_ended",
            AuditAction::OfficerAssigned => "officer_assigned",
            AuditAction::PlanCreated => "plan_created",
            AuditAction::PlanChanged => "plan_changed",
            AuditAction::PlanApproved => "plan_approved",
            AuditAction::RosterImported => "roster_imported",
            AuditAction::DesignationsImported => "designations_imported",
            AuditAction::ContentLoaded => "content_loaded",
            AuditAction::ExemptionRecorded => "exemption_recorded",
            AuditAction::RetakeGranted => "retake_granted",
            AuditAction::AttendanceCorrected => "attendance_corrected",
            AuditAction::SignInMethodsChanged => "sign_in_methods_changed",
            AuditAction::SecondFactorEnrolled => "second_factor_enrolled",
            AuditAction::SecondFactorRemoved => "second_factor_removed",
            AuditAction::RecoveryCodesRenewed => "recovery_codes_renewed",
            AuditAction::SecondFactorPolicyChanged => "second_factor_policy_changed",
            AuditAction::RulePublished => "rule_published",
            AuditAction::RuleAcknowledged => "rule_acknowledged",
            AuditAction::DrillPrepared => "drill_prepared",
            AuditAction::DrillLaunched => "drill_launched",
            AuditAction::DrillCancelled => "drill_cancelled",
            AuditAction::DrillClicked => "drill_clicked",
            AuditAction::DrillReported => "drill_reported",
        }
    }

    /// The act of a stored identifier; None for one this version does not know.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::AuditAction;

    #[test]
    fn identifiers_round_trip_and_are_unique() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(a));
        }
        let mut ids: Vec<_> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), AuditAction::ALL.len());
        use crate::i18n::{EN, JA};
        assert_eq!(JA.audit_action_of("sign_in"), "サインイン");
        assert_eq!(EN.audit_action_of("sign_in"), "Sign-in");
        assert_eq!(JA.audit_action_of("made_up"), "made_up");
    }
}
