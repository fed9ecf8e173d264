#!/usr/bin/env bash
# Smoke test of the local Galera cluster (cluster.sh): replication, a
# certification conflict, causal reads, and a node killed and rejoined.
# Prints what it measures; exits non-zero on the first surprise. Leaves the
# cluster as it found it (running, or stopped when it started it).
set -euo pipefail
cd "$(dirname "$0")"
SQL_PORT="${QINQING_GALERA_SQL_PORT:-3311}"
P1=$SQL_PORT P2=$((SQL_PORT + 1)) P3=$((SQL_PORT + 2))

m() { # m PORT [mariadb args...]
  local p=$1
  shift
  mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$p" -uroot -N -B "$@"
}
say() { printf '[smoke] %s\n' "$*"; }
fail() { printf '[smoke] FAIL: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

started_here=0
if ! ./cluster.sh status >/dev/null 2>&1; then
  t0=$(now)
  ./cluster.sh start
  say "start: $(since "$t0")s"
  started_here=1
fi
cleanup() { [ "$started_here" -eq 0 ] || ./cluster.sh stop; }
trap cleanup EXIT

m "$P1" -e "DROP DATABASE IF EXISTS qq_smoke; CREATE DATABASE qq_smoke;
  CREATE TABLE qq_smoke.acct (id INT PRIMARY KEY, bal INT NOT NULL);
  INSERT INTO qq_smoke.acct VALUES (1, 100), (2, 100)"

# 1. A write on node 1 is read on node 3 (causal read: wsrep_sync_wait=1).
m "$P1" -e "UPDATE qq_smoke.acct SET bal = 101 WHERE id = 1"
got=$(m "$P3" -e "SET SESSION wsrep_sync_wait = 1; SELECT bal FROM qq_smoke.acct WHERE id = 1")
[ "$got" = 101 ] || fail "node 3 read $got after node 1 wrote 101"
say "replication: node 1 -> node 3 ok (causal read)"

# 2. Certification conflict: A (node 1) updates row 2 and waits; B (node 2)
# updates the same row and commits first. A is aborted: its next statement
# fails with 1213.
a_out=$(mktemp)
m "$P1" -e "BEGIN; UPDATE qq_smoke.acct SET bal = bal + 1 WHERE id = 2; DO SLEEP(2);
  UPDATE qq_smoke.acct SET bal = bal + 1 WHERE id = 2; COMMIT" >"$a_out" 2>&1 &
a_pid=$!
sleep 0.7
m "$P2" -e "UPDATE qq_smoke.acct SET bal = bal + 10 WHERE id = 2"
wait "$a_pid" && fail "transaction A committed despite the conflicting write on node 2"
say "conflict: A got: $(grep -o 'ERROR.*' "$a_out" | head -n 1)"
grep -q 'ERROR 1213' "$a_out" || fail "expected ERROR 1213, got: $(cat "$a_out")"
rm -f "$a_out"
got=$(m "$P1" -e "SET SESSION wsrep_sync_wait = 1; SELECT bal FROM qq_smoke.acct WHERE id = 2")
[ "$got" = 110 ] || fail "row 2 is $got, expected 110 (only B's write)"

# 3. Kill node 2, write meanwhile, start it again: it rejoins via IST.
./cluster.sh kill 2
m "$P1" -e "INSERT INTO qq_smoke.acct VALUES (3, 300)"
t0=$(now)
./cluster.sh start 2
say "rejoin after kill -9: $(since "$t0")s"
got=$(m "$P2" -e "SELECT bal FROM qq_smoke.acct WHERE id = 3")
[ "$got" = 300 ] || fail "node 2 missed the write made while it was down"
dir="${QINQING_GALERA_DIR:-/tmp/qinqing-galera}/node2/error.log"
if tail -n 200 "$dir" | grep -q 'IST completed on joiner'; then
  say "node 2 caught up by IST"
else
  say "node 2 caught up by SST"
fi

m "$P1" -e "DROP DATABASE qq_smoke"
say "ok"
