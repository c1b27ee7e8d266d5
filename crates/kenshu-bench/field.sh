#!/bin/sh
# Builds the release portal and the bench, then measures what a busy morning and a hostile
# client do (issue 10): crates/kenshu-bench/field.sh [--seconds 10] [--flood 300]
set -e
cd "$(dirname "$0")/../.."
cargo build --release -p kenshu -p kenshu-bench
exec target/release/kenshu-bench field "$@"
