//! The problems of a roster or designation file's rows, in words: where (`3行目「採用日」`,
//! `line 3, column "採用日"`), what is wrong (with a cell, between rows, with the portal) and
//! how to fix it.

use std::borrow::Cow;

use super::{Catalogue, Lang};
use crate::roster::{CharProblem, Column, RowError, RowProblem};

impl Catalogue {
    /// A column's name where the file's own header is not at hand, by its key (`division_code`
    /// → `所属コード`, `division code`); the key itself for a key the catalogue does not know.
    pub fn column_label<'a>(&self, key: &'a str) -> &'a str {
        match key {
            "employee_number" => self.column_employee_number,
            "name" => self.column_name,
            "kana" => self.column_kana,
            "email" => self.column_email,
            "division_code" => self.column_division_code,
            "division_name" => self.column_division_name,
            "parent_division_code" => self.column_parent_division_code,
            "employment_type" => self.column_employment_type,
            "hire_date" => self.column_hire_date,
            "status" => self.column_status,
            "effective_date" => self.column_effective_date,
            "kind" => self.column_designation_kind,
            "from" => self.column_from,
            "to" => self.column_to,
            "note" => self.column_note,
            other => other,
        }
    }

    /// A column's name: as the file's header writes it, else the catalogue's.
    pub fn column<'a>(&self, c: &'a Column) -> Cow<'a, str> {
        match c {
            Column::Header(h) => Cow::Borrowed(h),
            Column::Known(key) => Cow::Borrowed(self.column_label(key)),
            Column::Nth(n) => Cow::Owned(self.column_nth.replace("{n}", &n.to_string())),
            Column::File => Cow::Borrowed(self.column_whole_file),
        }
    }

    /// A problem with its line and column: `3行目「採用日」: …`, `line 3, column "採用日": …`;
    /// `「ファイル全体」列: …`, `the whole file: …` for a problem with the whole file.
    pub fn row_error(&self, e: &RowError) -> String {
        let problem = self.row_problem(&e.problem);
        let column = self.column(&e.column);
        match (self.lang, e.line) {
            (Lang::Ja, 0) => format!("「{column}」列: {problem}"),
            (Lang::Ja, line) => format!("{line}行目「{column}」: {problem}"),
            (Lang::En, 0) => format!("{}: {problem}", en_column(&e.column, &column)),
            (Lang::En, line) => {
                format!("line {line}, {}: {problem}", en_column(&e.column, &column))
            }
        }
    }

    /// What is wrong, and how to fix it.
    pub fn row_problem(&self, p: &RowProblem) -> String {
        use RowProblem as P;
        match (self.lang, p) {
            (_, P::Characters(c)) => self.char_problem(c),
            (_, P::Date(e)) => self.date_error(e),
            (Lang::Ja, P::Empty { column }) => {
                format!("空欄です。全員の『{}』を書いてください", self.column(column))
            }
            (Lang::En, P::Empty { column }) => format!(
                "The cell is empty. Fill in \"{}\" for everyone.",
                self.column(column)
            ),
            (Lang::Ja, P::TooLong { value, len, max }) => {
                format!("『{value}』は{len}文字あります。{max}文字以内にしてください")
            }
            (Lang::En, P::TooLong { value, len, max }) => format!(
                "\"{value}\" has {len} characters. Shorten it to {max} characters or fewer."
            ),
            (Lang::Ja, P::MyNumber) => "マイナンバーらしき12桁の数字が含まれています。削除してください（このポータルはマイナンバーを保存しません）".into(),
            (Lang::En, P::MyNumber) => "The cell contains a 12-digit number that looks like a My Number. Delete it (this portal does not store My Numbers).".into(),
            (Lang::Ja, P::EmployeeNumberChars { value }) => format!(
                "『{value}』には職員番号に使えない文字があります。半角の英数字と . _ - だけで書いてください"
            ),
            (Lang::En, P::EmployeeNumberChars { value }) => format!(
                "\"{value}\" contains characters an employee number cannot have. Use only ASCII letters, digits and . _ -"
            ),
            (Lang::Ja, P::EmailNotAscii { value }) => format!(
                "『{value}』に全角の文字が含まれています。メールアドレスは半角で入力してください"
            ),
            (Lang::En, P::EmailNotAscii { value }) => format!(
                "\"{value}\" contains full-width characters. Write the e-mail address in ASCII (half-width) characters."
            ),
            (Lang::Ja, P::EmailFormat { value }) => format!(
                "『{value}』はメールアドレスとして読めません（@ が1つ、空白なし: sato@example.jp）。直すか空欄にしてください"
            ),
            (Lang::En, P::EmailFormat { value }) => format!(
                "\"{value}\" cannot be read as an e-mail address (one @ and no spaces, like sato@example.jp). Correct it or leave the cell empty."
            ),
            (Lang::Ja, P::Status { value }) => format!(
                "『{value}』は在職状況として読めません。在職・休職・退職のいずれかを書いてください（空欄は在職）"
            ),
            (Lang::En, P::Status { value }) => format!(
                "\"{value}\" cannot be read as an employment status. Write active, on_leave or left, or the Japanese term your HR system uses for it (an empty cell means active)."
            ),
            (Lang::Ja, P::OwnParent) => "自分自身の所属コードになっています。一つ上の所属のコードを書いてください（最上位なら空欄）".into(),
            (Lang::En, P::OwnParent) => "This is the division's own code. Write the code of the division one level up (leave it empty for a top-level division).".into(),
            (Lang::Ja, P::UnclosedQuote { opened, runs_to }) => format!(
                "{opened}行目: 引用符（\"）が閉じられていません。{runs_to}行目までが1つのセルとして読まれました。セルの終わりに \" を付けるか、セルの中の \" を削除してください"
            ),
            (Lang::En, P::UnclosedQuote { opened, runs_to }) => format!(
                "A quotation mark (\") opened on line {opened} is not closed, so everything up to line {runs_to} was read as one cell. Add \" at the end of the cell, or delete the \" inside it."
            ),
            (Lang::Ja, P::NearMiss { header, meant }) => format!(
                "『{header}』は使われません。『{meant}』のことなら列名を直してください（使わない列なら列名を変えるか削除してください）"
            ),
            (Lang::En, P::NearMiss { header, meant }) => format!(
                "The column \"{header}\" is not used. If it means \"{meant}\", correct its name (if you do not need the column, rename or delete it)."
            ),
            (Lang::Ja, P::DesignationNumberEmpty { column }) => format!(
                "空欄です。指定する職員の{}を書いてください",
                self.column(column)
            ),
            (Lang::En, P::DesignationNumberEmpty { column }) => format!(
                "The cell is empty. Write the {} of the person to designate.",
                en_column_name(column, &self.column(column))
            ),
            (Lang::Ja, P::DesignationKindEmpty) => "空欄です。事務取扱担当者、特定個人情報ファイル取扱者、情報システム管理者のいずれかを書いてください".into(),
            (Lang::En, P::DesignationKindEmpty) => format!(
                "The cell is empty. {}",
                KINDS_EN
            ),
            (Lang::Ja, P::DesignationKind { value }) => format!(
                "『{value}』は指定の種類として読めません。事務取扱担当者、特定個人情報ファイル取扱者、情報システム管理者のいずれかを書いてください"
            ),
            (Lang::En, P::DesignationKind { value }) => {
                format!("\"{value}\" cannot be read as a kind of designation. {KINDS_EN}")
            }
            (Lang::Ja, P::DesignationStartEmpty) => {
                "空欄です。指定の開始日を 2025-04-01 や 令和7年4月1日 のように書いてください".into()
            }
            (Lang::En, P::DesignationStartEmpty) => {
                "The cell is empty. Write the day the designation starts, like 2025-04-01.".into()
            }
            (Lang::Ja, P::EndBeforeStart { from }) => format!(
                "『{}』より前の日です。終了日は開始日と同じ日かそれより後にしてください",
                self.column(from)
            ),
            (Lang::En, P::EndBeforeStart { from }) => format!(
                "This day is before the {}. The end date must be on or after the start date.",
                en_column_name(from, &self.column(from))
            ),
            (Lang::Ja, P::DuplicateNumber { column, number, line }) => format!(
                "{}『{number}』は{line}行目にもあります。1人1行にしてください",
                self.column(column)
            ),
            (Lang::En, P::DuplicateNumber { column, number, line }) => format!(
                "\"{number}\" ({}) is on line {line} too. Put each person on one line only.",
                self.column(column)
            ),
            (Lang::Ja, P::NumberLostZeros { column, number, other, line })
            | (Lang::Ja, P::CodeLostZeros { column, code: number, other, line }) => format!(
                "{}『{number}』と{line}行目の『{other}』は、先頭の0を除くと同じです。{ZEROS_FIX_JA}",
                self.column(column)
            ),
            (Lang::En, P::NumberLostZeros { column, number, other, line })
            | (Lang::En, P::CodeLostZeros { column, code: number, other, line }) => format!(
                "\"{number}\" ({}) and \"{other}\" on line {line} are the same once leading zeros are ignored. {ZEROS_FIX_EN}",
                self.column(column)
            ),
            (Lang::Ja, P::TwoNames { column, code, name, other, line }) => {
                let column = self.column(column);
                format!(
                    "{column}『{code}』の所属名が、この行では『{name}』、{line}行目では『{other}』です。1つの{column}には1つの名前を書いてください"
                )
            }
            (Lang::En, P::TwoNames { column, code, name, other, line }) => format!(
                "The division \"{code}\" ({}) is called \"{name}\" on this line and \"{other}\" on line {line}. Give each division one name.",
                self.column(column)
            ),
            (Lang::Ja, P::TwoParents { column, code, parent, other, line }) => {
                let none = |p: &Option<String>| p.clone().unwrap_or_else(|| "（なし）".into());
                format!(
                    "{}『{code}』の上位所属が、この行では『{}』、{line}行目では『{}』です。同じ所属の行には同じ上位所属コードを書いてください",
                    self.column(column),
                    none(parent),
                    none(other)
                )
            }
            (Lang::En, P::TwoParents { column, code, parent, other, line }) => {
                let none = |p: &Option<String>| match p {
                    Some(p) => format!("\"{p}\""),
                    None => "none".into(),
                };
                format!(
                    "The division \"{code}\" ({}) has the parent {} on this line and {} on line {line}. Give the same parent division code on every line of a division.",
                    self.column(column),
                    none(parent),
                    none(other)
                )
            }
            (Lang::Ja, P::ParentLostZeros { column, code_column, parent, code, line }) => format!(
                "{}『{parent}』と{line}行目の{}『{code}』は、先頭の0を除くと同じです。{ZEROS_FIX_JA}",
                self.column(column),
                self.column(code_column)
            ),
            (Lang::En, P::ParentLostZeros { column, code_column, parent, code, line }) => format!(
                "\"{parent}\" ({}) and \"{code}\" ({}) on line {line} are the same once leading zeros are ignored. {ZEROS_FIX_EN}",
                self.column(column),
                self.column(code_column)
            ),
            (Lang::Ja, P::ParentZerosInPortal { parent, known }) => format!(
                "上位所属「{parent}」はありませんが、ポータルには「{known}」があります。{TEXT_FIX_JA}"
            ),
            (Lang::En, P::ParentZerosInPortal { parent, known }) => format!(
                "There is no parent division \"{parent}\", but the portal has \"{known}\". {TEXT_FIX_EN}"
            ),
            (Lang::Ja, P::UnknownParent { parent }) => format!(
                "上位所属「{parent}」はファイルにもポータルにもありません。コードを直すか、その所属の職員の行を加えるか、先に `kenshu division add --institution 機関コード {parent} 所属名` で作成してください"
            ),
            (Lang::En, P::UnknownParent { parent }) => format!(
                "The parent division \"{parent}\" is neither in the file nor in the portal. Correct the code, add lines for that division's staff, or first create it with `kenshu division add --institution INSTITUTION_CODE {parent} DIVISION_NAME`."
            ),
            (Lang::Ja, P::CodeZerosInPortal { column, code, known }) => format!(
                "{}「{code}」はポータルの「{known}」と先頭の0だけが違います。{TEXT_FIX_JA}",
                self.column(column)
            ),
            (Lang::En, P::CodeZerosInPortal { column, code, known }) => format!(
                "\"{code}\" ({}) differs from the portal's \"{known}\" only in leading zeros. {TEXT_FIX_EN}",
                self.column(column)
            ),
            (Lang::Ja, P::NumberZerosInPortal { column, number, known }) => format!(
                "{}「{number}」はポータルの「{known}」と先頭の0だけが違い、このままでは別人として登録されます。{TEXT_FIX_JA}",
                self.column(column)
            ),
            (Lang::En, P::NumberZerosInPortal { column, number, known }) => format!(
                "\"{number}\" ({}) differs from the portal's \"{known}\" only in leading zeros; as it is, it would be registered as another person. {TEXT_FIX_EN}",
                self.column(column)
            ),
            (Lang::Ja, P::EmailTwice { email, line }) => format!(
                "{email} は{line}行目にもあります。メールアドレスは一人に一つずつにしてください"
            ),
            (Lang::En, P::EmailTwice { email, line }) => format!(
                "{email} is on line {line} too. Give each person an e-mail address of their own."
            ),
            (Lang::Ja, P::EmailTaken { email, number_column, number }) => format!(
                "{email} はポータルで{}{number}の職員が使っています。メールアドレスは一人に一つずつにしてください",
                self.column(number_column)
            ),
            (Lang::En, P::EmailTaken { email, number_column, number }) => format!(
                "{email} is used in the portal by the staff member with the {} {number}. Give each person an e-mail address of their own.",
                en_column_name(number_column, &self.column(number_column))
            ),
            (Lang::Ja, P::MassChange { active, new, leavers }) => format!(
                "在職者{active}人に対して新規{new}人・退職{leavers}人になります。職員番号の先頭の0が消えていないか、別の機関のファイルでないかを確かめてください。意図した変更なら、画面では確認欄にチェックを入れて、コマンドでは --allow-mass-change を付けて取り込んでください"
            ),
            (Lang::En, P::MassChange { active, new, leavers }) => format!(
                "{active} staff are currently employed; this file would add {new} new staff and mark {leavers} as leaving. Check that the leading zeros of the employee numbers were not dropped and that this is not another institution's file. If the change is intended, tick the confirmation box on the page, or import with --allow-mass-change on the command line."
            ),
            (Lang::Ja, P::UnknownPerson { column, number }) => format!(
                "{}「{number}」の職員はポータルにいません。先に職員名簿を取り込むか、番号を直してください",
                self.column(column)
            ),
            (Lang::En, P::UnknownPerson { column, number }) => format!(
                "No staff member in the portal has the {} \"{number}\". Import the staff roster first, or correct the number.",
                en_column_name(column, &self.column(column))
            ),
            (Lang::Ja, P::DesignationOverlap { from, to }) => format!(
                "この職員はこの期間の一部に、同じ所属で同じ種類の指定をすでに受けています（{}〜{}）。今の指定を終えるか、開始日をその後にしてください",
                self.date(*from),
                to.map(|d| self.date(d)).unwrap_or_default()
            ),
            (Lang::En, P::DesignationOverlap { from, to }) => format!(
                "This person already holds this designation in the same division for part of this period ({} to {}). End that designation first, or start this one after it.",
                self.date(*from),
                to.map_or_else(|| "open".to_string(), |d| self.date(d))
            ),
        }
    }

    /// Characters a cell cannot keep.
    pub fn char_problem(&self, c: &CharProblem) -> String {
        use CharProblem as C;
        match (self.lang, c) {
            (Lang::Ja, C::Newline) => {
                "セルの中に改行があります。改行（Alt+Enter で入れたもの）を削除してください".into()
            }
            (Lang::En, C::Newline) => {
                "The cell contains a line break. Delete it (a line break entered with Alt+Enter)."
                    .into()
            }
            (Lang::Ja, C::Tab) => {
                "セルの中にタブ文字があります。削除するか空白にしてください".into()
            }
            (Lang::En, C::Tab) => {
                "The cell contains a tab character. Delete it or replace it with a space.".into()
            }
            (Lang::Ja, C::Control(c)) => format!(
                "制御文字（U+{:04X}）が含まれています。削除してください",
                u32::from(*c)
            ),
            (Lang::En, C::Control(c)) => format!(
                "The cell contains a control character (U+{:04X}). Delete it.",
                u32::from(*c)
            ),
            (Lang::Ja, C::PrivateUse { value, ch }) => format!(
                "『{value}』に外字（U+{:04X}）が含まれています。外字は他のコンピューターで表示できません。通常の文字に置き換えてください",
                u32::from(*ch)
            ),
            (Lang::En, C::PrivateUse { value, ch }) => format!(
                "\"{value}\" contains a private-use character (U+{:04X}), which other computers cannot display. Replace it with a standard character.",
                u32::from(*ch)
            ),
            (Lang::Ja, C::Replaced { value }) => format!(
                "『{value}』: 文字が『?』に置き換わっています。Shift_JISで表せない文字（𠮷など）が失われました。元のデータからUTF-8で保存し直し、正しい文字を入れてください"
            ),
            (Lang::En, C::Replaced { value }) => format!(
                "\"{value}\": characters have been replaced with \"?\": characters that Shift_JIS cannot hold (some rare kanji) were lost. Save the original data again as UTF-8 and enter the correct characters."
            ),
        }
    }
}

