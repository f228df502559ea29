#!/usr/bin/env bash
# Make sure the services the test suite talks to answer on this machine:
#   PostgreSQL on 127.0.0.1:5432 (role "postgres", trust auth over TCP)
#   Redis      on 127.0.0.1:6379
# Idempotent and quiet when both already answer; prints one line per service it starts.
# Installs the Debian packages (postgresql, redis-server) when they are missing.
# Needs root (or password-less sudo) only when something has to be installed or started.
#
# Overrides, for trying the script without touching the shared services:
#   MOTCUA_PG_PORT (5432)  MOTCUA_PG_CLUSTER (main)  MOTCUA_REDIS_PORT (6379)
set -euo pipefail

PG_HOST=127.0.0.1
PG_PORT="${MOTCUA_PG_PORT:-5432}"
PG_CLUSTER="${MOTCUA_PG_CLUSTER:-main}"
REDIS_HOST=127.0.0.1
REDIS_PORT="${MOTCUA_REDIS_PORT:-6379}"
WAIT_SECONDS=60

log() { echo "ensure_services: $*"; }
die() { echo "ensure_services: ERROR: $*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif have sudo; then
    sudo -n "$@"
  else
    die "need root to run: $*"
  fi
}

APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" -eq 0 ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# wait_until CMD...: retry CMD every 0.5 s for WAIT_SECONDS.
wait_until() {
  local deadline=$((SECONDS + WAIT_SECONDS))
  until "$@"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      return 1
    fi
    sleep 0.5
  done
}

# ---------------------------------------------------------------- PostgreSQL

pg_ready() {
  if have pg_isready; then
    pg_isready -q -h "$PG_HOST" -p "$PG_PORT"
  else
    tcp_open "$PG_HOST" "$PG_PORT"
  fi
}

pg_version() {
  local ver=""
  if [ -d /etc/postgresql ]; then
    ver="$(ls /etc/postgresql | head -1)"
  fi
  if [ -z "$ver" ] && [ -d /usr/lib/postgresql ]; then
    ver="$(ls /usr/lib/postgresql | sort -V | tail -1)"
  fi
  echo "$ver"
}

pg_cluster_running() {
  pg_ctlcluster "$1" "$PG_CLUSTER" status >/dev/null 2>&1
}

# Trust auth for local connections and 127.0.0.1/::1, listen on localhost.
# Only applied to a cluster this script installed or created: development and test use only.
pg_configure_trust() {
  local ver="$1" dir="/etc/postgresql/$1/$PG_CLUSTER"
  if [ ! -e "$dir/pg_hba.conf.orig" ]; then
    as_root cp -p "$dir/pg_hba.conf" "$dir/pg_hba.conf.orig"
  fi
  as_root tee "$dir/pg_hba.conf" >/dev/null <<'EOF'
# Written by scripts/ensure_services.sh (MotCua): trust auth for local development and tests.
# The packaged file is kept as pg_hba.conf.orig.
# TYPE  DATABASE     USER  ADDRESS        METHOD
local   all          all                  trust
host    all          all   127.0.0.1/32   trust
host    all          all   ::1/128        trust
local   replication  all                  trust
host    replication  all   127.0.0.1/32   trust
host    replication  all   ::1/128        trust
EOF
  if have pg_conftool; then
    as_root pg_conftool "$ver" "$PG_CLUSTER" set listen_addresses localhost
  else
    as_root mkdir -p "$dir/conf.d"
    echo "listen_addresses = 'localhost'" | as_root tee "$dir/conf.d/motcua-dev.conf" >/dev/null
  fi
}

ensure_postgres() {
  pg_ready && return 0

  local fresh=0 ver
  if ! have pg_ctlcluster || [ ! -d /etc/postgresql ]; then
    apt_install postgresql
    fresh=1
  fi
  ver="$(pg_version)"
  [ -n "$ver" ] || die "PostgreSQL looks installed, but no version under /etc/postgresql or /usr/lib/postgresql"
  if [ ! -d "/etc/postgresql/$ver/$PG_CLUSTER" ]; then
    as_root pg_createcluster --port "$PG_PORT" "$ver" "$PG_CLUSTER" >/dev/null
    fresh=1
  fi
  if [ "$fresh" -eq 1 ]; then
    pg_configure_trust "$ver"
  fi

  if pg_cluster_running "$ver"; then
    if [ "$fresh" -eq 1 ]; then
      # The package's postinst may have started it before our settings were written.
      # (A restart, not a reload: listen_addresses is only read at start.)
      as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$PG_CLUSTER" restart
    fi
  else
    as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$PG_CLUSTER" start
  fi

  if ! wait_until pg_ready; then
    tail -n 20 "/var/log/postgresql/postgresql-$ver-$PG_CLUSTER.log" >&2 2>/dev/null || true
    die "PostgreSQL $ver/$PG_CLUSTER does not accept connections on $PG_HOST:$PG_PORT after ${WAIT_SECONDS}s"
  fi
  if have psql && ! psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -w -Atqc 'select 1' >/dev/null 2>&1; then
    die "PostgreSQL answers on $PG_HOST:$PG_PORT, but role postgres cannot log in without a password (pg_hba.conf)"
  fi
  log "started PostgreSQL $ver/$PG_CLUSTER on $PG_HOST:$PG_PORT"
}

# --------------------------------------------------------------------- Redis

redis_ready() {
  if have redis-cli; then
    [ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]
  else
    tcp_open "$REDIS_HOST" "$REDIS_PORT"
  fi
}

ensure_redis() {
  redis_ready && return 0

  if ! have redis-server; then
    apt_install redis-server
    # The package's postinst may already have started one on the default port.
    if redis_ready; then
      log "started Redis on $REDIS_HOST:$REDIS_PORT (installed redis-server)"
      return 0
    fi
  fi

  as_root mkdir -p /var/lib/redis /var/log/redis
  local extra=() logfile=/var/log/redis/ci.log
  if [ "$REDIS_PORT" != 6379 ]; then
    # keep a second instance off the default instance's pid and log files
    logfile="/var/log/redis/ci-$REDIS_PORT.log"
    extra=(--pidfile "/var/run/redis-$REDIS_PORT.pid")
  fi
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" \
    --save "" --appendonly no --dir /var/lib/redis --logfile "$logfile" "${extra[@]}"

  if ! wait_until redis_ready; then
    tail -n 20 "$logfile" >&2 2>/dev/null || true
    die "Redis does not answer PING on $REDIS_HOST:$REDIS_PORT after ${WAIT_SECONDS}s"
  fi
  log "started Redis on $REDIS_HOST:$REDIS_PORT"
}

ensure_postgres
ensure_redis
