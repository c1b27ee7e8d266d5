-- Many institutions in one database (kenshu-bench many), all set-based. Generates institutions
-- number many.from … many.to of many.n; expects the course content and the settings many.from,
-- many.to, many.n, many.scale, many.fy and many.today (set_config). Sizes are like Japan's
-- municipalities: institution k takes rank r in a reproducible shuffle (institution 1 is rank 1,
-- the largest) and has least(30000, 175000 · r^-0.8) staff, at least 100, times many.scale
-- (for 1,800 institutions: 35 of 10,000 or more, 126 of 3,000–10,000, 1,164 under 1,000,
-- 2.81 million in all). Logins are unique in the database: i0001-000001. Divisions of about
-- 150 people. Deadlines are the end of the fiscal year, so that on the bench's day no reminder
-- step is due (the schedule has nothing to do); the earlier months left their reminders, audit
-- entries and sessions behind.
create temp table mi as
select k, code, staff, greatest(1, staff / 150) as divs
from (
    select k, 'i' || lpad(k::text, 4, '0') as code,
           greatest(1, round(greatest(100, least(30000, 175000 * power(r, -0.8)))
                             * current_setting('many.scale')::float8))::int as staff
    from (
        select k, row_number() over (order by k <> 1, hashtext('rank' || k)) as r
        from generate_series(1, current_setting('many.n')::int) k
    ) ranked
) sized
where k between current_setting('many.from')::int and current_setting('many.to')::int;

create temp table mp as
select current_setting('many.fy')::int as fy,
       make_date(current_setting('many.fy')::int, 4, 1) as fy_start,
       current_setting('many.today')::date as today;

insert into institutions (code, name)
select code, '研修市' || k from mi;

create temp table mx as
select mi.*, i.id as inst from mi join institutions i using (code);

insert into divisions (institution_id, code, name)
select mx.inst, 'd' || lpad(n::text, 3, '0'), '第' || n || '課'
from mx, generate_series(1, mx.divs) n;

-- Person n of an institution works in division (n - 1) % divs + 1; the first of each division
-- is its protection officer, then the chief and the audit officer. 1% have left.
insert into users (institution_id, login_id, email, name, division_id, role, password_hash,
                   must_change_password, hired_on, status, left_on)
select mx.inst, mx.code || '-' || lpad(n::text, 6, '0'),
       mx.code || '-' || n || '@bench.example.jp', '職員 ' || n, d.id,
       case when n <= mx.divs then 'protection_officer'
            when n = mx.divs + 1 then 'chief_officer'
            when n = mx.divs + 2 then 'audit_officer'
            else 'staff' end,
       null, false, make_date(1985 + n % 38, 4, 1),
       case when n % 100 = 3 then 'left' else 'active' end,
       case when n % 100 = 3 then least(mp.today, mp.fy_start + n % 150) end
from mx cross join mp cross join generate_series(1, mx.staff) n
join divisions d on d.institution_id = mx.inst
                and d.code = 'd' || lpad(((n - 1) % mx.divs + 1)::text, 3, '0');

insert into placements (institution_id, user_id, valid_from, division_id)
select u.institution_id, u.id, u.hired_on, u.division_id
from users u join mx on u.institution_id = mx.inst;

insert into training_plans (institution_id, fiscal_year, status, purpose, method, newcomer_days, approved_at)
select mx.inst, mp.fy, 'approved', '特定個人情報等の適正な取扱いのため', 'eラーニング', 30, now()
from mx, mp;
insert into plan_courses (institution_id, plan_id, course_code, audience, starts_on, deadline, retake_until)
select mx.inst, tp.id, c.code,
       case c.code when 'protection-officer' then '{protection_officer}'::text[] else '{all}' end,
       mp.fy_start, make_date(mp.fy + 1, 3, 31), make_date(mp.fy + 1, 3, 31)
