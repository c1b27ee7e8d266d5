//! A roster import's report in words: each line of its lists (`+ 001 山田（soumu）`, a transfer,
//! a leaver, a changed detail), the columns it used, and the warning above a mass change.

use super::{Catalogue, Lang};
use crate::roster::{
    DivisionChange, FieldChange, Leaver, MassChange, PersonStatus, RosterRow, Transfer,
};

impl Catalogue {
    /// The warning above a change that makes most of the institution new or leaving.
    pub fn roster_mass_change(&self, m: &MassChange) -> String {
        match self.lang {
            Lang::Ja => format!(
                "在職者{}人に対して、新規{}人・退職{}人になります。職員番号の先頭の0が表計算ソフトで消えていないか、別の機関のファイルでないかを確かめてください。意図した変更なら、下の確認欄にチェックを入れて反映してください。",
                m.active, m.new, m.leavers
            ),
            Lang::En => format!(
                "{} staff are currently employed; this file would add {} new staff and mark {} as leaving. Check that your spreadsheet did not drop the leading zeros of employee numbers, and that this is not another institution's file. If the change is intended, check the confirmation box below and apply it.",
                m.active, m.new, m.leavers
            ),
        }
    }

    /// A header cell the import used, with the column it was read as when that is named
    /// otherwise: `在職区分 → 在職状況`, `在職区分 → employment status`.
    pub fn roster_used(&self, header: &str, key: &str) -> String {
        match self.column_label(key) {
            label if label == header || label.is_empty() => header.to_string(),
            label => format!("{header} → {label}"),
        }
    }

    /// `（上位: 001）`, ` (parent: 001)`, or nothing.
    fn parent(&self, code: &Option<String>) -> String {
        match (self.lang, code) {
            (_, None) => String::new(),
            (Lang::Ja, Some(c)) => format!("（上位: {c}）"),
            (Lang::En, Some(c)) => format!(" (parent: {c})"),
        }
    }

    /// A new division: `+ 001 総務課（上位: 100）`.
    pub fn roster_new_division(&self, d: &DivisionChange) -> String {
        format!("+ {} {}{}", d.code, d.name, self.parent(&d.parent_code))
    }

    /// A renamed or moved division: `~ 001: 総務課 → 総務企画課`.
    pub fn roster_changed_division(&self, d: &DivisionChange) -> String {
        format!(
            "~ {}: {} → {}{}",
            d.code,
            d.old_name.as_deref().unwrap_or_default(),
            d.name,
            self.parent(&d.parent_code)
        )
    }

    /// A new person: `+ 001 山田 太郎（soumu）`.
    pub fn roster_new_person(&self, r: &RosterRow) -> String {
        match self.lang {
            Lang::Ja => format!("+ {} {}（{}）", r.employee_number, r.name, r.division_code),
            Lang::En => format!("+ {} {} ({})", r.employee_number, r.name, r.division_code),
        }
    }

    /// A transfer, `scheduled` when its day is still to come.
    pub fn roster_transfer(&self, t: &Transfer, scheduled: bool) -> String {
        let head = format!("→ {} {}: {} → {}", t.employee_number, t.name, t.from, t.to);
        let on = self.date(t.effective);
        match (self.lang, scheduled) {
            (Lang::Ja, false) => format!("{head}（{on}付）"),
            (Lang::Ja, true) => format!("{head}（{on}付・予定）"),
            (Lang::En, false) => format!("{head} (from {on})"),
            (Lang::En, true) => format!("{head} (from {on}, scheduled)"),
        }
    }

    /// A person leaving on their last day `l.on`, `scheduled` when it is still to come.
    pub fn roster_leaver(&self, l: &Leaver, scheduled: bool) -> String {
        let on = self.date(l.on);
        let (n, name, division) = (&l.employee_number, &l.name, &l.division_code);
        match (self.lang, scheduled) {
            (Lang::Ja, false) => format!("- {n} {name}（{division}）{on}付で退職"),
            (Lang::Ja, true) => format!("- {n} {name}（{division}）{on}付で退職・予定"),
            (Lang::En, false) => format!("- {n} {name} ({division}): leaving, last day {on}"),
            (Lang::En, true) => {
                format!("- {n} {name} ({division}): leaving, last day {on} (scheduled)")
            }
        }
    }

    /// A changed detail of a person: `~ 001 氏名: 「山田 太郎」→「山田 一郎」`; a date as the
    /// rest of the report writes dates (令和8年4月1日), a status in words (在職 → 休職).
    pub fn roster_field_change(&self, c: &FieldChange) -> String {
        let field = self.column_label(c.field);
        let (old, new) = (
            self.field_value(c.field, &c.old),
            self.field_value(c.field, &c.new),
        );
        match self.lang {
            Lang::Ja => format!("~ {} {field}: 「{old}」→「{new}」", c.employee_number),
            Lang::En => format!("~ {} {field}: \"{old}\" → \"{new}\"", c.employee_number),
        }
    }

    /// A person's detail as stored (`2026-04-01`, `on_leave`) in the reader's words.
    fn field_value(&self, field: &str, value: &str) -> String {
        let iso = time::macros::format_description!("[year]-[month]-[day]");
        match field {
            "hire_date" => time::Date::parse(value, iso)
                .map(|d| self.date(d))
                .unwrap_or_else(|_| value.to_string()),
            "status" => PersonStatus::parse(value)
                .map(|s| self.person_status(s).to_string())
                .unwrap_or_else(|| value.to_string()),
            _ => value.to_string(),
        }
    }
}
