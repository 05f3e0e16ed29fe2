#!/bin/bash
# follow_primary_command for pgrelay (and pgpool-II): point a standby at the new primary and
# attach it again.
#
# pgpool.conf:
#   follow_primary_command = '/path/to/follow_primary.sh %d %h %p %D %m %H %M %P %r %R'
#
# Arguments: $1 %d node id  $2 %h host  $3 %p port  $4 %D data dir  $5 %m new primary id
#            $6 %H new primary host  $7 %M old main id  $8 %P old primary id
#            $9 %r new primary port  $10 %R new primary data dir
#
# A node that is not running (typically the failed old primary) is left down: bring it back
# with pcp_recovery_node. A running standby gets the new primary_conninfo (reloaded; the
# timeline follows with recovery_target_timeline = latest) and is attached with
# pcp_attach_node. Settings from the environment:
#   PCP_USER (postgres), PCP_PORT (9898), PCP_HOST (localhost), PCPPASSFILE (for -w),
#   REPL_USER (postgres), PG_BIN (/usr/lib/postgresql/15/bin), PCP_BIN (dir of pcp_attach_node).
set -u
NODE_ID="$1"; NODE_HOST="$2"; NODE_PORT="$3"; NODE_PGDATA="$4"
NEW_PRIMARY_ID="$5"; NEW_PRIMARY_HOST="$6"; NEW_PRIMARY_PORT="$9"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
REPL_USER="${REPL_USER:-postgres}"
PCP_USER="${PCP_USER:-postgres}"; PCP_PORT="${PCP_PORT:-9898}"; PCP_HOST="${PCP_HOST:-localhost}"
PCP_ATTACH="${PCP_BIN:+$PCP_BIN/}pcp_attach_node"

log() { echo "follow_primary.sh: $*"; }

psql_node() {
  "$PG_BIN/psql" -X -At -h "$NODE_HOST" -p "$NODE_PORT" -U "$REPL_USER" -d postgres -c "$1"
}

in_recovery=$(psql_node "SELECT pg_is_in_recovery()" 2>/dev/null)
if [ "$in_recovery" != "t" ]; then
  log "node ${NODE_ID} (${NODE_HOST}:${NODE_PORT}) is not a running standby; leaving it down (use pcp_recovery_node)"
  exit 0
fi

conninfo="host=${NEW_PRIMARY_HOST} port=${NEW_PRIMARY_PORT} user=${REPL_USER} application_name=node${NODE_ID}"
log "pointing node ${NODE_ID} at the new primary node ${NEW_PRIMARY_ID} (${conninfo})"
psql_node "ALTER SYSTEM SET primary_conninfo = '${conninfo}'" >/dev/null || exit 1
psql_node "SELECT pg_reload_conf()" >/dev/null || exit 1

# Wait until the standby streams from the new primary before it takes reads again.
for _ in $(seq 1 60); do
  st=$(psql_node "SELECT status FROM pg_stat_wal_receiver" 2>/dev/null)
  [ "$st" = "streaming" ] && break
  sleep 0.5
done
log "node ${NODE_ID} wal receiver: ${st:-none}"

"$PCP_ATTACH" -w -h "$PCP_HOST" -p "$PCP_PORT" -U "$PCP_USER" -n "$NODE_ID"
rc=$?
log "pcp_attach_node -n ${NODE_ID}: exit ${rc}"
exit $rc
