#!/usr/bin/env bash
# A local three-node MariaDB Galera cluster on loopback, for tests and CI.
#
#   cluster.sh start [--fresh|--keep]  start the cluster (or the nodes of it that are down)
#   cluster.sh start N | restart N     start (restart) node N only; it rejoins via IST/SST
#   cluster.sh stop [N]                clean shutdown of every node (or of node N)
#   cluster.sh kill N                  kill -9 node N (a crash, for failover tests)
#   cluster.sh status                  per node: up/down, cluster size, state
#                                      (exit 0 only when all three are Synced in one cluster)
#
# Everything lives under $QINQING_GALERA_DIR (default /tmp/qinqing-galera):
# nodeN/{data,node.cnf,error.log,mariadbd.sock,mariadbd.pid}. Ports, all on 127.0.0.1:
# SQL 3311/3312/3313 ($QINQING_GALERA_SQL_PORT, the first of three), Galera group
# 4567/4577/4587 ($QINQING_GALERA_GCOMM_PORT, the first; then +10 per node), IST = group+1,
# SST = group+2. root@127.0.0.1 has an empty password:
#   root@tcp(127.0.0.1:3311)/test
# The servers are never the shared one on 3306 and are only ever touched through
# this script's own pid files. See README.md beside this file.
set -euo pipefail

BASE="${QINQING_GALERA_DIR:-/tmp/qinqing-galera}"
SQL_PORT="${QINQING_GALERA_SQL_PORT:-3311}"
GCOMM_PORT="${QINQING_GALERA_GCOMM_PORT:-4567}"
SST_METHOD="${QINQING_GALERA_SST:-rsync}"          # rsync | mariabackup
TIMEOUT="${QINQING_GALERA_TIMEOUT:-180}"            # seconds to wait for Synced
CLUSTER_NAME="${QINQING_GALERA_CLUSTER_NAME:-qinqing-test}"
MARIADBD="${MARIADBD:-/usr/sbin/mariadbd}"
NODES=(1 2 3)
MARKER="$BASE/.qinqing-galera"

log() { printf '[galera] %s\n' "$*" >&2; }
die() { printf '[galera] ERROR: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

node_dir() { echo "$BASE/node$1"; }
sql_port() { echo $((SQL_PORT + $1 - 1)); }
gcomm_port() { echo $((GCOMM_PORT + 10 * ($1 - 1))); }
ist_port() { echo $(($(gcomm_port "$1") + 1)); }
sst_port() { echo $(($(gcomm_port "$1") + 2)); }
cnf() { echo "$(node_dir "$1")/node.cnf"; }
errlog() { echo "$(node_dir "$1")/error.log"; }
pidfile() { echo "$(node_dir "$1")/node.pid"; }   # ours, written at launch

check_node_arg() {
  case "${1:-}" in 1 | 2 | 3) ;; *) die "node must be 1, 2 or 3 (got '${1:-}')" ;; esac
}

# --- the user the servers run as ------------------------------------------------
# As root: the servers run as mysql (the Debian package's user), as a packaged
# server would; mariadbd refuses to run as root without --user=root, and rsync SST
# is then done as mysql too. As another user: as that user.
if [ "$(id -u)" -eq 0 ]; then
  if id mysql >/dev/null 2>&1; then RUN_USER=mysql; else RUN_USER=root; fi
else
  RUN_USER="$(id -un)"
fi

# --- packages -------------------------------------------------------------------
APT_UPDATED=0
apt_install() {
  [ "$(id -u)" -eq 0 ] || die "missing $*; install as root: apt-get install -y $*"
  command -v apt-get >/dev/null || die "missing $* and no apt-get here"
  if [ "$APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  log "apt-get install -y $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

find_provider() {
  local p
  for p in "${QINQING_GALERA_PROVIDER:-}" /usr/lib/galera/libgalera_smm.so \
    /usr/lib/libgalera_smm.so /usr/lib/galera-4/libgalera_smm.so \
    /usr/lib64/galera-4/libgalera_smm.so /usr/lib64/galera/libgalera_smm.so; do
    [ -n "$p" ] && [ -f "$p" ] && { echo "$p"; return 0; }
  done
  return 1
}

ensure_packages() {
  local need=()
  [ -x "$MARIADBD" ] || need+=(mariadb-server)
  command -v mariadb >/dev/null || need+=(mariadb-client)
  find_provider >/dev/null || need+=(galera-4)
  case "$SST_METHOD" in
    rsync) command -v rsync >/dev/null || need+=(rsync) ;;
    mariabackup)
      command -v mariadb-backup >/dev/null || need+=(mariadb-backup)
      command -v socat >/dev/null || need+=(socat) ;;
    *) die "QINQING_GALERA_SST must be rsync or mariabackup (got '$SST_METHOD')" ;;
  esac
  # The SST scripts look for a listening socket with ss, sockstat or lsof.
  command -v ss >/dev/null || command -v lsof >/dev/null || need+=(iproute2)
  if [ "${#need[@]}" -gt 0 ]; then apt_install "${need[@]}"; fi
  PROVIDER="$(find_provider)" || die "galera-4 is installed but libgalera_smm.so was not found"
}