from mx cross join mp
join training_plans tp on tp.institution_id = mx.inst and tp.fiscal_year = mp.fy
cross join courses c
where c.code in ('clerk', 'protection-officer', 'cybersecurity', 'final-test');

-- The courses' facts, read once (copying each package into every person's row would write
-- gigabytes).
create temp table mc as
select c.code, c.current_version_id as version, v.package -> 'test' <> 'null'::jsonb as has_test,
       coalesce(jsonb_array_length(v.package -> 'test' -> 'questions'), 0) as questions,
       array(select s ->> 'slug' from jsonb_array_elements(v.package -> 'sections') s) as slugs
from courses c join content_versions v on v.id = c.current_version_id
where c.code in ('clerk', 'protection-officer', 'cybersecurity', 'final-test');

-- Where each person stands in each course: h is a reproducible number 0–99.
create temp table mw as
select u.institution_id, u.id as user_id, u.login_id, c.code, c.version,
       abs(hashtext(u.login_id || c.code)) % 100 as h,
       abs(hashtext(c.code || u.login_id)) % greatest(1, mp.today - mp.fy_start) as day,
       c.has_test, c.questions, c.slugs
from users u join mx on u.institution_id = mx.inst cross join mp cross join mc c
where u.status = 'active'
  and (c.code <> 'protection-officer' or u.role = 'protection_officer');

-- 72% completed (3% of all in person), 13% started, the rest untouched.
insert into completions (institution_id, user_id, course_code, fiscal_year, completed_at,
                         content_version_id, method, score, total)
select w.institution_id, w.user_id, w.code, mp.fy,
       (mp.fy_start + w.day)::timestamp + interval '10 hours' + (w.h * interval '5 minutes'),
       w.version, case when w.h < 3 then 'in_person' else 'e_learning' end,
       case when w.has_test and w.h >= 3 then w.questions end,
       case when w.has_test and w.h >= 3 then w.questions end
from mw w, mp where w.h < 72;

insert into section_reads (institution_id, user_id, fiscal_year, course_code, section_slug,
                           content_version_id, read_at)
select w.institution_id, w.user_id, mp.fy, w.code, s.slug, w.version,
       (mp.fy_start + w.day)::timestamp + interval '9 hours'
from mw w cross join mp
cross join lateral unnest(w.slugs) with ordinality as s(slug, i)
where (w.h between 3 and 71) or (w.h between 72 and 84 and s.i = 1);

-- One passing attempt per e-learning completion of a course with a test, and its answers.
create temp table ma as
select w.institution_id, gen_random_uuid() as id, w.user_id, w.code, w.version,
       (mp.fy_start + w.day)::timestamp + interval '10 hours' as started_at,
       (mp.fy_start + w.day)::timestamp + interval '10 hours' + (w.h * interval '5 minutes') as submitted_at,
       w.questions
from mw w, mp
where w.h between 3 and 71 and w.has_test;
insert into test_attempts (institution_id, id, user_id, course_code, content_version_id,
                           fiscal_year, started_at, submitted_at, score, total, pass_mark, passed)
select a.institution_id, a.id, a.user_id, a.code, a.version, mp.fy, a.started_at, a.submitted_at,
       a.questions, a.questions, a.questions, true
from ma a, mp;
insert into test_answers (institution_id, attempt_id, question_number, chosen, correct, answered_at)
select a.institution_id, a.id, q, case when q % 2 = 0 then '{0}'::smallint[] else '{1}'::smallint[] end, true, a.submitted_at
from ma a cross join generate_series(1, a.questions) q;

insert into course_activity (institution_id, user_id, fiscal_year, course_code, first_at, last_at)
select institution_id, user_id, fiscal_year, course_code, min(first_at), max(last_at) from (
    select r.institution_id, r.user_id, r.fiscal_year, r.course_code, r.read_at as first_at, r.read_at as last_at
    from section_reads r join mx on r.institution_id = mx.inst
    union all
    select a.institution_id, a.user_id, mp.fy, a.code, a.started_at, a.submitted_at
    from ma a, mp
) x
group by institution_id, user_id, fiscal_year, course_code;

