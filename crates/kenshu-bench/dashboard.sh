#!/bin/sh
# Dashboard benchmark: generates an institution of 100,000 staff in 200 divisions (designations,
# newcomers, transfers, leavers, completions, exemptions, re-attendance; sql/institution.sql),
# starts the release portal on it and loads the protection officer's dashboard of a 500-staff
# division (/officer?division=d001) and the chief officer's overview (/overview), printing
# p50/p99 and req/s with 1 and --connections connections. Uses DATABASE_URL when set (a fresh
# database is created and dropped there), otherwise a private cluster.
#   crates/kenshu-bench/dashboard.sh [--staff N] [--divisions N] [--seconds S] [--connections N]
set -e
cd "$(dirname "$0")/../.."
cargo build --release -p kenshu -p kenshu-bench
exec target/release/kenshu-bench dashboard "$@"
