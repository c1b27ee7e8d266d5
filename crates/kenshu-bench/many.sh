#!/bin/sh
# Many institutions in one database (issue 12, item 4): generates 1,800 institutions sized like
# Japan's municipalities (about 2.8 million people; sql/many.sql) in three steps — 10, 100,
# then --institutions — and after each times the housekeeping, the reminder schedule (nothing
# due, then due in one small institution) and the overview keeper's pass (median and max of
# --runs); then starts the release portal and measures sign-in and the section page
# (--connections, --seconds) for people of the largest and of the smallest institution, and
# prints the database's size, its largest tables and the growth of sessions, answers and audit.
# Uses DATABASE_URL when set (a fresh database is created and dropped there), otherwise a
# private cluster. --scale 0.1 shrinks every institution for a quick run.
#   crates/kenshu-bench/many.sh [--institutions N] [--scale F] [--runs N] [--accounts N]
#                               [--signin-parallel N] [--connections N] [--seconds S]
set -e
cd "$(dirname "$0")/../.."
cargo build --release -p kenshu -p kenshu-bench
exec target/release/kenshu-bench many "$@"
