//! What the audit log records: one value per kind of act, stored by its identifier and shown
//! by its Japanese name.

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
}

impl AuditAction {
    /// Every act, in the order the audit page's filter lists them.
    pub const ALL: [AuditAction; 20] = [
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
        }
    }

    /// The act of a stored identifier; None for one this version does not know.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The Japanese name the audit page shows.
    pub fn label_ja(self) -> &'static str {
        match self {
            AuditAction::SignIn => "サインイン",
            AuditAction::SignInFailed => "サインイン失敗",
            AuditAction::SignOut => "サインアウト",
            AuditAction::PasswordChanged => "パスワードの変更",
            AuditAction::PasswordChangeFailed => "パスワード変更の失敗",
            AuditAction::PasswordSetByLink => "リンクによるパスワードの設定",
            AuditAction::PersonViewed => "他の職員の記録の閲覧",
            AuditAction::Exported => "出力",
            AuditAction::DesignationAdded => "指定の追加",
            AuditAction::DesignationEnded => "指定の終了",
            AuditAction::OfficerAssigned => "兼務の保護責任者の指定",
            AuditAction::PlanCreated => "研修計画の作成",
            AuditAction::PlanChanged => "研修計画の変更",
            AuditAction::PlanApproved => "研修計画の承認",
            AuditAction::RosterImported => "職員名簿の取込",
            AuditAction::DesignationsImported => "指定の取込",
            AuditAction::ContentLoaded => "教材の読込",
            AuditAction::ExemptionRecorded => "免除の記録",
            AuditAction::RetakeGranted => "再受講の機会の付与",
            AuditAction::AttendanceCorrected => "出欠の訂正",
        }
    }

    /// The name of a stored identifier: the Japanese one when known, else the identifier.
    pub fn label_of(stored: &str) -> &str {
        match Self::parse(stored) {
            Some(a) => a.label_ja(),
            None => stored,
        }
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
        assert_eq!(AuditAction::label_of("sign_in"), "サインイン");
        assert_eq!(AuditAction::label_of("made_up"), "made_up");
    }
}
