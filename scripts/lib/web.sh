# Shared by scripts/serve and scripts/test: the portal (web/) is installed and built before the
# binary is, because the release binary embeds web/dist (api/build.rs). Sourced, not executed.

require_node() {
  if ! command -v npm >/dev/null 2>&1; then
    echo "Node.js (20 or newer) with npm is needed to build the portal in web/." >&2
    return 1
  fi
}

# `npm ci` when web/node_modules is missing or older than web/package-lock.json (always in CI).
web_install() {
  require_node
  # npm writes node_modules/.package-lock.json at the end of every install.
  local installed=web/node_modules/.package-lock.json
  if [ -n "${CI:-}" ] || [ ! -e "$installed" ] || [ web/package-lock.json -nt "$installed" ]; then
    echo "== web: npm ci"
    (cd web && npm ci --no-audit --no-fund)
  fi
}

# Whether web/dist is missing or older than anything it is built from.
web_build_is_stale() {
  local built=web/dist/index.html
  [ -e "$built" ] || return 0
  local sources=()
  local candidate
  for candidate in web/src web/public web/index.html web/package-lock.json web/vite.config.ts web/codegen.ts \
    web/scripts/compress.mjs docs/schema.graphql; do
    [ -e "$candidate" ] && sources+=("$candidate")
  done
  [ -n "$(find "${sources[@]}" -newer "$built" -print -quit)" ]
}

web_build() {
  echo "== web: npm run build"
  (cd web && npm run build)
}

# The browser tests never skip for want of a browser: Debian's Chromium is installed if missing.
ensure_chromium() {
  if [ -n "${CHROMIUM:-}" ] || [ -x /usr/bin/chromium ]; then
    return 0
  fi
  echo "== installing Chromium (Debian's package) for the browser tests"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; then
    "${sudo[@]}" apt-get update
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
  fi
}
