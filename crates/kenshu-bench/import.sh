#!/bin/sh
# Roster import benchmark: 100,000 staff into an empty institution, then the same roster with
# 5% changes (transfers, renames, leavers). Prints wall time and peak memory of each import.
# Uses DATABASE_URL when set (a fresh database is not made: use an empty one), otherwise a
# private cluster under a temporary data directory.
#   crates/kenshu-bench/import.sh [STAFF] [DIVISIONS]
set -eu
cd "$(dirname "$0")/../.."
staff=${1:-100000}
divisions=${2:-300}
cargo build --release -q -p kenshu
k=target/release/kenshu
work=$(mktemp -d /tmp/kenshu-import-bench.XXXXXX)
chmod 755 "$work"
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
export KENSHU_DATA_DIR="$work/var" KENSHU_LOG=error
# A running portal keeps the embedded cluster up, so each command below attaches to it and the
# timings are the import's alone.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$k serve --bind "127.0.0.1:$port" &
server=$!
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.2; done
$k institution add bench ベンチ市 >/dev/null
$k gen roster --staff "$staff" --divisions "$divisions" --seed 1 > "$work/year1.csv"
$k gen roster --staff "$staff" --divisions "$divisions" --seed 1 --changed-percent 5 > "$work/year2.csv"
run() {
  label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$k" import staff "$@" --institution bench > "$work/out"
  summary=$(tail -n 1 "$work/out")
  set -- $(cat "$work/time")
  echo "$label: ${1} s, peak RSS $(( $2 / 1024 )) MB — $summary"
}
echo "roster import benchmark: $staff staff, $divisions divisions ($(du -h "$work/year1.csv" | cut -f1) CSV)"
run "first import (empty institution)" "$work/year1.csv"
run "re-import, same file" "$work/year1.csv" --complete
run "re-import with 5% changes (--complete)" "$work/year2.csv" --complete