/// The fix for a number or code a spreadsheet stripped of its leading zeros, found in the file.
const ZEROS_FIX_JA: &str =
    "表計算ソフトで先頭の0が消えた可能性があります。列の書式を『文字列』にして保存し直してください";
const ZEROS_FIX_EN: &str = "A spreadsheet may have dropped the leading zeros. Format the column as text and save the file again.";

/// The same, found against the portal: the original numbers are to be restored.
const TEXT_FIX_JA: &str = "表計算ソフトで先頭の0が消えた可能性があります。その列の書式を「文字列」にして元の番号に直し、保存し直してください";
const TEXT_FIX_EN: &str = "A spreadsheet may have dropped the leading zeros. Format the column as text, restore the original numbers and save the file again.";

/// What a designation's kind may be, in English: the identifiers, or the Japanese titles the
/// file may use.
const KINDS_EN: &str =
    "Write clerk, file_handler or system_admin, or the designation's Japanese title.";

/// A column where an English sentence names it after `line N, `: `column "採用日"`,
/// `column 3`, `the whole file`.
fn en_column(c: &Column, name: &str) -> String {
    match c {
        Column::Header(_) | Column::Known(_) => format!("column \"{name}\""),
        Column::Nth(_) | Column::File => name.to_string(),
    }
}

/// A column inside an English sentence: a header the file writes in quotes, a name of the
/// catalogue as it is (`the "社員番号"`, `the employee number`).
fn en_column_name(c: &Column, name: &str) -> String {
    match c {
        Column::Header(_) => format!("\"{name}\""),
        _ => name.to_string(),
    }
}
