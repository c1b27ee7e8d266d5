//! The audit log's subjects and details in words. The log stores them as the code wrote them
//! (`failures in a row: 2`, `2026 xlsx rows=114`): they are part of the keyed chain and must not
//! change. The audit page shows them through these, in the reader's language; a detail of a
//! shape not known here is shown as stored.

use super::{Catalogue, Lang};
use crate::FiscalYear;
use crate::audit::AuditAction;
use crate::plan::DesignationKind;

impl Catalogue {
    /// The subject of an entry: an export's document by its name, anything else as stored.
    pub fn audit_subject(&self, action: AuditAction, subject: &str) -> String {
        match (action, subject) {
            (AuditAction::Exported, "annual_report") => self.audit_doc_annual.into(),
            (AuditAction::Exported, "attendance_list") => self.audit_doc_attendance.into(),
            _ => subject.to_string(),
        }
    }

    /// The detail of an entry in words.
    pub fn audit_detail(&self, action: AuditAction, detail: &str) -> String {
        self.known_detail(action, detail)
            .unwrap_or_else(|| detail.to_string())
    }

    fn known_detail(&self, action: AuditAction, detail: &str) -> Option<String> {
        use AuditAction as A;
        let ja = self.lang == Lang::Ja;
        let day = |s: &str| crate::roster::parse_date(s).map(|d| self.date(d));
        match action {
            A::SignInFailed => {
                let n = detail.strip_prefix("failures in a row: ")?;
                Some(if ja {
                    format!("連続{n}回目の失敗")
                } else {
                    format!("{n} failures in a row")
                })
            }
            A::PasswordChanged | A::PasswordSetByLink => {
                let (other, n) = match detail.strip_prefix("other sessions ended: ") {
                    Some(n) => (true, n),
                    None => (false, detail.strip_prefix("sessions ended: ")?),
                };
                Some(match (ja, other) {
                    (true, true) => format!("ほかの端末のサインイン{n}件を終了"),
                    (true, false) => format!("サインイン{n}件を終了"),
                    (false, true) => format!("{n} other sign-ins ended"),
                    (false, false) => format!("{n} sign-ins ended"),
                })
            }
            A::Exported => {
                let mut words = detail.split(' ');
                let fy = FiscalYear::parse(words.next()?)?;
                let format = words.next()?;
                let rows = words.next()?.strip_prefix("rows=")?;
                Some(if ja {
                    format!("{}・{}・{rows}行", self.fy_label(fy), format.to_uppercase())
                } else {
                    format!(
                        "{}, {}, {rows} rows",
                        self.fy_label(fy),
                        format.to_uppercase()
                    )
                })
            }
            A::DesignationAdded => {
                let (kind, period) = detail.split_once(' ')?;
                let (from, to) = period.split_once('〜')?;
                let kind = self.designation_kind(DesignationKind::parse(kind)?);
                let to = if to.is_empty() {
                    String::new()
                } else {
                    day(to)?
                };
                Some(format!("{kind} {}{}{to}", day(from)?, self.range_sep))
            }
            A::DesignationEnded => {
                let (kind, on) = detail.split_once(" until ")?;
                let kind = self.designation_kind(DesignationKind::parse(kind)?);
                Some(if ja {
                    format!("{kind}、{}まで", day(on)?)
                } else {
                    format!("{kind}, until {}", day(on)?)
                })
            }
            A::OfficerAssigned => {
                let (code, from) = detail.strip_prefix("division ")?.split_once(" from ")?;
                Some(if ja {
                    format!("所属 {code}、{}から", day(from)?)
                } else {
                    format!("division {code}, from {}", day(from)?)
                })
            }
            A::RetakeGranted => {
                let (who, deadline) = match detail.split_once(" people, ") {
                    Some((n, deadline)) => (
                        if ja {
                            format!("{n}名")
                        } else {
                            format!("{n} people")
                        },
                        deadline,
                    ),
                    None => {
                        let (course, deadline) = detail.rsplit_once(' ')?;
                        (course.to_string(), deadline)
                    }
                };
                Some(if ja {
                    format!("{who}、新しい期限 {}", day(deadline)?)
                } else {
                    format!("{who}, new deadline {}", day(deadline)?)
                })
            }
            A::PlanCreated => Some(
                match detail {
                    "standard" => self.audit_plan_standard,
                    "previous" => self.audit_plan_previous,
                    _ => return None,
                }
                .into(),
            ),
            A::PlanChanged => {
                if detail == "details" {
                    return Some(self.audit_plan_details.into());
                }
                if let Some(code) = detail.strip_prefix("course ") {
                    return Some(format!("{}: {code}", self.audit_plan_course));
                }
                // `rule tokutei-kitei for all,clerk by 2026-12-31`, `removed rule tokutei-kitei`.
                if let Some(rest) = detail.strip_prefix("rule ") {
                    let (code, rest) = rest.split_once(" for ")?;
                    let (audience, deadline) = rest.split_once(" by ")?;
                    let audience: Vec<&str> = audience
                        .split(',')
                        .map(|a| crate::plan::Target::parse(a).map(|t| self.target(t)))
                        .collect::<Option<_>>()?;
                    return Some(format!(
                        "{}: {code}{}{}{}{}{}",
                        self.audit_plan_rule,
                        self.paren_open,
                        audience.join(self.list_sep),
                        self.list_sep,
                        day(deadline)?,
                        self.paren_close
                    ));
                }
                if let Some(code) = detail.strip_prefix("removed rule ") {
                    return Some(format!("{}: {code}", self.audit_plan_rule_removed));
                }
                let code = detail.strip_prefix("removed ")?;
                Some(format!("{}: {code}", self.audit_plan_removed))
            }
            A::RosterImported | A::DesignationsImported => {
                let mut parts = Vec::new();
                for pair in detail.split(' ') {
                    let (key, n) = pair.split_once('=')?;
                    parts.push(format!(
                        "{}{}{n}",
                        self.import_count(key)?,
                        if ja { "" } else { " " }
                    ));
                }
                Some(parts.join(self.list_sep))
            }
            _ => None,
        }
    }