# --- processes ------------------------------------------------------------------
# The pid of node N if it is alive and is the mariadbd this script started for it
# (its command line names the node's own config file), else nothing.
node_pid() {
  local f pid
  f="$(pidfile "$1")"
  [ -f "$f" ] || return 1
  pid="$(cat "$f" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "--defaults-file=$(cnf "$1")" || return 1
  echo "$pid"
}
node_alive() { node_pid "$1" >/dev/null; }

sql() { # sql N 'statement' -> tab-separated rows, no headers
  mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$(sql_port "$1")" -uroot \
    --connect-timeout=2 -N -B -e "$2"
}
wsrep_var() { # wsrep_var N name -> value
  { sql "$1" "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null || true; } | awk '{print $2}'
}
node_synced() {
  [ "$(wsrep_var "$1" wsrep_local_state_comment)" = Synced ] &&
    [ "$(wsrep_var "$1" wsrep_cluster_size)" = 3 ] &&
    [ "$(wsrep_var "$1" wsrep_cluster_status)" = Primary ]
}

port_busy() { # is something (not ours) listening on 127.0.0.1:PORT?
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# --- configuration ----------------------------------------------------------------
write_cnf() {
  local n=$1 d addr
  d="$(node_dir "$n")"
  addr="gcomm://127.0.0.1:$(gcomm_port 1),127.0.0.1:$(gcomm_port 2),127.0.0.1:$(gcomm_port 3)"
  cat >"$(cnf "$n")" <<EOF
# Written by deploy/galera/cluster.sh; rewritten at every start.
[mysqld]
datadir                  = $d/data
socket                   = $d/mariadbd.sock
pid_file                 = $d/mariadbd.pid
log_error                = $d/error.log
port                     = $(sql_port "$n")
bind_address             = 127.0.0.1
skip_name_resolve        = ON
character_set_server     = utf8mb4
collation_server         = utf8mb4_unicode_ci
default_storage_engine   = InnoDB
binlog_format            = ROW
innodb_autoinc_lock_mode = 2
# Small and fast: a test cluster on a shared 2-core machine. Durability comes from
# the other two nodes, as in production with flush_log_at_trx_commit=2.
innodb_buffer_pool_size  = 64M
innodb_log_file_size     = 32M
innodb_flush_log_at_trx_commit = 2
performance_schema       = OFF
max_connections          = 300

[galera]
wsrep_on                 = ON
wsrep_provider           = $PROVIDER
wsrep_cluster_name       = $CLUSTER_NAME
wsrep_cluster_address    = $addr
wsrep_node_name          = node$n
wsrep_node_address       = 127.0.0.1:$(gcomm_port "$n")
wsrep_node_incoming_address = 127.0.0.1:$(sql_port "$n")
wsrep_sst_receive_address   = 127.0.0.1:$(sst_port "$n")
wsrep_sst_method         = $SST_METHOD
wsrep_sst_auth           = root:
wsrep_slave_threads      = 2
# A table without a primary key cannot be created (the service's have one each).
wsrep_mode               = REQUIRED_PRIMARY_KEY
wsrep_provider_options   = "gmcast.listen_addr=tcp://127.0.0.1:$(gcomm_port "$n");ist.recv_addr=127.0.0.1:$(ist_port "$n");gcache.size=64M"
EOF
}

# A fresh node directory. Only the node that bootstraps needs a system database
# (init_node N db): a joiner's datadir is replaced whole by its first SST, so
# mariadb-install-db there would only cost time (about 2.5 s a node here).
init_node() {
  local n=$1 d
  d="$(node_dir "$n")"
  rm -rf "$d"
  mkdir -p "$d/data"
  [ "$RUN_USER" = "$(id -un)" ] || chown -R "$RUN_USER:" "$d"
  chmod 750 "$d"
  write_cnf "$n"
  [ "${2:-}" = db ] || return 0
  # --no-defaults: the bootstrap must not read the node's [galera] section (nor
  # /etc/mysql). root gets an empty password on localhost, 127.0.0.1 and ::1.
  if ! mariadb-install-db --no-defaults --datadir="$d/data" --user="$RUN_USER" \
    --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
    --innodb-log-file-size=32M >"$d/install-db.log" 2>&1; then
    tail -n 30 "$d/install-db.log" >&2
    die "mariadb-install-db failed for node $n (log: $d/install-db.log)"
  fi
}

# recover_position N sets RECOVERED[N] to the position a crashed node's InnoDB
# holds (uuid:seqno), or to nothing: what galera_recovery does for systemd. With
# it the node can ask for IST instead of SST. Done once per node and run.
declare -A RECOVERED=()
recover_position() {
  local n=$1 out pos
  [ -z "${RECOVERED[$n]+set}" ] || return 0
  out="$(node_dir "$n")/recover.log"
  "$MARIADBD" --defaults-file="$(cnf "$n")" --user="$RUN_USER" --wsrep-recover \
    --log-error="$out" >/dev/null 2>&1 || true
  pos="$(grep -a 'WSREP: Recovered position:' "$out" 2>/dev/null | tail -n 1 |
    sed 's/.*Recovered position:[[:space:]]*//')" || true
  RECOVERED[$n]="$pos"
}

# Position to start node N from: after a kill -9 its grastate says seqno -1.
start_position_args() {
  START_ARGS=()
  if [ "$(grastate_seqno "$1")" = "-1" ]; then
    recover_position "$1"
    if [ -n "${RECOVERED[$1]}" ]; then
      log "node $1: recovered position ${RECOVERED[$1]}"
      START_ARGS=(--wsrep_start_position="${RECOVERED[$1]}")
    fi
  fi
}

grastate_seqno() { # seqno written at the last clean shutdown (-1 after a crash)
  awk '/^seqno:/ {print $2}' "$(node_dir "$1")/data/grastate.dat" 2>/dev/null || true
}

# launch N [extra mariadbd args...]: start node N in the background, in its own
# session, with nothing of ours on its stdin/stdout/stderr (a caller that waits
# for our output, like Go's os/exec, is not held open by the server).
launch() {
  local n=$1
  shift
  rm -f "$(node_dir "$n")/mariadbd.sock" "$(node_dir "$n")/mariadbd.pid"
  write_cnf "$n"
  : >>"$(errlog "$n")"
  [ "$RUN_USER" = "$(id -un)" ] || chown "$RUN_USER:" "$(errlog "$n")"
  local user_arg=()
  [ "$(id -u)" -eq 0 ] && user_arg=(--user="$RUN_USER")
  setsid "$MARIADBD" --defaults-file="$(cnf "$n")" "${user_arg[@]}" "$@" \
    </dev/null >>"$(errlog "$n")" 2>&1 &
  local pid=$! i
  echo "$pid" >"$(pidfile "$n")"
  # Until the forked shell has exec'd setsid and mariadbd, /proc/PID/cmdline is
  # this script's: wait for it, or node_alive would call the node dead.
  for i in $(seq 1 100); do
    node_alive "$n" && break
    [ -d "/proc/$pid" ] || break
    [ "$i" -lt 100 ] || die "node $n: pid $pid never became mariadbd"
    sleep 0.05
  done
  log "node $n: mariadbd pid $! (SQL 127.0.0.1:$(sql_port "$n"), group $(gcomm_port "$n"), IST $(ist_port "$n"), SST $(sst_port "$n"))"
}

fail_node() {
  local n=$1
  printf '[galera] ---- node %s error log (%s), last 40 lines ----\n' "$n" "$(errlog "$n")" >&2
  tail -n 40 "$(errlog "$n")" >&2 2>/dev/null || true
  die "$2"
}

# wait_synced N...: until each node is up, Primary, Synced and sees 3 members.
wait_synced() {
  local deadline n all
  deadline=$(($(date +%s) + TIMEOUT))
  while :; do
    all=1
    for n in "$@"; do
      node_alive "$n" || fail_node "$n" "node $n (mariadbd) exited while starting"
      node_synced "$n" || { all=0; break; }
    done
    [ "$all" -eq 1 ] && return 0
    if [ "$(date +%s)" -ge "$deadline" ]; then
      local state size
      state="$(wsrep_var "$n" wsrep_local_state_comment)"
      size="$(wsrep_var "$n" wsrep_cluster_size)"
      fail_node "$n" "node $n not Synced with cluster size 3 after ${TIMEOUT}s (state: ${state:-not answering SQL yet}, cluster size: ${size:--})"
    fi
    sleep 0.5
  done
}

# wait_up N: until node N answers SQL (its own state may still be anything).
wait_up() {
  local deadline
  deadline=$(($(date +%s) + TIMEOUT))
  until [ "$(wsrep_var "$1" wsrep_ready)" = ON ]; do
    node_alive "$1" || fail_node "$1" "node $1 (mariadbd) exited while starting"
    [ "$(date +%s)" -lt "$deadline" ] || fail_node "$1" "node $1 not ready after ${TIMEOUT}s"
    sleep 0.3
  done
}

# --- the base directory -------------------------------------------------------------
prepare_base() {
  if [ -d "$BASE" ] && [ ! -f "$MARKER" ] && [ -n "$(ls -A "$BASE")" ]; then
    die "$BASE exists, is not empty and was not made by this script; set QINQING_GALERA_DIR"
  fi
  mkdir -p "$BASE"
  touch "$MARKER"
  chmod 755 "$BASE"
}

any_alive() {
  local n
  for n in "${NODES[@]}"; do node_alive "$n" && return 0; done
  return 1
}

# --- commands ----------------------------------------------------------------------
# Join node N to the running cluster: after a kill -9 its grastate says seqno -1,
# so recover the position from InnoDB first; the donor then sends IST when its
# gcache still holds the missing writesets, else SST.
join_node() {
  local n=$1
  [ -d "$(node_dir "$n")/data" ] || init_node "$n"
  start_position_args "$n"
  launch "$n" "${START_ARGS[@]}"
}

# Bootstrap a new Primary Component from node N (its data becomes the cluster's).
bootstrap_node() {
  local n=$1 g
  g="$(node_dir "$n")/data/grastate.dat"
  # Marked safe by hand: we chose the most advanced node (most_advanced_node).
  [ -f "$g" ] && sed -i 's/^safe_to_bootstrap:.*/safe_to_bootstrap: 1/' "$g"
  start_position_args "$n"
  launch "$n" --wsrep-new-cluster "${START_ARGS[@]}"
  wait_up "$n"
}

# most_advanced_node sets BEST to the node whose data is most advanced (highest
# seqno; a node that never finished its first SST has no system database and is
# skipped), or to nothing, for --keep.
most_advanced_node() {
  local n seqno best_seqno=-2
  BEST=
  for n in "${NODES[@]}"; do
    [ -d "$(node_dir "$n")/data/mysql" ] || continue
    seqno="$(grastate_seqno "$n")"
    if [ "$seqno" = "-1" ] || [ -z "$seqno" ]; then
      recover_position "$n"
      seqno="${RECOVERED[$n]##*:}"
    fi
    [[ "$seqno" =~ ^-?[0-9]+$ ]] || seqno=-1
    log "node $n: seqno $seqno"
    if [ "$seqno" -gt "$best_seqno" ]; then BEST=$n; best_seqno=$seqno; fi
  done
}

# check_ports N...: fail early, before any datadir is made, when a port is taken.
check_ports() {
  local n port
  for n in "$@"; do
    for port in "$(sql_port "$n")" "$(gcomm_port "$n")" "$(ist_port "$n")" "$(sst_port "$n")"; do
      port_busy "$port" && die "node $n: 127.0.0.1:$port is already in use by another process (set QINQING_GALERA_SQL_PORT / QINQING_GALERA_GCOMM_PORT)"
    done
  done
  return 0
}

cmd_start_all() {
  local mode=fresh t0 n first down=()
  t0=$(now)
  case "${1:-}" in
    "" | --fresh) mode=fresh ;;
    --keep) mode=keep ;;
    *) die "usage: cluster.sh start [--fresh|--keep|N]" ;;
  esac
  ensure_packages
  prepare_base
  if any_alive; then
    [ "${1:-}" = --fresh ] && die "the cluster is running; stop it before start --fresh"
    for n in "${NODES[@]}"; do node_alive "$n" || down+=("$n"); done
    if [ "${#down[@]}" -eq 0 ]; then
      log "already running"
      wait_synced "${NODES[@]}"
      return 0
    fi
    check_ports "${down[@]}"
    for n in "${down[@]}"; do join_node "$n"; done
    wait_synced "${NODES[@]}"
    log "node(s) ${down[*]} rejoined in $(since "$t0")s"
    return 0
  fi
  check_ports "${NODES[@]}"
  BEST=
  [ "$mode" = keep ] && most_advanced_node
  if [ -n "$BEST" ]; then
    first=$BEST
    log "re-bootstrapping from node $first (most advanced), keeping the data"
  else
    [ "$mode" = keep ] && log "no earlier data under $BASE: starting fresh"
    first=1
    init_node 1 db
    init_node 2
    init_node 3
  fi
  bootstrap_node "$first"
  for n in "${NODES[@]}"; do [ "$n" = "$first" ] || join_node "$n"; done
  wait_synced "${NODES[@]}"
  log "cluster of 3 Synced in $(since "$t0")s: root@tcp(127.0.0.1:$(sql_port 1)), :$(sql_port 2), :$(sql_port 3)"
}

