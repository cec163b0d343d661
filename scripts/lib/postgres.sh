# Shared by scripts/serve and scripts/test: make sure the local PostgreSQL answers.
# Sourced, not executed.

ensure_postgres() {
  local host=${PGHOST:-127.0.0.1} port=${PGPORT:-5432}
  if pg_isready -q -h "$host" -p "$port" 2>/dev/null; then
    return 0
  fi
  echo "PostgreSQL at $host:$port is not answering; trying to start the local cluster…" >&2
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    local version
    for version in $(ls /etc/postgresql); do
      pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
    done
  fi
  for _ in $(seq 1 30); do
    if pg_isready -q -h "$host" -p "$port" 2>/dev/null; then
      return 0
    fi
    sleep 1
  done
  echo "PostgreSQL is still not reachable at $host:$port. Start it, or set DATABASE_URL." >&2
  return 1
}