    /// A count of an import's summary by its key (`new=3`).
    fn import_count(&self, key: &str) -> Option<&'static str> {
        Some(match key {
            "new" => self.audit_count_new,
            "transfers" => self.audit_count_transfers,
            "leavers" => self.audit_count_leavers,
            "changed" => self.audit_count_changed,
            "unchanged" => self.audit_count_unchanged,
            "errors" => self.audit_count_errors,
            "scheduled" => self.audit_count_scheduled,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{EN, JA};
    use crate::audit::AuditAction as A;

    #[test]
    fn details_read_as_words_in_both_languages_and_unknown_ones_as_stored() {
        let cases = [
            (
                A::SignInFailed,
                "failures in a row: 2",
                "連続2回目の失敗",
                "2 failures in a row",
            ),
            (
                A::Exported,
                "2026 xlsx rows=114",
                "2026年度 (令和8年度)・XLSX・114行",
                "FY2026, XLSX, 114 rows",
            ),
            (
                A::DesignationEnded,
                "clerk until 2026-03-31",
                "事務取扱担当者、令和8年3月31日まで",
                "",
            ),
            (
                A::RosterImported,
                "new=3 transfers=1 leavers=0 changed=2 errors=0",
                "新規3、異動1、退職0、変更2、エラー0",
                "",
            ),
            (
                A::PlanChanged,
                "rule tokutei-kitei for all,clerk by 2026-12-31",
                "確認を求める規程を設定: tokutei-kitei（全職員、事務取扱担当者、令和8年12月31日）",
                "",
            ),
            (
                A::PlanChanged,
                "removed rule tokutei-kitei",
                "確認を求める規程を計画から削除: tokutei-kitei",
                "rule removed from the plan: tokutei-kitei",
            ),
            (A::PersonViewed, "", "", ""),
            (
                A::Exported,
                "something else",
                "something else",
                "something else",
            ),
        ];
        for (action, stored, ja, en) in cases {
            assert_eq!(JA.audit_detail(action, stored), ja, "{stored}");
            if !en.is_empty() {
                assert_eq!(EN.audit_detail(action, stored), en, "{stored}");
            }
        }
        for action in A::ALL {
            assert_eq!(EN.audit_detail(action, "x y z"), "x y z");
        }
    }
}