cmd_start_node() {
  local n=$1 t0 others=0 m
  check_node_arg "$n"
  t0=$(now)
  ensure_packages
  prepare_base
  if node_alive "$n"; then
    log "node $n already running"
    wait_synced "$n"
    return 0
  fi
  for m in "${NODES[@]}"; do [ "$m" != "$n" ] && node_alive "$m" && others=1; done
  [ "$others" -eq 1 ] || die "no other node is running for node $n to join; use 'cluster.sh start [--keep]'"
  check_ports "$n"
  join_node "$n"
  wait_synced "$n"
  log "node $n rejoined and Synced in $(since "$t0")s"
}

stop_node() {
  local n=$1 pid i
  pid="$(node_pid "$n")" || { rm -f "$(pidfile "$n")"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 $((TIMEOUT * 5))); do
    [ -d "/proc/$pid" ] || break
    [ "$i" -eq $((TIMEOUT * 5)) ] && fail_node "$n" "node $n (pid $pid) did not stop within ${TIMEOUT}s"
    sleep 0.2
  done
  rm -f "$(pidfile "$n")"
  log "node $n stopped"
}

cmd_stop() {
  local n
  if [ -n "${1:-}" ]; then
    check_node_arg "$1"
    stop_node "$1"
    return 0
  fi
  # Last node down is node 1: its grastate gets safe_to_bootstrap: 1.
  for n in 3 2 1; do stop_node "$n"; done
}

