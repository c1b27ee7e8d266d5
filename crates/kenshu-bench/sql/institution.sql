-- A generated institution for the dashboard benchmark, all set-based. Expects institution
-- `bench`, the course content, and the settings bench.staff, bench.divisions, bench.fy and
-- bench.today (set_config). Pseudo-random choices hash the login and course code, so that a
-- run is reproducible. Division d001 gets staff / divisions people (500 for 100,000 in 200).
create temp table gp as
select i.id as inst,
       current_setting('bench.staff')::int as staff,
       current_setting('bench.divisions')::int as divs,
       current_setting('bench.fy')::int as fy,
       make_date(current_setting('bench.fy')::int, 4, 1) as fy_start,
       current_setting('bench.today')::date as today
from institutions i where i.code = 'bench';

insert into divisions (institution_id, code, name)
select gp.inst, 'd' || lpad(n::text, 3, '0'), '第' || n || '課' from gp, generate_series(1, gp.divs) n;

create temp table gd as
select row_number() over (order by d.code)::int as k, d.id
from divisions d join gp on d.institution_id = gp.inst;

-- Person n works in division (n - 1) % divs + 1. The first person of each division is its
-- protection officer; then the chief and the audit officer. 3% arrived during the year, 1% left,
-- 0.3% leave later this year.
insert into users (institution_id, login_id, email, name, division_id, role, password_hash,
                   must_change_password, hired_on, status, left_on)
select gp.inst, 's' || lpad(n::text, 6, '0'), 's' || n || '@bench.example.jp', '職員 ' || n, gd.id,
       case when n <= gp.divs then 'protection_officer'
            when n = gp.divs + 1 then 'chief_officer'
            when n = gp.divs + 2 then 'audit_officer'
            else 'staff' end,
       null, false,
       case when n % 33 = 7 then least(gp.today, gp.fy_start + n % 200)
            else make_date(1985 + n % 38, 4, 1) end,
       case when n % 100 = 3 then 'left' when n % 250 = 5 then 'on_leave' else 'active' end,
       case when n % 100 = 3 then least(gp.today, gp.fy_start + n % 150)
            when n % 300 = 11 then gp.today + 60 end
from gp cross join generate_series(1, gp.staff) n
join gd on gd.k = (n - 1) % gp.divs + 1;

-- Everyone's first placement; 5% transferred in on 1 June from another division.
insert into placements (institution_id, user_id, valid_from, valid_to, division_id)
select u.institution_id, u.id, coalesce(u.hired_on, date '2000-04-01'),
       case when substr(u.login_id, 2)::int % 20 = 9 and u.hired_on < gp.fy_start + 60
            then gp.fy_start + 59 end,
       u.division_id
from users u join gp on u.institution_id = gp.inst;
insert into placements (institution_id, user_id, valid_from, division_id)
select u.institution_id, u.id, gp.fy_start + 60, u.division_id
from users u join gp on u.institution_id = gp.inst
where substr(u.login_id, 2)::int % 20 = 9 and u.hired_on < gp.fy_start + 60
  and gp.fy_start + 60 <= gp.today;

-- Designations: 10% clerks, 5% file handlers, 1% system administrators, 2% clerks for one busy
-- month this year (ended), and a deputy protection officer by designation in half the divisions.
insert into designations (institution_id, user_id, kind, division_id, valid_from, valid_to)
select u.institution_id, u.id, k.kind, u.division_id, k.valid_from, k.valid_to
from users u join gp on u.institution_id = gp.inst
cross join lateral (values
    ('clerk', date '2020-04-01', null::date, substr(u.login_id, 2)::int % 10 = 1),
    ('file_handler', date '2021-04-01', null, substr(u.login_id, 2)::int % 20 = 2),
    ('system_admin', date '2019-04-01', null, substr(u.login_id, 2)::int % 100 = 4),
    ('clerk', gp.fy_start + 150, gp.fy_start + 180, substr(u.login_id, 2)::int % 50 = 6),
    ('protection_officer', gp.fy_start, null,
     substr(u.login_id, 2)::int between 2 * gp.divs + 1 and 3 * gp.divs
     and substr(u.login_id, 2)::int % 2 = 0)
) as k(kind, valid_from, valid_to, wanted)
where k.wanted and k.valid_from <= gp.today;

-- The year's plan: the standard courses; cybersecurity due at the end of September, so that
-- some are overdue by autumn.
insert into training_plans (institution_id, fiscal_year, status, purpose, method, newcomer_days, approved_at)
select inst, fy, 'approved', '特定個人情報等の適正な取扱いのため', 'eラーニング', 30, now() from gp;
insert into plan_courses (institution_id, plan_id, course_code, audience, starts_on, deadline, retake_until)
select gp.inst, tp.id, c.code,
       case c.code when 'protection-officer' then '{protection_officer}'::text[] else '{all}' end,
       gp.fy_start,
       case c.code when 'cybersecurity' then make_date(gp.fy, 9, 30) else make_date(gp.fy, 12, 31) end,
       make_date(gp.fy + 1, 3, 31)
