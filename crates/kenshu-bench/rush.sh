#!/bin/sh
# Deadline rush benchmark: generates an institution of 20,000 staff in 40 divisions
# (sql/institution.sql), signs in the chief officer, the protection officers of 4 divisions and
# a sample of 300 staff, starts the release portal and runs ONE mixed load for --seconds over
# --connections connections: staff read sections (60%), look at /my (15%), mark sections read
# (10%), answer the chapter test (10%) and submit the final test (5%); officers refresh
# /officer and open /people/{login} of their division; the chief is on /overview; the chief
# exports the annual report once (--export-at). Prints per page kind requests, req/s, p50/p99
# and errors (must be 0), and the CPU split between server and PostgreSQL. Uses DATABASE_URL
# when set (a fresh database is created and dropped there), otherwise a private cluster.
#   crates/kenshu-bench/rush.sh [--staff N] [--divisions N] [--seconds S] [--connections N]
#                               [--sample N] [--officer-divisions N] [--export-at S]
#                               [--instances 2]   (two portals on the one database)
# The issue asks for 64 and 256 connections, 60 s each.
set -e
cd "$(dirname "$0")/../.."
cargo build --release -p kenshu -p kenshu-bench
exec target/release/kenshu-bench rush "$@"
