#!/bin/bash
# failover_command for pgrelay (and pgpool-II): promote the new main node when the primary fails.
#
# pgpool.conf:
#   failover_command = '/path/to/failover.sh %d %h %p %D %m %H %M %P %r %R %N %S'
#
# Arguments (pgpool's placeholders):
#   $1 %d failed node id       $2 %h failed host    $3 %p failed port   $4 %D failed data dir
#   $5 %m new main node id     $6 %H new main host  $7 %M old main id   $8 %P old primary id
#   $9 %r new main port       $10 %R new main data dir
#  $11 %N old primary host    $12 %S old primary port
#
# Nodes on this host are promoted with pg_ctl directly (as the postgres user when run as
# root); nodes elsewhere over ssh as $PGRELAY_SSH_USER (default postgres), as pgpool's own
# sample does. PG_BIN may point at PostgreSQL's bin directory.
set -u
FAILED_NODE_ID="$1"; FAILED_NODE_HOST="$2"; FAILED_NODE_PORT="$3"
NEW_MAIN_NODE_ID="$5"; NEW_MAIN_NODE_HOST="$6"; OLD_PRIMARY_NODE_ID="$8"; NEW_MAIN_NODE_PGDATA="${10}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
SSH_USER="${PGRELAY_SSH_USER:-postgres}"

log() { echo "failover.sh: $*"; }

log "node ${FAILED_NODE_ID} (${FAILED_NODE_HOST}:${FAILED_NODE_PORT}) failed; new main node ${NEW_MAIN_NODE_ID}; old primary ${OLD_PRIMARY_NODE_ID}"

if [ "$NEW_MAIN_NODE_ID" -lt 0 ]; then
  log "no node is left to promote"
  exit 0
fi
# A standby failed: the primary is still there, nothing to promote.
if [ "$OLD_PRIMARY_NODE_ID" != "-1" ] && [ "$FAILED_NODE_ID" != "$OLD_PRIMARY_NODE_ID" ]; then
  log "a standby failed; the primary is unchanged"
  exit 0
fi

is_local() {
  case "$1" in
    ""|/*|localhost|127.*|::1) return 0 ;;
  esac
  hostname -I 2>/dev/null | tr ' ' '\n' | grep -qx "$1"
}

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

log "promoting node ${NEW_MAIN_NODE_ID} (${NEW_MAIN_NODE_HOST}, ${NEW_MAIN_NODE_PGDATA})"
if is_local "$NEW_MAIN_NODE_HOST"; then
  as_postgres "$PG_BIN/pg_ctl" -D "$NEW_MAIN_NODE_PGDATA" -w -t 60 promote
else
  ssh -T -o StrictHostKeyChecking=no "${SSH_USER}@${NEW_MAIN_NODE_HOST}" "$PG_BIN/pg_ctl -D '$NEW_MAIN_NODE_PGDATA' -w -t 60 promote"
fi
rc=$?
[ $rc -eq 0 ] && log "node ${NEW_MAIN_NODE_ID} promoted" || log "promotion of node ${NEW_MAIN_NODE_ID} failed (exit ${rc})"
exit $rc