cmd_kill() {
  local n=$1 pid
  check_node_arg "$n"
  pid="$(node_pid "$n")" || die "node $n is not running"
  kill -KILL "$pid"
  while [ -d "/proc/$pid" ]; do sleep 0.1; done
  rm -f "$(pidfile "$n")"
  log "node $n killed (pid $pid)"
}

cmd_status() {
  local n ok=0 pid
  printf '%-5s %-5s %-8s %-7s %-7s %-10s %s\n' node pid state cluster size status sql
  for n in "${NODES[@]}"; do
    if pid="$(node_pid "$n")"; then
      local state size cstatus
      state="$(wsrep_var "$n" wsrep_local_state_comment)"
      size="$(wsrep_var "$n" wsrep_cluster_size)"
      cstatus="$(wsrep_var "$n" wsrep_cluster_status)"
      printf '%-5s %-5s %-8s %-7s %-7s %-10s %s\n' "$n" "$pid" up "${cstatus:--}" "${size:--}" \
        "${state:-starting}" "127.0.0.1:$(sql_port "$n")"
      [ "$state" = Synced ] && [ "$size" = 3 ] && [ "$cstatus" = Primary ] && ok=$((ok + 1))
    else
      printf '%-5s %-5s %-8s %-7s %-7s %-10s %s\n' "$n" - down - - - "127.0.0.1:$(sql_port "$n")"
    fi
  done
  [ "$ok" -eq 3 ]
}

usage() {
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

case "${1:-}" in
  start)
    case "${2:-}" in
      1 | 2 | 3) cmd_start_node "$2" ;;
      *) cmd_start_all "${2:-}" ;;
    esac ;;
  restart)
    check_node_arg "${2:-}"
    stop_node "$2"
    cmd_start_node "$2" ;;
  stop) cmd_stop "${2:-}" ;;
  kill) cmd_kill "${2:-}" ;;
  status) cmd_status ;;
  *) usage ;;
esac
