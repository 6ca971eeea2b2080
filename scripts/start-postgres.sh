#!/usr/bin/env bash
# A private PostgreSQL server for the service's tests, on loopback only.
#
# Installs Debian's postgresql if no server binaries exist, creates a throw-away cluster
# (default /tmp/almguard-postgres-PORT, owned by the postgres user when run as root: the
# server refuses to run as root), starts it on 127.0.0.1:PORT with its unix socket inside
# the cluster directory, creates the role and database `almguard` (the role may create
# databases: each test gets its own), and prints the SQLAlchemy URL on standard output:
#
#     ALMGUARD_TEST_POSTGRES_URL="$(./scripts/start-postgres.sh)"   # fails under set -e
#     export ALMGUARD_TEST_POSTGRES_URL                             # (export X=$(..) would not)
#
# Idempotent: a server already answering on the port is reused. The cluster trusts local
# connections and does not fsync (test data only; never use it for anything else).
# Environment: ALMGUARD_PG_PORT (default 54329), ALMGUARD_PG_DIR (the cluster directory).
set -euo pipefail
port="${ALMGUARD_PG_PORT:-54329}"
dir="${ALMGUARD_PG_DIR:-/tmp/almguard-postgres-$port}"
url="postgresql+psycopg://almguard@127.0.0.1:$port/almguard"
log() { echo "start-postgres: $*" >&2; }

find_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}
bin="$(find_bin)"
if [ -z "$bin" ] || [ ! -x "$bin/postgres" ]; then
    log "no PostgreSQL server binaries: installing Debian's postgresql"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || true
    apt-get install -y -qq postgresql >&2
    bin="$(find_bin)"
    [ -n "$bin" ] && [ -x "$bin/postgres" ] || { log "postgresql did not install"; exit 1; }
fi

# Run a command as the cluster's owner: postgres when we are root, else ourselves.
if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir "$dir" --shell /bin/false postgres
    owner=postgres
    as_owner() { runuser -u postgres -- "$@"; }
else
    owner="$(id -un)"
    as_owner() { "$@"; }
fi

psql_admin() {
    as_owner "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -d postgres "$@"
}

# Lock files left by a server that died (machine restarted, process killed) name a process
# that is gone, a zombie or something else now: the server would refuse to start.
clear_stale_locks() {
    local lock pid
    for lock in "$dir/postmaster.pid" "$dir/.s.PGSQL.$port.lock"; do
        pid="$(head -1 "$lock" 2>/dev/null || true)"
        [ -n "$pid" ] || continue
        if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != postgres ] ||
                [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" = Z ]; then
            rm -f "$lock"
        fi
    done
}

if ! as_owner "$bin/pg_isready" -q -h "$dir" -p "$port" 2>/dev/null; then
    if [ ! -s "$dir/PG_VERSION" ]; then
        log "creating a cluster in $dir"
        rm -rf "$dir"
        mkdir -p "$dir"
        chown "$owner" "$dir"
        chmod 700 "$dir"
        as_owner "$bin/initdb" -D "$dir" -U "$owner" --auth=trust --encoding=UTF8 \
            --locale=C.UTF-8 >/dev/null
    fi
    log "starting PostgreSQL ($("$bin/postgres" --version)) on 127.0.0.1:$port"
    options="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir'"
    options+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    options+=" -c max_connections=200"
    for attempt in 1 2 3; do
        clear_stale_locks
        as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 -o "$options" \
            start >/dev/null && break
        [ "$attempt" = 3 ] && { log "the server did not start; its log:"
                                tail -20 "$dir/server.log" >&2; exit 1; }
        sleep 2
    done
fi

if [ "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'almguard'")" != 1 ]; then
    psql_admin -c "CREATE ROLE almguard LOGIN CREATEDB"
fi
# the tests drop their databases WITH (FORCE), which must end an autovacuum worker too
psql_admin -c "GRANT pg_signal_backend TO almguard" 2>/dev/null
if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = 'almguard'")" != 1 ]; then
    psql_admin -c "CREATE DATABASE almguard OWNER almguard"
fi
echo "$url"
