#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 with trust auth for the tests.
# Uses the one already running when there is one; otherwise installs Debian's server and
# starts a throwaway cluster as the postgres user (initdb refuses to run as root).
set -euo pipefail

port=${HANOI_TEST_PG_PORT:-5432}
if command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p "$port"; then
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "Installing PostgreSQL server"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
fi

if ls /etc/postgresql/*/main >/dev/null 2>&1; then
  $sudo pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
if pg_isready -q -h 127.0.0.1 -p "$port"; then
  exit 0
fi

bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
data=/var/tmp/hanoi-test-pg
$sudo mkdir -p "$data"
$sudo chown postgres:postgres "$data"
if [ ! -f "$data/PG_VERSION" ]; then
  $sudo runuser -u postgres -- "$bin/initdb" -D "$data" -A trust -U postgres >/dev/null
fi
$sudo runuser -u postgres -- "$bin/pg_ctl" -D "$data" -l "$data/server.log" \
  -o "-c listen_addresses=127.0.0.1 -p $port -k /tmp" -w start >/dev/null
pg_isready -h 127.0.0.1 -p "$port"
