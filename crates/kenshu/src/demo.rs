//! The demo institution: デモ市, three divisions, about 30 staff, one protection officer per
//! division, a chief officer, an audit officer and a portal admin, all with the password
//! `kenshu-demo`.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::{Context, bail};
use kenshu_core::audit::AuditKey;
use kenshu_core::person::{LoginId, Role};
use kenshu_db::PgPool;

pub const DEMO_CODE: &str = "demo";
pub const DEMO_PASSWORD: &str = "kenshu-demo";

const DIVISIONS: [(&str, &str); 3] = [
    ("shimin", "市民課"),
    ("zeimu", "税務課"),
    ("fukushi", "福祉課"),
];

const FAMILY: [&str; 10] = [
    "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤",
];
const GIVEN: [&str; 10] = [
    "一郎", "花子", "健太", "由美", "翔", "美咲", "大輔", "陽子", "拓也", "真理",
];

pub async fn prepare(
    pool: &PgPool,
    key: &AuditKey,
    content: &Path,
    bind: SocketAddr,
) -> anyhow::Result<()> {
    let mut conn = pool.acquire().await?;
    let institutions = kenshu_db::institution::list(&mut conn).await?;
    if institutions.iter().any(|i| i.code != DEMO_CODE) {
        bail!(
            "this database holds other institutions ({}); the demo runs only on a database of its own (unset DATABASE_URL or use another --data-dir)",
            institutions
                .iter()
                .map(|i| i.code.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    crate::admin::load_content(pool, key, content)
        .await
        .with_context(|| format!("loading course content from {}", content.display()))?;
    if institutions.is_empty() {
        create(pool).await?;
        println!("created the demo institution デモ市 (code: {DEMO_CODE})");
    }
    println!();
    println!("Kenshu demo: http://{bind}/");
    println!("Sign in with any of these (password: {DEMO_PASSWORD}):");
    println!("  admin              ポータル管理者 (portal admin)");
    println!("  chief              総括責任者 (chief officer)");
    println!("  auditor            監査責任者 (audit officer)");
    println!("  officer1..officer3 保護責任者 (protection officers of 市民課, 税務課, 福祉課)");
    println!("  staff01..staff30   職員 (staff)");
    println!();
    Ok(())
}

async fn create(pool: &PgPool) -> anyhow::Result<()> {
    // One hash for every demo account: the password is public anyway, and hashing 36 times
    // with argon2 would slow the first start for nothing.
    let hash = tokio::task::spawn_blocking(|| kenshu_db::password::hash(DEMO_PASSWORD)).await??;
    let mut tx = pool.begin().await?;
    let inst = kenshu_db::institution::create(&mut tx, DEMO_CODE, "デモ市").await?;
    let mut divisions = Vec::new();
    for (code, name) in DIVISIONS {
        divisions
            .push(kenshu_db::institution::create_division(&mut tx, inst, code, name, None).await?);
    }
    let mut accounts: Vec<(String, String, usize, Role)> = vec![
        ("admin".into(), "管理 太郎".into(), 0, Role::PortalAdmin),
        ("chief".into(), "総括 正義".into(), 0, Role::ChiefOfficer),
        ("auditor".into(), "監査 誠".into(), 0, Role::AuditOfficer),
    ];
    for (i, (_, name)) in DIVISIONS.iter().enumerate() {
        accounts.push((
            format!("officer{}", i + 1),
            format!("{} 課長（{name}）", FAMILY[i + 5]),
            i,
            Role::ProtectionOfficer,
        ));
    }
    for n in 1..=30usize {
        let name = format!("{} {}", FAMILY[(n * 7) % 10], GIVEN[n % 10]);
        accounts.push((format!("staff{n:02}"), name, (n - 1) % 3, Role::Staff));
    }
    let mut chief = None;
    let mut ids = std::collections::HashMap::new();
    for (login, name, division, role) in &accounts {
        let email = format!("{login}@demo.example.jp");
        let user = kenshu_db::person::NewUser {
            institution_id: inst,
            login_id: &LoginId::parse(login)?,
            email: Some(&email),
            name,
            division_id: divisions[*division],
            role: *role,
            password_hash: &hash,
            must_change_password: false,
        };
        let id = kenshu_db::person::create(&mut tx, &user).await?;
        ids.insert(login.clone(), id);
        if *role == Role::ChiefOfficer {
            chief = Some(id);
        }
    }
    let fy = kenshu_core::FiscalYear::of(kenshu_core::japan_today());
    let plan = kenshu_db::plan::create_standard(&mut tx, inst, fy, false, chief).await?;
    history(&mut tx, inst, fy, &divisions, &ids, &hash).await?;
    if let Some(chief) = chief {
        // A rule to read and acknowledge (規程の確認), as the chief officer would publish it.
        kenshu_db::rules::publish(
            &mut tx,
            inst,
            &kenshu_db::rules::NewVersion {
                code: "tokutei-kitei",
                title: "デモ市 特定個人情報取扱規程（抜粋）",
                body: DEMO_RULE,
                min_read_secs: 20,
                published_by: chief,
            },
        )
        .await?;
        // The plan requires it of everyone by the courses' deadline; staff02–06 have
        // acknowledged it (staff01 has it still to read).
        let deadline = time::Date::from_calendar_date(fy.year(), time::Month::December, 31)
            .unwrap_or(fy.end());
        kenshu_db::plan::put_rule(
            &mut tx,
            inst,
            plan,
            &kenshu_core::plan::PlanRule {
                code: "tokutei-kitei".into(),
                audience: vec![kenshu_core::plan::Target::Everyone],
                deadline,
            },
        )
        .await?;
        for n in 2..=6 {
            if let Some(id) = ids.get(&format!("staff{n:02}")) {
                kenshu_db::rules::acknowledge(&mut tx, inst, *id, "tokutei-kitei", 1, 60).await?;
            }
        }
    }
    kenshu_db::plan::approve(&mut tx, inst, plan, chief).await?;
    tx.commit().await?;
    Ok(())
}

/// The demo's rule: an excerpt in the shape of a municipal 特定個人情報取扱規程.
const DEMO_RULE: &str = "## 第1章 総則\n\n\
**第1条（目的）** この規程は、デモ市における個人番号及び特定個人情報（以下「特定個人情報等」という。）の\
適正な取扱いを確保するために必要な事項を定める。\n\n\
**第2条（取扱いの範囲）** 特定個人情報等は、番号法で定められた事務の範囲内でのみ取り扱う。\n\n\
## 第2章 安全管理措置\n\n\
**第3条（事務取扱担当者）** 特定個人情報等を取り扱う職員は、保護責任者が指定した事務取扱担当者に限る。\n\n\
**第4条（持ち出しの禁止）** 特定個人情報等を記録した媒体及び書類は、許可なく管理区域の外に持ち出してはならない。\n\n\
**第5条（漏えい等の報告）** 漏えい等の事案又はそのおそれを知った職員は、直ちに保護責任者に報告する。\n\n\
**第6条（研修）** 職員は、総括責任者が定める研修を毎年度受講しなければならない。\n";

/// A realistic year so far: some have finished, some are part-way, some are late; a newcomer
/// arrived last week, one person moved division in October, one left.
async fn history(
    tx: &mut kenshu_db::PgConnection,
    inst: uuid::Uuid,
    fy: kenshu_core::FiscalYear,
    divisions: &[uuid::Uuid],
    ids: &std::collections::HashMap<String, uuid::Uuid>,
    hash: &str,
) -> anyhow::Result<()> {
    use kenshu_core::plan::DesignationKind;
    use kenshu_db::designation::NewDesignation;
    use kenshu_db::learning::{Learner, complete, mark_read};
    use time::Duration;
    let today = kenshu_core::japan_today();
    let id = |login: &str| ids.get(login).copied().context("demo account missing");
    // Half a year in, the clerk course was due at the end of September: those who have not
    // finished it are overdue.
    let september = time::Date::from_calendar_date(fy.year(), time::Month::September, 30)?;
    if today > september {
        sqlx::query("update plan_courses set deadline = $2 where institution_id = $1 and course_code = 'clerk'")
            .bind(inst)
            .bind(september)
            .execute(&mut *tx)
            .await?;
    }
    kenshu_db::person::backdate_all(
        tx,
        inst,
        time::Date::from_calendar_date(2015, time::Month::April, 1)?,
    )
    .await?;
    let mut versions = std::collections::HashMap::new();
    for code in ["clerk", "cybersecurity", "final-test"] {
        let v = kenshu_db::content::current_version(tx, code)
            .await?
            .context("course content missing")?;
        versions.insert(code, v);
    }
    for n in 1..=30usize {
        let login = format!("staff{n:02}");
        let who = Learner {
            institution_id: inst,
            user_id: id(&login)?,
            fiscal_year: fy,
        };
        if n <= 9 {
            kenshu_db::designation::add(
                tx,
                inst,
                &NewDesignation {
                    user_id: who.user_id,
                    kind: if n % 3 == 0 {
                        DesignationKind::FileHandler
                    } else {
                        DesignationKind::Clerk
                    },
                    division_id: Some(divisions[(n - 1) % 3]),
                    valid_from: fy.start(),
                    valid_to: None,
                    note: None,
                    created_by: None,
                },
            )
            .await?;
        }
        match n {
            1..=10 => {
                // Three took the clerk course at the in-person session instead.
                let in_person = (4..=6).contains(&n);
                complete(
                    tx,
                    who,
                    "clerk",
                    versions["clerk"],
                    in_person,
                    (!in_person).then_some((4, 4)),
                    None,
                )
                .await?;
                complete(
                    tx,
                    who,
                    "cybersecurity",
                    versions["cybersecurity"],
                    false,
                    Some((3, 3)),
                    None,
                )
                .await?;
                complete(
                    tx,
                    who,
                    "final-test",
                    versions["final-test"],
                    false,
                    Some((9 + (n % 2) as i32, 10)),
                    None,
                )
                .await?;
            }
            11..=18 => {
                for slug in ["system-overview", "safety-measures-1"] {
                    mark_read(tx, who, "clerk", slug, versions["clerk"]).await?;
                }
                if n <= 14 {
                    complete(
                        tx,
                        who,
                        "cybersecurity",
                        versions["cybersecurity"],
                        false,
                        Some((2, 3)),
                        None,
                    )
                    .await?;
                }
            }
            _ => {}
        }
    }
    let officers = [id("officer1")?, id("officer2")?, id("officer3")?];
    spread_over_the_year(tx, inst, fy, today, officers).await?;
    answers_behind_completions(tx, inst, fy).await?;
    kenshu_db::person::set_arrival(tx, inst, id("staff25")?, today - Duration::days(7)).await?;
    let october = time::Date::from_calendar_date(fy.year(), time::Month::October, 1)?;
    if today >= october {
        let who = ["staff26".to_string()];
        kenshu_db::roster::transfer_people(
            tx,
            inst,
            &who,
            &[DIVISIONS[1].0.to_string()],
            &[october],
            today,
        )
        .await?;
    }
    // Someone who left in October stays in every report.
    let leaver = kenshu_db::person::NewUser {
        institution_id: inst,
        login_id: &LoginId::parse("staff31")?,
        email: None,
        name: "退職 太郎",
        division_id: divisions[2],
        role: Role::Staff,
        password_hash: hash,
        must_change_password: false,
    };
    let gone = kenshu_db::person::create(tx, &leaver).await?;
    let who = Learner {
        institution_id: inst,
        user_id: gone,
        fiscal_year: fy,
    };
    complete(
        tx,
        who,
        "clerk",
        versions["clerk"],
        false,
        Some((3, 4)),
        None,
    )
    .await?;
    let left = (october - Duration::days(1)).max(fy.start()).min(today);
    kenshu_db::roster::leave_people(tx, inst, &["staff31".to_string()], &[left], today).await?;
    // They finished the clerk course three weeks before leaving, not on the day the demo runs.
    sqlx::query(
        "update completions set completed_at = (greatest($3::date - 21, $4::date) + time '10:00') at time zone 'Asia/Tokyo'
         where institution_id = $1 and user_id = $2",
    )
    .bind(inst)
    .bind(gone)
    .bind(left)
    .bind(fy.start())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Puts behind each e-learning completion of a course with a test the passed attempt and the
/// answers that made it, so that 設問別の正答率 has figures: each person misses a question now
/// and then (more often the later questions), never more than the pass mark allows. The
/// attempt starts twelve minutes before the completion and is submitted at it.
async fn answers_behind_completions(
    tx: &mut kenshu_db::PgConnection,
    inst: uuid::Uuid,
    fy: kenshu_core::FiscalYear,
) -> anyhow::Result<()> {
    sqlx::query(
        "create temporary table demo_answers on commit drop as
         with taken as (
             select c.user_id, c.course_code, c.content_version_id, c.completed_at,
                    gen_random_uuid() as attempt_id, u.login_id,
                    v.package->'test' as test,
                    (v.package->'test'->>'pass_mark')::int as pass_mark,
                    jsonb_array_length(v.package->'test'->'questions') as total
             from completions c
             join users u on u.institution_id = c.institution_id and u.id = c.user_id
             join content_versions v on v.id = c.content_version_id
             where c.institution_id = $1 and c.fiscal_year = $2 and c.method = 'e_learning'
               and c.attempt_id is null and jsonb_typeof(v.package->'test') = 'object'
         ), asked as (
             select t.*, (q->>'number')::int as number, q->>'answer' = '○' as key,
                    abs(hashtext(t.login_id || t.course_code || (q->>'number'))) % (3 + (q->>'number')::int) = 0 as slip
             from taken t, jsonb_array_elements(t.test->'questions') q
         ), counted as (
             select a.*, count(*) filter (where a.slip) over (partition by a.attempt_id order by a.number) as slips
             from asked a
         )
         select attempt_id, user_id, course_code, content_version_id, completed_at, total, pass_mark, number, key,
                not (slip and slips <= total - pass_mark) as correct
         from counted",
    )
    .bind(inst)
    .bind(fy.year())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "with attempts as (
             insert into test_attempts (institution_id, id, user_id, course_code, content_version_id, fiscal_year,
                                        started_at, submitted_at, score, total, pass_mark, passed)
             select $1, attempt_id, user_id, course_code, content_version_id, $2,
                    completed_at - interval '12 minutes', completed_at,
                    count(*) filter (where correct), total, pass_mark, true
             from demo_answers
             group by attempt_id, user_id, course_code, content_version_id, completed_at, total, pass_mark
             returning id, user_id, course_code, score
         )
         update completions c set attempt_id = a.id, score = a.score, total = d.total
         from attempts a, (select distinct attempt_id, total from demo_answers) d
         where c.institution_id = $1 and c.fiscal_year = $2 and c.user_id = a.user_id
           and c.course_code = a.course_code and d.attempt_id = a.id",
    )
    .bind(inst)
    .bind(fy.year())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into test_answers (institution_id, attempt_id, question_number, chosen, correct, answered_at)
         select $1, d.attempt_id, d.number,
                case when d.key = d.correct then '{0}'::smallint[] else '{1}'::smallint[] end,
                d.correct, d.completed_at
         from demo_answers d",
    )
    .bind(inst)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into course_activity (institution_id, user_id, fiscal_year, course_code, first_at, last_at)
         select distinct $1::uuid, user_id, $2::int, course_code, completed_at - interval '12 minutes', completed_at
         from demo_answers
         on conflict (institution_id, user_id, fiscal_year, course_code) do update
         set first_at = least(course_activity.first_at, excluded.first_at),
             last_at = greatest(course_activity.last_at, excluded.last_at)",
    )
    .bind(inst)
    .bind(fy.year())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Dates the completions as an office's year has them, instead of all on the day the demo is
/// made: most in the two weeks before each course's deadline, the rest spread over the two
/// months before it, never after yesterday; the final test after the courses it sums up; and
/// two people (staff09, staff10) finished the clerk course ten days late, after their
/// protection officer reminded them three days past the deadline.
async fn spread_over_the_year(
    tx: &mut kenshu_db::PgConnection,
    inst: uuid::Uuid,
    fy: kenshu_core::FiscalYear,
    today: time::Date,
    officers: [uuid::Uuid; 3],
) -> anyhow::Result<()> {
    sqlx::query(
        "with d as (
             select c.user_id, c.course_code, least(p.deadline, $3::date - 1) as last_day,
                    abs(hashtext(u.login_id || c.course_code)) % 100 as h
             from completions c
             join users u on u.institution_id = c.institution_id and u.id = c.user_id
             join training_plans tp on tp.institution_id = c.institution_id and tp.fiscal_year = c.fiscal_year
             join plan_courses p on p.institution_id = tp.institution_id and p.plan_id = tp.id
                                and p.course_code = c.course_code
             where c.institution_id = $1 and c.fiscal_year = $2
         )
         update completions c
         set completed_at = (greatest($4::date, d.last_day - case when d.h < 60 then d.h % 14 else d.h % 60 end)
                             + time '09:30' + (d.h % 7) * interval '1 hour') at time zone 'Asia/Tokyo'
         from d
         where c.institution_id = $1 and c.fiscal_year = $2 and c.user_id = d.user_id
           and c.course_code = d.course_code",
    )
    .bind(inst)
    .bind(fy.year())
    .bind(today)
    .bind(fy.start())
    .execute(&mut *tx)
    .await?;
    let clerk_deadline: Option<time::Date> = sqlx::query_scalar(
        "select p.deadline from plan_courses p join training_plans tp on tp.id = p.plan_id
         where tp.institution_id = $1 and tp.fiscal_year = $2 and p.course_code = 'clerk'",
    )
    .bind(inst)
    .bind(fy.year())
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(deadline) = clerk_deadline.filter(|d| *d + time::Duration::days(10) < today) {
        let late: Vec<(uuid::Uuid, String)> = sqlx::query_as(
            "update completions c set completed_at = ($3::date + 10 + time '15:00') at time zone 'Asia/Tokyo'
             from users u
             where c.institution_id = $1 and u.institution_id = $1 and u.id = c.user_id
               and u.login_id in ('staff09', 'staff10') and c.course_code = 'clerk'
             returning c.user_id, u.login_id",
        )
        .bind(inst)
        .bind(fy.year())
        .bind(deadline)
        .fetch_all(&mut *tx)
        .await?;
        let courses = ["clerk".to_string()];
        for (user_id, login) in late {
            let id = uuid::Uuid::new_v4();
            // staffNN works in division (NN - 1) % 3, whose officer reminds them.
            let n: usize = login.trim_start_matches("staff").parse().unwrap_or(1);
            let officer = officers[(n.max(1) - 1) % 3];
            kenshu_db::reminder::record(
                tx,
                inst,
                &kenshu_db::reminder::NewReminder {
                    id,
                    user_id,
                    fiscal_year: fy,
                    courses: &courses,
                    rules: &[],
                    message: "期限を過ぎています。今週中に受講してください。",
                    sent_by: Some(officer),
                    mail: None,
                    mail_after: None,
                },
            )
            .await?;
            sqlx::query(
                "update reminders set created_at = ($3::date + 3 + time '09:00') at time zone 'Asia/Tokyo',
                                      seen_at = ($3::date + 4 + time '08:45') at time zone 'Asia/Tokyo'
                 where institution_id = $1 and id = $2",
            )
            .bind(inst)
            .bind(id)
            .bind(deadline)
            .execute(&mut *tx)
            .await?;
        }
    }
    // The final test sums up the other courses: taken after them.
    sqlx::query(
        "update completions f
         set completed_at = greatest(f.completed_at, o.last + interval '1 hour')
         from (select user_id, max(completed_at) as last from completions
               where institution_id = $1 and fiscal_year = $2 and course_code <> 'final-test'
               group by user_id) o
         where f.institution_id = $1 and f.fiscal_year = $2 and f.course_code = 'final-test'
           and f.user_id = o.user_id",
    )
    .bind(inst)
    .bind(fy.year())
    .execute(&mut *tx)
    .await?;
    Ok(())
}
