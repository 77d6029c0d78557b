#!/usr/bin/env bash
# npm run start:ha: a local pg_auto_failover formation (monitor, primary, synchronous standby)
# and the gateway on it, in the foreground. Ctrl-C (or the gateway's exit) stops the gateway and
# every PostgreSQL and pg_autoctl process this script started, by their recorded pids.
# Settings: HA_DIR (default /tmp/wallet-ha), HA_PORT_BASE (6540), PORT (4000), and any of the
# gateway's own variables (docs/configuration.md). Try `scripts/ha/formation.sh kill-primary`
# from another shell (same HA_DIR and HA_PORT_BASE) to watch a failover.
set -euo pipefail
cd "$(dirname "$0")/../.."

export HA_DIR=${HA_DIR:-/tmp/wallet-ha}
export HA_PORT_BASE=${HA_PORT_BASE:-6540}
formation=scripts/ha/formation.sh

mkdir -p "$HA_DIR"
chmod 755 "$HA_DIR"
gateway_pid=
cleanup() {
  trap - EXIT INT TERM
  if [ -n "$gateway_pid" ] && kill -0 "$gateway_pid" 2>/dev/null; then
    kill -TERM "$gateway_pid" 2>/dev/null || true
    wait "$gateway_pid" 2>/dev/null || true
  fi
  bash "$formation" stop
  echo "[ha] stopped; data kept in $HA_DIR (scripts/ha/formation.sh destroy removes it)" >&2
}
trap cleanup EXIT INT TERM

bash "$formation" start
DATABASE_URL=$(bash "$formation" uri)
export DATABASE_URL
echo "[ha] DATABASE_URL=$DATABASE_URL" >&2
echo "[ha] primary is node $(bash "$formation" primary)" >&2
node scripts/ensure-built.js
node dist/src/cli/migrate.js
node dist/src/cli/seed.js
# The production entry, without a .env: the formation's URL is the only database setting.
JWT_SECRET=${JWT_SECRET:-local-ha-demo-secret-change-me-0123456789abcdef} \
  node dist/src/main.js &
gateway_pid=$!
wait "$gateway_pid"
