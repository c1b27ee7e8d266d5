#!/usr/bin/env bash
# Benchmark of the annual attendance report: 100,000 staff × 4 courses, each format written by
# the release binary under /usr/bin/time, printing seconds and peak memory (MB) per format.
#
#   crates/kenshu-bench/report.sh            # STAFF=100000 by default
#   STAFF=20000 BENCH_DATABASE_URL=postgres://postgres@127.0.0.1/x crates/kenshu-bench/report.sh
#
# Needs a PostgreSQL server (default postgres://postgres@127.0.0.1/kenshu_report_bench, created
# and filled anew each run), psql, and GNU time. Targets (issue 5): under 5 s and 200 MB each.
set -euo pipefail
cd "$(dirname "$0")/../.."
STAFF=${STAFF:-100000}
URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1/kenshu_report_bench}
DB=${URL##*/}
ADMIN=${URL%/*}/postgres
OUT=${OUT_DIR:-$(mktemp -d)}
mkdir -p "$OUT"

cargo build --release -p kenshu >/dev/null
BIN=target/release/kenshu

psql -q "$ADMIN" -c "drop database if exists \"$DB\" with (force)" -c "create database \"$DB\""
export DATABASE_URL=$URL KENSHU_LOG=error
$BIN migrate >/dev/null
$BIN content load content >/dev/null
$BIN institution add bench ベンチ市 >/dev/null

echo "generating $STAFF staff × 4 courses …"
start=$(date +%s.%N)
psql -q -v ON_ERROR_STOP=1 -v staff="$STAFF" "$URL" <<'SQL'
\set fy 2025
create temp table inst as select id from institutions where code = 'bench';
insert into divisions (institution_id, code, name)
select (select id from inst), 'd' || lpad(n::text, 3, '0'), '第' || n || '課' from generate_series(1, 100) n;
insert into users (institution_id, login_id, name, division_id, role, must_change_password, status, left_on, hired_on)
select i.id, lpad(n::text, 6, '0'), '職員 ' || n,
       (select d.id from divisions d where d.institution_id = i.id and d.code = 'd' || lpad((1 + n % 100)::text, 3, '0')),
       'staff', false,
       case when n % 100 = 7 then 'left' else 'active' end,
       case when n % 100 = 7 then date '2025-10-15' end,
       date '2010-04-01'
from inst i, generate_series(1, :staff) n;
insert into placements (institution_id, user_id, valid_from, division_id)
select institution_id, id, '2010-04-01', division_id from users where institution_id = (select id from inst);
insert into designations (institution_id, user_id, kind, division_id, valid_from)
select institution_id, id, 'clerk', division_id, '2025-04-01' from users
where institution_id = (select id from inst) and login_id::int % 5 = 0;
insert into training_plans (institution_id, fiscal_year, status, approved_at)
select id, :fy, 'approved', now() from inst;
insert into plan_courses (institution_id, plan_id, course_code, audience, starts_on, deadline, retake_until)
select p.institution_id, p.id, c.code, '{all}', '2025-04-01', '2025-12-31', '2026-03-31'
from training_plans p cross join courses c where p.institution_id = (select id from inst);
-- 85 % completed (one in ten of them in person), 2 % late through re-attendance, 1 % exempt.
insert into completions (institution_id, user_id, course_code, fiscal_year, completed_at, content_version_id, method, score, total)
select u.institution_id, u.id, c.code, :fy,
       timestamptz '2025-05-01 10:00+09' + ((u.login_id::int * 7 + length(c.code)) % 200) * interval '1 day',
       c.current_version_id,
       case when u.login_id::int % 10 = 3 then 'in_person' else 'e_learning' end,
       case when c.code = 'final-test' then 8 + u.login_id::int % 3 end,
       case when c.code = 'final-test' then 10 end
from users u cross join courses c
where u.institution_id = (select id from inst) and (u.login_id::int + length(c.code)) % 100 < 85;
insert into retakes (institution_id, user_id, course_code, fiscal_year, deadline, granted_by)
select u.institution_id, u.id, c.code, :fy, '2026-02-28', u.id from users u cross join courses c
where u.institution_id = (select id from inst) and (u.login_id::int + length(c.code)) % 100 between 85 and 86;
insert into exemptions (institution_id, user_id, course_code, fiscal_year, reason, decided_by)
select u.institution_id, u.id, c.code, :fy, '長期療養', u.id from users u cross join courses c
where u.institution_id = (select id from inst) and (u.login_id::int + length(c.code)) % 100 = 90;
analyze;
SQL
printf 'generated in %.1f s\n' "$(echo "$(date +%s.%N) - $start" | bc)"

printf '%-9s %8s %9s %10s %9s\n' format rows seconds "peak MB" "file MB"
for format in xlsx csv csv-sjis html; do
  file=$OUT/report.$format
  /usr/bin/time -f '%e %M' -o "$OUT/time.$format" \
    $BIN report annual --institution bench --fy 2025 --format "$format" -o "$file" >"$OUT/out.$format"
  read -r secs kb <"$OUT/time.$format"
  rows=$(sed -n 's/^rows=\([0-9]*\).*/\1/p' "$OUT/out.$format")
  printf '%-9s %8s %9s %10.1f %9.1f\n' "$format" "$rows" "$secs" "$(echo "$kb / 1024" | bc -l)" \
    "$(echo "$(stat -c %s "$file") / 1048576" | bc -l)"
done
echo "files in $OUT"
