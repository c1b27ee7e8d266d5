#!/usr/bin/env bash
# Counts the instructions the portal spends on GET /my (valgrind's callgrind): a figure that
# does not depend on how busy the machine is, for comparing two builds of the portal.
#
#   crates/kenshu-bench/callgrind.sh <kenshu binary> <repository of that binary> <empty data dir> <port> [requests]
#
# e.g. target/release/kenshu . /tmp/cg-now 8201 300, and the same for a build of an older
# commit (its own worktree and data dir). Prepares the demo once with the plain binary, then
# serves it under callgrind, signs in staff01, makes 20 warm-up requests, and instruments only
# the <requests> that follow. Prints the total; `callgrind_annotate <data dir>.cg.out.1` shows
# where it went. Needs valgrind (`apt-get install valgrind`) and curl.
set -euo pipefail
bin=$(realpath "$1"); repo=$2; data=$(realpath -m "$3"); port=$4; n=${5:-300}
cd "$repo"
export KENSHU_DATA_DIR=$data
unset DATABASE_URL
mkdir -p "$data"
if [ ! -f "$data/.prepared" ]; then
  "$bin" demo --bind "127.0.0.1:$port" >"$data.demo.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 1; done
  kill "$pid"; wait "$pid" || true
  touch "$data/.prepared"
fi
out=$data.cg.out
rm -f "$out"*
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
  "$bin" serve --bind "127.0.0.1:$port" >"$data.serve.log" 2>&1 &
vpid=$!
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 1; done
jar=$(mktemp)
csrf=$(curl -s -c "$jar" -b "$jar" "http://127.0.0.1:$port/login" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')
curl -s -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf=$csrf" \
  --data "login=staff01&password=kenshu-demo&next=%2Fmy" "http://127.0.0.1:$port/login"
for _ in $(seq 1 20); do curl -s -b "$jar" -o /dev/null "http://127.0.0.1:$port/my"; done
callgrind_control -i on "$vpid" >/dev/null
for _ in $(seq 1 "$n"); do curl -s -b "$jar" -o /dev/null "http://127.0.0.1:$port/my"; done
callgrind_control -i off "$vpid" >/dev/null
callgrind_control -d "$vpid" >/dev/null
sleep 2
kill "$vpid"; wait "$vpid" || true
rm -f "$jar"
total=$(callgrind_annotate "$out.1" 2>/dev/null | awk '/PROGRAM TOTALS/ && !seen {print $1; seen = 1}')
echo "GET /my x $n: $total instructions"
