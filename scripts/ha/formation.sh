#!/usr/bin/env bash
# A local pg_auto_failover formation: one monitor, a primary and a synchronous standby, each a
# `pg_autoctl run` in its own process group under HA_DIR, run as the postgres user (PostgreSQL
# refuses root). Every process is started and stopped by the pid recorded here, never by name.
#
#   formation.sh install            apt-get the packages when pg_autoctl is missing (root, Debian)
#   formation.sh start              create (first time) and run the monitor and two nodes
#   formation.sh stop               stop everything this directory runs, then remove nothing
#   formation.sh destroy            stop, then delete HA_DIR
#   formation.sh kill-node N        kill -9 node N's process group (keeper and postmaster)
#   formation.sh start-node N       run node N again (it rejoins as a standby)
#   formation.sh kill-primary       kill -9 the primary's node (keeper and postmaster); prints N
#   formation.sh primary            print the number of the node the monitor calls primary
#   formation.sh uri                print the formation's multi-host connection string
#   formation.sh wait-healthy       wait until one primary and one secondary are reported
#
# Settings: HA_DIR (default /tmp/wallet-ha), HA_PORT_BASE (monitor on it, nodes on +1 and +2),
# HA_DB (wallet), PG_BIN (/usr/lib/postgresql/15/bin), HA_MONITOR_SETTINGS (space-separated
# name=value pairs set on the monitor with ALTER SYSTEM at start, e.g.
# "pgautofailover.node_considered_unhealthy_timeout=5000"; default: pg_auto_failover's own).
set -euo pipefail

HA_DIR=${HA_DIR:-/tmp/wallet-ha}
HA_PORT_BASE=${HA_PORT_BASE:-6540}
HA_DB=${HA_DB:-wallet}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
HA_USER=${HA_USER:-postgres}
export PATH="$PG_BIN:$PATH"

monitor_port=$HA_PORT_BASE
node_port() { echo $((HA_PORT_BASE + $1)); }
monitor_uri="postgres://autoctl_node@127.0.0.1:${monitor_port}/pg_auto_failover?sslmode=disable"

if [ "$(id -u)" = 0 ]; then
  as_user_prefix=(setpriv --reuid="$HA_USER" --regid="$HA_USER" --init-groups -- env HOME="$HA_DIR" PATH="$PATH")
else
  as_user_prefix=(env PATH="$PATH")
fi
as_user() { "${as_user_prefix[@]}" "$@"; }

log() { echo "[ha] $*" >&2; }

install() {
  if command -v pg_autoctl >/dev/null 2>&1; then return 0; fi
  log "installing pg_auto_failover (postgresql-15-auto-failover, pg-auto-failover-cli)"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-15-auto-failover pg-auto-failover-cli >/dev/null
}

# Runs `pg_autoctl <args>` detached in a new session (its own process group) and records its pid.
run_detached() {
  local name=$1
  shift
  mkdir -p "$HA_DIR/run"
  setsid "${as_user_prefix[@]}" "$@" >>"$HA_DIR/run/$name.log" 2>&1 </dev/null &
  echo $! >"$HA_DIR/run/$name.pid"
}

running() {
  local pidfile="$HA_DIR/run/$1.pid"
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

start_monitor() {
  running monitor && return 0
  if [ ! -f "$HA_DIR/monitor/PG_VERSION" ]; then
    as_user pg_autoctl create monitor --pgdata "$HA_DIR/monitor" --pgport "$monitor_port" \
      --hostname 127.0.0.1 --auth trust --no-ssl >>"$HA_DIR/run/monitor.log" 2>&1
  fi
  run_detached monitor pg_autoctl run --pgdata "$HA_DIR/monitor"
}

# Applies HA_MONITOR_SETTINGS on the running monitor (its failure-detection timings).
tune_monitor() {
  [ -n "${HA_MONITOR_SETTINGS:-}" ] || return 0
  for _ in $(seq 1 60); do
    as_user psql -h 127.0.0.1 -p "$monitor_port" -d pg_auto_failover -Atqc 'SELECT 1' >/dev/null 2>&1 && break
    sleep 1
  done
  local pair
  for pair in $HA_MONITOR_SETTINGS; do
    as_user psql -h 127.0.0.1 -p "$monitor_port" -d pg_auto_failover -Atqc \
      "ALTER SYSTEM SET ${pair%%=*} = '${pair#*=}'" >/dev/null
  done
  as_user psql -h 127.0.0.1 -p "$monitor_port" -d pg_auto_failover -Atqc 'SELECT pg_reload_conf()' >/dev/null
  log "monitor settings: $HA_MONITOR_SETTINGS"
}

start_node() {
  local n=$1
  running "node$n" && return 0
  if [ ! -f "$HA_DIR/node$n/pg_autoctl.created" ]; then
    as_user pg_autoctl create postgres --pgdata "$HA_DIR/node$n" --pgport "$(node_port "$n")" \
      --hostname 127.0.0.1 --name "node$n" --auth trust --no-ssl --dbname "$HA_DB" \
      --monitor "$monitor_uri" >>"$HA_DIR/run/node$n.log" 2>&1
    touch "$HA_DIR/node$n/pg_autoctl.created"
  fi
  run_detached "node$n" pg_autoctl run --pgdata "$HA_DIR/node$n"
}

stop_one() {
  local name=$1 pidfile="$HA_DIR/run/$1.pid"
  [ -f "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  # A postmaster killed with its keeper leaves shared memory attached by nothing; gone with the group.
  rm -f "$pidfile"
}

state_json() {
  as_user pg_autoctl show state --pgdata "$HA_DIR/monitor" --json 2>/dev/null
}

primary() {
  state_json | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const nodes = JSON.parse(s);
      const p = nodes.find((n) => ["primary", "wait_primary", "single"].includes(n.current_group_state) && n.current_group_state === n.assigned_group_state);
      if (!p) process.exit(1);
      process.stdout.write(String(p.nodename).replace("node", "") + "\n");
    });'
}

