//! The names of the domain's values (statuses, roles, designations, audit acts, …) in a
//! catalogue's language: the types in the rest of `kenshu-core` know their identifiers, the
//! catalogue knows how they are called.

use super::{Catalogue, Lang};
use crate::assignment::{CompletionMethod, Status};
use crate::audit::{AuditAction, Head};
use crate::person::Role;
use crate::plan::{DesignationKind, Target};
use crate::roster::{ErrorKind, PersonStatus};

impl Catalogue {
    /// A status's name.
    pub fn status(&self, status: Status) -> &'static str {
        match status {
            Status::NotStarted => self.status_not_started,
            Status::InProgress => self.status_in_progress,
            Status::Completed => self.status_completed,
            Status::CompletedInPerson => self.status_completed_in_person,
            Status::Exempt => self.status_exempt,
            Status::Overdue => self.status_overdue,
        }
    }

    /// A required rule's state: 確認済み, 未確認, 期限超過.
    pub fn rule_state(&self, state: crate::plan::RuleState) -> &'static str {
        match state {
            crate::plan::RuleState::Acknowledged => self.rules_done,
            crate::plan::RuleState::Pending => self.rules_pending,
            crate::plan::RuleState::Overdue => self.rules_overdue,
        }
    }

    /// A rule's version: 第2版, version 2.
    pub fn rule_version(&self, n: i32) -> String {
        self.rules_version_n.replace("{n}", &n.to_string())
    }

    /// A digest weekday's name (Monday to Friday; weekends are never digest days).
    pub fn weekday(&self, day: time::Weekday) -> &'static str {
        use time::Weekday::*;
        match day {
            Monday => self.weekday_1,
            Tuesday => self.weekday_2,
            Wednesday => self.weekday_3,
            Thursday => self.weekday_4,
            Friday | Saturday | Sunday => self.weekday_5,
        }
    }

    /// The name of a weekday numbered 1 (Monday) to 5 (Friday), as the plan stores it.
    /// (Templates hold the number by value or by reference, hence `Borrow`.)
    pub fn weekday_number(&self, n: impl std::borrow::Borrow<i32>) -> &'static str {
        crate::digest::Rules::weekday_from_number(*n.borrow()).map_or("", |d| self.weekday(d))
    }

    /// Why someone is left out of a digest.
    pub fn digest_reason(&self, reason: crate::digest::SkipReason) -> &'static str {
        use crate::digest::SkipReason::*;
        match reason {
            Exempt => self.digest_reason_exempt,
            OnLeave => self.digest_reason_on_leave,
            Completed => self.digest_reason_completed,
            NoMail => self.digest_reason_no_mail,
            Deputy => self.digest_reason_deputy,
            NoOfficer => self.digest_reason_no_officer,
            AbsentToChief => self.digest_reason_absent_to_chief,
            AbsentUnsent => self.digest_reason_absent_unsent,
        }
    }

    /// A role's name.
    pub fn role(&self, role: Role) -> &'static str {
        match role {
            Role::Staff => self.role_staff,
            Role::ProtectionOfficer => self.role_protection_officer,
            Role::ChiefOfficer => self.role_chief_officer,
            Role::AuditOfficer => self.role_audit_officer,
            Role::PortalAdmin => self.role_portal_admin,
        }
    }

    /// How a course was completed.
    pub fn completion_method(&self, method: CompletionMethod) -> &'static str {
        match method {
            CompletionMethod::ELearning => self.method_e_learning,
            CompletionMethod::InPerson => self.method_in_person,
        }
    }

    /// A designation's name.
    pub fn designation_kind(&self, kind: DesignationKind) -> &'static str {
        match kind {
            DesignationKind::Clerk => self.kind_clerk,
            DesignationKind::FileHandler => self.kind_file_handler,
            DesignationKind::SystemAdmin => self.kind_system_admin,
            DesignationKind::ProtectionOfficer => self.kind_protection_officer,
            DesignationKind::ChiefOfficer => self.kind_chief_officer,
            DesignationKind::AuditOfficer => self.kind_audit_officer,
        }
    }

    /// Who a course is for.
    pub fn target(&self, target: Target) -> &'static str {
        match target {
            Target::Everyone => self.target_everyone,
            Target::Designated(kind) => self.designation_kind(kind),
        }
    }

    /// A person's status in the roster.
    pub fn person_status(&self, status: PersonStatus) -> &'static str {
        match status {
            PersonStatus::Active => self.person_active,
            PersonStatus::OnLeave => self.person_on_leave,
            PersonStatus::Left => self.person_left,
        }
    }

    /// A kind of roster problem.
    pub fn roster_error_kind(&self, kind: ErrorKind) -> &'static str {
        match kind {
            ErrorKind::Empty => self.roster_error_empty,
            ErrorKind::Format => self.roster_error_format,
            ErrorKind::TooLong => self.roster_error_too_long,
            ErrorKind::MyNumber => self.roster_error_my_number,
            ErrorKind::Duplicate => self.roster_error_duplicate,
            ErrorKind::Conflict => self.roster_error_conflict,
            ErrorKind::LeadingZeros => self.roster_error_leading_zeros,
            ErrorKind::Reference => self.roster_error_reference,
            ErrorKind::Characters => self.roster_error_characters,
            ErrorKind::Column => self.roster_error_column,
            ErrorKind::MassChange => self.roster_error_mass_change,
        }
    }

    /// A count's label for the problems of one kind in one column: `採用日の形式`,
    /// `format in 採用日` (the column as the file names it).
    pub fn roster_error_in(&self, column: &str, kind: ErrorKind) -> String {
        let kind = self.roster_error_kind(kind);
        match self.lang {
            Lang::Ja => format!("{column}の{kind}"),
            Lang::En => format!("{kind} in {column}"),
        }
    }

    /// An act of the audit log.
    pub fn audit_action(&self, action: AuditAction) -> &'static str {
        use AuditAction as A;
        match action {
            A::SignIn => self.act_sign_in,
            A::SignInFailed => self.act_sign_in_failed,
            A::SignOut => self.act_sign_out,
            A::PasswordChanged => self.act_password_changed,
            A::PasswordChangeFailed => self.act_password_change_failed,
            A::PasswordSetByLink => self.act_password_set_by_link,
            A::PersonViewed => self.act_person_viewed,
            A::Exported => self.act_exported,
            A::DesignationAdded => self.act_designation_added,
            A::DesignationEnded => self.act_designation_ended,
            A::OfficerAssigned => self.act_officer_assigned,
            A::PlanCreated => self.act_plan_created,
            A::PlanChanged => self.act_plan_changed,
            A::PlanApproved => self.act_plan_approved,
            A::RosterImported => self.act_roster_imported,
            A::DesignationsImported => self.act_designations_imported,
            A::ContentLoaded => self.act_content_loaded,
            A::ExemptionRecorded => self.act_exemption_recorded,
            A::RetakeGranted => self.act_retake_granted,
            A::AttendanceCorrected => self.act_attendance_corrected,
            A::SignInMethodsChanged => self.act_sign_in_methods_changed,
            A::SecondFactorEnrolled => self.act_second_factor_enrolled,
            A::SecondFactorRemoved => self.act_second_factor_removed,
            A::RecoveryCodesRenewed => self.act_recovery_codes_renewed,
            A::SecondFactorPolicyChanged => self.act_second_factor_policy_changed,
            A::RulePublished => self.act_rule_published,
            A::RuleAcknowledged => self.act_rule_acknowledged,
            A::DrillPrepared => self.act_drill_prepared,
            A::DrillLaunched => self.act_drill_launched,
            A::DrillCancelled => self.act_drill_cancelled,
            A::DrillClicked => self.act_drill_clicked,
            A::DrillReported => self.act_drill_reported,
        }
    }

    /// The name of a stored act: its name when this version knows it, else the identifier.
    pub fn audit_action_of<'a>(&self, stored: &'a str) -> &'a str {
        match AuditAction::parse(stored) {
            Some(a) => self.audit_action(a),
            None => stored,
        }
    }

    /// What the audit chain check found wrong, in words.
    pub fn audit_broken_reason(&self, b: &crate::audit::Broken) -> String {
        use crate::audit::BrokenReason;
        let seq = b.seq.to_string();
        let prev = (b.seq - 1).to_string();
        match b.reason {
            BrokenReason::Altered => self.audit_altered.replace("{seq}", &seq),
            BrokenReason::ChainMismatch => self
                .audit_chain_mismatch
                .replace("{seq}", &seq)
                .replace("{prev}", &prev),
            BrokenReason::Missing { expected } => self
                .audit_missing
                .replace("{from}", &expected.to_string())
                .replace("{to}", &prev),
            BrokenReason::Downgraded => self.audit_downgraded.replace("{seq}", &seq),
            BrokenReason::Rewritten => self.audit_rewritten.replace("{seq}", &seq),
            BrokenReason::Truncated { checkpoint } => self
                .audit_truncated
                .replace("{last}", &prev)
                .replace("{checkpoint}", &checkpoint.to_string()),
            BrokenReason::WrongKey => self.audit_wrong_key.to_string(),
            BrokenReason::Unanchored { to } => self
                .audit_unanchored
                .replace("{seq}", &seq)
                .replace("{to}", &to.to_string()),
        }
    }

    /// The audit log's last entry as the reports print it: `監査ログ 最終記録 No.N ハッシュ HEX`
    /// (`No.0` and no hash for an empty log). `Checkpoint::parse` reads it back in either language.
    pub fn audit_head(&self, head: Option<&Head>) -> String {
        match (self.lang, head) {
            (Lang::Ja, Some(h)) => format!(
                "監査ログ 最終記録 No.{} ハッシュ {}",
                h.seq,
                hex::encode(&h.hash)
            ),
            (Lang::Ja, None) => "監査ログ 最終記録 No.0 （記録なし）".to_string(),
            (Lang::En, Some(h)) => format!(
                "Audit log: last entry No.{} hash {}",
                h.seq,
                hex::encode(&h.hash)
            ),
            (Lang::En, None) => "Audit log: last entry No.0 (no entries)".to_string(),
        }
    }
}
