-- A required rule (規程) for `kenshu-bench dashboard --rules`, all set-based, after
-- sql/institution.sql. Expects institution `bench` with its approved plan, and the settings
-- bench.fy, bench.today and bench.deadline (set_config). The chief officer published version 1
-- of the institution's 特定個人情報取扱規程 40 days ago (so the 30 days' grace for a new
-- version, kenshu_core::plan::RULE_GRACE_DAYS, leaves the plan's deadline as it is); the
-- approved plan requires it of everyone by bench.deadline; about half the current staff opened
-- and acknowledged it since, reproducibly (a hash of the login), and a tenth of the others
-- opened it without acknowledging.
create temp table gr as
select i.id as inst,
       current_setting('bench.fy')::int as fy,
       current_setting('bench.deadline')::date as deadline,
       current_setting('bench.today')::date - 40 as published_on,
       (select u.id from users u where u.institution_id = i.id and u.role = 'chief_officer'
        order by u.login_id limit 1) as chief
from institutions i where i.code = 'bench';

insert into rule_documents (institution_id, code, created_at)
select inst, 'handling-rules', published_on + time '09:00' from gr;

insert into rule_versions (institution_id, code, version, title, body, min_read_secs,
                           published_at, published_by)
select inst, 'handling-rules', 1, '特定個人情報取扱規程',
       string_agg('第' || n || '条 特定個人情報等は、事務の遂行に必要な範囲に限り取り扱うものとする。', E'\n'),
       60, published_on + time '09:00', chief
from gr cross join generate_series(1, 60) n
group by inst, published_on, chief;

insert into plan_rules (institution_id, plan_id, rule_code, audience, deadline)
select gr.inst, tp.id, 'handling-rules', '{all}', gr.deadline
from gr join training_plans tp on tp.institution_id = gr.inst and tp.fiscal_year = gr.fy
                              and tp.status = 'approved';

-- h: a reproducible number 0–99 per person; d: the day after publication they read it.
create temp table gra as
select u.institution_id, u.id as user_id,
       abs(hashtext(u.login_id || 'handling-rules')) % 100 as h,
       abs(hashtext('handling-rules' || u.login_id)) % 39 as d
from users u join gr on u.institution_id = gr.inst
where u.status <> 'left';

insert into rule_readings (institution_id, user_id, code, version, opened_at)
select a.institution_id, a.user_id, 'handling-rules', 1,
       gr.published_on + a.d + time '10:00' + a.h * interval '1 minute'
from gra a, gr where a.h < 50 or a.h % 10 = 7;

insert into rule_acknowledgements (institution_id, user_id, code, version, acknowledged_at, read_secs)
select a.institution_id, a.user_id, 'handling-rules', 1,
       gr.published_on + a.d + time '10:00' + a.h * interval '1 minute' + interval '3 minutes',
       180
from gra a, gr where a.h < 50;

drop table gra;
drop table gr;
