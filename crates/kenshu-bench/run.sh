#!/bin/sh
# Builds the release portal and the bench, then runs the bench; arguments go to kenshu-bench,
# e.g. crates/kenshu-bench/run.sh --connections 64 --seconds 10 --users 200
set -e
cd "$(dirname "$0")/../.."
cargo build --release -p kenshu -p kenshu-bench
exec target/release/kenshu-bench "$@"