-- The schedule's reminders of the earlier months: one for each person who had not finished
-- cybersecurity by mid-September, with its step taken and its mail sent.
create temp table mr as
select w.institution_id, gen_random_uuid() as id, w.user_id, w.login_id,
       make_date(mp.fy, 9, 16)::timestamp + interval '9 hours' as at
from mw w, mp
where w.code = 'cybersecurity' and (w.h >= 72 or w.day > 168);
insert into mail_outbox (institution_id, id, to_address, subject, body, created_at, attempts,
                         next_attempt_at, sent_at, sent_via)
select r.institution_id, gen_random_uuid(), r.login_id || '@bench.example.jp',
       '【お知らせ】受講期限が近い研修があります',
       r.login_id || ' 様' || chr(10) || '受講期限が近い研修があります。' || chr(10) || 'サイバーセキュリティ研修',
       r.at, 1, r.at, r.at + interval '1 minute', 'smtp'
from mr r;
insert into reminders (institution_id, id, user_id, fiscal_year, courses, created_at, seen_at)
select r.institution_id, r.id, r.user_id, mp.fy, '{cybersecurity}', r.at,
       case when abs(hashtext(r.login_id)) % 3 > 0 then r.at + interval '2 days' end
from mr r, mp;
insert into reminder_steps (institution_id, user_id, fiscal_year, course_code, step, reminder_id)
select r.institution_id, r.user_id, mp.fy, 'cybersecurity', make_date(mp.fy, 9, 30) || ':before:14', r.id
from mr r, mp;

-- The audit log: every sign-in (three to six a year per active person so far) and the
-- officers' views of their people, hash-chained per institution as the portal writes them.
insert into audit_log (institution_id, seq, at, actor_id, actor, action, subject, detail,
                       prev_hash, hash, scheme)
select x.institution_id, x.seq, x.at, x.user_id, x.login_id, x.action, x.subject, '',
       sha256(int8send(x.seq - 1)), sha256(int8send(x.seq)), 2
from (
    select e.*, row_number() over (partition by e.institution_id order by e.at, e.login_id) as seq
    from (
        select u.institution_id, u.id as user_id, u.login_id,
               (mp.fy_start + abs(hashtext(u.login_id || s)) % greatest(1, mp.today - mp.fy_start))::timestamp
                 + interval '8 hours' + (s * interval '7 minutes') as at,
               'sign_in' as action, '' as subject
        from users u join mx on u.institution_id = mx.inst cross join mp
        cross join lateral generate_series(1, 3 + abs(hashtext(u.login_id)) % 4) s
        where u.status = 'active'
        union all
        select o.institution_id, o.id, o.login_id,
               (mp.fy_start + abs(hashtext(p.login_id)) % greatest(1, mp.today - mp.fy_start))::timestamp
                 + interval '14 hours',
               'person_viewed', p.login_id
        from users o join mx on o.institution_id = mx.inst cross join mp
        join users p on p.institution_id = o.institution_id and p.division_id = o.division_id
                    and p.role = 'staff' and abs(hashtext(p.login_id)) % 10 = 0
        where o.role = 'protection_officer'
    ) e
) x;

-- Sessions of the last half hour: 2% of the active people are signed in.
insert into sessions (token_hash, institution_id, user_id, csrf_token, created_at, expires_at, seen_at)
select sha256(convert_to(u.login_id, 'UTF8')), u.institution_id, u.id,
       md5(u.login_id), now() - interval '20 minutes', now() + interval '8 hours',
       now() - interval '5 minutes'
from users u join mx on u.institution_id = mx.inst
where u.status = 'active' and abs(hashtext(u.login_id || 'session')) % 50 = 0;

drop table mr;
drop table ma;
drop table mw;
drop table mc;
drop table mx;
drop table mp;
drop table mi;