from gp join training_plans tp on tp.institution_id = gp.inst and tp.fiscal_year = gp.fy
cross join courses c
where c.code in ('clerk', 'protection-officer', 'cybersecurity', 'final-test');

-- Where each person stands in each course: h is a reproducible number 0–99.
create temp table gw as
select u.institution_id, u.id as user_id, c.code, c.current_version_id as version,
       abs(hashtext(u.login_id || c.code)) % 100 as h,
       abs(hashtext(c.code || u.login_id)) % greatest(1, gp.today - gp.fy_start) as day,
       v.package
from users u join gp on u.institution_id = gp.inst
cross join courses c join content_versions v on v.id = c.current_version_id
where c.code in ('clerk', 'cybersecurity', 'final-test')
   or (c.code = 'protection-officer' and u.role = 'protection_officer');

-- 72% completed (4% of them in person), 13% started, 1% exempt, the rest untouched.
insert into completions (institution_id, user_id, course_code, fiscal_year, completed_at,
                         content_version_id, method, score, total)
select w.institution_id, w.user_id, w.code, gp.fy,
       (gp.fy_start + w.day)::timestamp + interval '10 hours' + (w.h * interval '5 minutes'),
       w.version, case when w.h < 3 then 'in_person' else 'e_learning' end,
       case when w.package -> 'test' <> 'null'::jsonb and w.h >= 3 then 10 end,
       case when w.package -> 'test' <> 'null'::jsonb and w.h >= 3 then 10 end
from gw w, gp where w.h < 72;

insert into section_reads (institution_id, user_id, fiscal_year, course_code, section_slug,
                           content_version_id, read_at)
select w.institution_id, w.user_id, gp.fy, w.code, s.value ->> 'slug', w.version,
       (gp.fy_start + w.day)::timestamp + interval '9 hours'
from gw w cross join gp
cross join lateral jsonb_array_elements(w.package -> 'sections') with ordinality as s(value, i)
where (w.h between 3 and 71) or (w.h between 72 and 84 and s.i = 1);

insert into test_attempts (institution_id, id, user_id, course_code, content_version_id,
                           fiscal_year, started_at, submitted_at, score, total, pass_mark, passed)
select w.institution_id, gen_random_uuid(), w.user_id, w.code, w.version, gp.fy,
       (gp.fy_start + w.day)::timestamp + interval '10 hours',
       (gp.fy_start + w.day)::timestamp + interval '10 hours' + (w.h * interval '5 minutes'),
       10, 10, 8, true
from gw w, gp
where w.h between 3 and 71 and w.package -> 'test' <> 'null'::jsonb;

-- Each attempt's answers (what 設問別の正答率 counts): every question answered; a question is
-- missed by about one person in (3 + its number), reproducibly.
insert into test_answers (institution_id, attempt_id, question_number, chosen, correct, answered_at)
select a.institution_id, a.id, q.n, '{0}'::smallint[],
       abs(hashtext(a.id::text || q.n::text)) % (3 + q.n) <> 0, a.started_at
from test_attempts a
join content_versions v on v.id = a.content_version_id
cross join lateral generate_series(1, jsonb_array_length(v.package -> 'test' -> 'questions')) as q(n)
where a.institution_id = (select inst from gp);

-- The summary the portal keeps on each read and attempt (migration 0020).
insert into course_activity (institution_id, user_id, fiscal_year, course_code, first_at, last_at)
select institution_id, user_id, fiscal_year, course_code, min(first_at), max(last_at) from (
    select institution_id, user_id, fiscal_year, course_code, read_at as first_at, read_at as last_at
    from section_reads where institution_id = (select inst from gp)
    union all
    select institution_id, user_id, fiscal_year, course_code, started_at, coalesce(submitted_at, started_at)
    from test_attempts where institution_id = (select inst from gp)
) x
group by institution_id, user_id, fiscal_year, course_code;

insert into exemptions (institution_id, user_id, course_code, fiscal_year, reason, decided_by)
select w.institution_id, w.user_id, w.code, gp.fy, '長期療養のため',
       (select id from users where institution_id = gp.inst and role = 'chief_officer' limit 1)
from gw w, gp where w.h = 99;

-- Re-attendance for a third of those who missed cybersecurity; a follow-up for a tenth.
insert into retakes (institution_id, user_id, course_code, fiscal_year, deadline, granted_by)
select w.institution_id, w.user_id, w.code, gp.fy, make_date(gp.fy + 1, 2, 28),
       (select id from users where institution_id = gp.inst and role = 'chief_officer' limit 1)
from gw w, gp where w.code = 'cybersecurity' and w.h between 72 and 98 and w.h % 3 = 0;
insert into follow_ups (institution_id, user_id, happened_on, method, note, recorded_by)
select w.institution_id, w.user_id, least(gp.today, make_date(gp.fy, 10, 15)), 'email', '受講を依頼',
       (select id from users where institution_id = gp.inst and role = 'chief_officer' limit 1)
from gw w, gp where w.code = 'cybersecurity' and w.h between 72 and 98 and w.h % 10 = 0;

drop table gw;
drop table gd;
drop table gp;
