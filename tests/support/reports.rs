//! The data the report tests read back: fiscal year 2025 with an approved standard plan, a
//! division whose five people's years went five different ways (and one who left before the
//! year), and a second division with the chief, the auditor, a staff member and a protection
//! officer. The command-line and web report tests and the browser download test share it.

use kenshu_core::people::Role;

use crate::{TestApp, institution, user_in};

/// The fiscal year of the data; its standard plan is approved.
pub const FY: i32 = 2025;

/// Division a: five people whose year went five different ways, one who left before the
/// year (not in the report); division b: the chief (9001), the auditor (9002), a staff member
/// and a protection officer.
pub async fn setup(app: &TestApp) {
    let pool = app.pool();
    let (inst, _, _) = institution(pool).await;
    {
        let mut conn = pool.acquire().await.unwrap();
        kenshu_db::plans::create_standard(&mut conn, inst, kenshu_core::FiscalYear(FY), true, None)
            .await
            .unwrap();
    }
    for login in ["1001", "1002", "1003", "1004", "1005", "1006"] {
        user_in(pool, login, Role::Staff, false, false).await;
    }
    user_in(pool, "9001", Role::ChiefOfficer, true, false).await;
    user_in(pool, "9002", Role::AuditOfficer, true, false).await;
    user_in(pool, "9003", Role::Staff, true, false).await;
    user_in(pool, "9004", Role::ProtectionOfficer, true, false).await;
    for sql in [
        // 𠮷 is not in CP932: the Shift_JIS CSV shows 〓.
        "update users set name = '𠮷田 花子' where login_id = '1002'",
        "update users set name = '山田 太郎' where login_id = '1001'",
        "update users set status = 'left', left_on = '2025-10-15' where login_id = '1005'",
        "update users set status = 'left', left_on = '2025-03-31' where login_id = '1006'",
        "insert into designations (institution_id, user_id, kind, division_id, valid_from, valid_to)
         select institution_id, id, 'clerk', division_id, '2025-04-01', '2025-09-30' from users where login_id = '1001'",
        "insert into completions (institution_id, user_id, course_code, fiscal_year, completed_at, content_version_id, method, score, total)
         select u.institution_id, u.id, c.code, 2025, '2025-06-10 10:00+09', c.current_version_id, 'e_learning',
                case when c.code = 'final-test' then 9 end, case when c.code = 'final-test' then 10 end
         from users u cross join courses c where u.login_id = '1001' and c.code in ('clerk', 'cybersecurity', 'final-test')",
        "insert into completions (institution_id, user_id, course_code, fiscal_year, completed_at, content_version_id, method)
         select u.institution_id, u.id, c.code, 2025, '2025-07-01 14:00+09', c.current_version_id, 'in_person'
         from users u cross join courses c where u.login_id = '1002' and c.code = 'clerk'",
        "insert into retakes (institution_id, user_id, course_code, fiscal_year, deadline, granted_by)
         select institution_id, id, 'clerk', 2025, '2026-02-28', id from users where login_id = '1003'",
        "insert into completions (institution_id, user_id, course_code, fiscal_year, completed_at, content_version_id, method, score, total)
         select u.institution_id, u.id, c.code, 2025, '2026-02-01 09:00+09', c.current_version_id, 'e_learning', 8, 10
         from users u cross join courses c where u.login_id = '1003' and c.code = 'clerk'",
        "insert into exemptions (institution_id, user_id, course_code, fiscal_year, reason, decided_by)
         select institution_id, id, 'clerk', 2025, '長期療養', id from users where login_id = '1004'",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

/// The annual report's header row, in every format.
pub const HEADER: [&str; 13] = [
    "所属コード",
    "所属",
    "職員番号",
    "氏名",
    "指定（年度内）",
    "研修",
    "受講状況",
    "受講方法",
    "修了日",
    "得点",
    "受講期限",
    "再受講",
    "退職日",
];

/// Parses CSV text (quotes and CRLF) into rows of cells.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut cell, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut cell)),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => cell.push(c),
        }
    }
    rows
}