wait_healthy() {
  local timeout=${1:-180}
  for _ in $(seq 1 "$timeout"); do
    if state_json | node -e '
      let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
        const nodes = JSON.parse(s);
        const ok = (st) => nodes.some((n) => n.current_group_state === st && n.assigned_group_state === st);
        process.exit(nodes.length === 2 && ok("primary") && ok("secondary") ? 0 : 1);
      });' 2>/dev/null; then
      return 0
    fi
    sleep 1
  done
  log "formation not healthy after ${timeout}s"
  state_json >&2 || true
  return 1
}

uri() {
  echo "postgresql://${HA_USER}@127.0.0.1:$(node_port 1),127.0.0.1:$(node_port 2)/${HA_DB}?target_session_attrs=read-write"
}

cmd=${1:-}
shift || true
case "$cmd" in
  install) install ;;
  start)
    install
    mkdir -p "$HA_DIR/run"
    if [ "$(id -u)" = 0 ]; then chown "$HA_USER" "$HA_DIR"; chmod 700 "$HA_DIR"; fi
    start_monitor
    sleep 2
    tune_monitor
    start_node 1
    # The second node must register after the first is primary, or both race for it.
    for _ in $(seq 1 60); do primary >/dev/null 2>&1 && break; sleep 1; done
    start_node 2
    wait_healthy 180
    log "formation up: $(uri)"
    ;;
  stop)
    stop_one node1
    stop_one node2
    stop_one monitor
    ;;
  destroy)
    stop_one node1
    stop_one node2
    stop_one monitor
    rm -rf "$HA_DIR"
    ;;
  kill-node)
    pid=$(cat "$HA_DIR/run/node$1.pid")
    kill -KILL -- "-$pid"
    rm -f "$HA_DIR/run/node$1.pid"
    ;;
  start-node) start_node "$1" ;;
  kill-primary)
    # A crash of the primary's machine: kill -9 its whole process group, the keeper and the
    # postmaster with its backends. (A postmaster killed alone is restarted by its keeper within
    # seconds, often before the monitor would fail over: then the same node stays primary.)
    # The monitor promotes the standby; `start-node N` afterwards brings the old primary back
    # as the new standby (pg_rewind when needed). Prints the killed node's number.
    n=$(primary)
    pid=$(cat "$HA_DIR/run/node$n.pid")
    kill -KILL -- "-$pid"
    rm -f "$HA_DIR/run/node$n.pid"
    echo "$n"
    ;;
  start-node) start_node "$1" ;;
  kill-primary)
    # A crash of the primary's PostgreSQL: kill -9 its postmaster only. Its keeper reports
    # Postgres down, the monitor promotes the standby, and the keeper brings the old primary
    # back as the new standby (pg_rewind when needed). Prints the killed node's number.
    n=$(primary)
    kill -KILL "$(head -n 1 "$HA_DIR/node$n/postmaster.pid")"
    echo "$n"
    ;;
  primary) primary ;;
  uri) uri ;;
  wait-healthy) wait_healthy "${1:-180}" ;;
  *)
    sed -n '2,20p' "$0" >&2
    exit 2
    ;;
esac
