# Shared steps of local/up, local/test and local/plugin. Source it; it defines functions only.
# Every step is idempotent: a second run finds what the first installed and moves on in seconds.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${LOCAL_STATE_DIR:-$REPO_ROOT/.local}"
AZURITE_BLOB_PORT="${AZURITE_BLOB_PORT:-10000}"
AZURITE_QUEUE_PORT="${AZURITE_QUEUE_PORT:-10001}"
AZURITE_TABLE_PORT="${AZURITE_TABLE_PORT:-10002}"
APP_PORT="${APP_PORT:-7071}"
SANDBOX_IMAGE="${SANDBOX_IMAGE:-serverless-sandbox-runner:latest}"

say() { printf '\033[1m==>\033[0m %s\n' "$*"; }
warn() { printf '\033[33mwarning:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

apt_updated=""
apt_install() {
  is_root || die "need root to install $* (run as root, or install it yourself)"
  command -v apt-get >/dev/null || die "cannot install $*: no apt-get on this machine; install it by hand"
  if [ -z "$apt_updated" ]; then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || die "apt-get update failed"
    apt_updated=1
  fi
  say "installing $* (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || die "apt-get install $* failed"
}

require_dotnet() {
  command -v dotnet >/dev/null || die "the .NET SDK is missing (dotnet not on PATH); install .NET 10 and rerun"
}

# Node tools pinned in local/package.json (Azurite).
ensure_node_tools() {
  command -v npm >/dev/null || die "npm is missing; install Node.js 20+ and rerun"
  local stamp="$REPO_ROOT/local/node_modules/.installed-lock"
  if [ -x "$REPO_ROOT/local/node_modules/.bin/azurite" ] && cmp -s "$REPO_ROOT/local/package-lock.json" "$stamp"; then
    return
  fi
  say "installing Azurite (npm ci in local/)"
  (cd "$REPO_ROOT/local" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in local/"
  cp "$REPO_ROOT/local/package-lock.json" "$stamp"
}

port_listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Names the process holding a port, for error messages.
port_owner() {
  if command -v ss >/dev/null; then
    ss -ltnpH "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\("[^"]*"\).*/\1/p' | head -1
  fi
}

docker_ok() { docker info >/dev/null 2>&1; }

# A Docker engine for the sandbox. On Debian as root we install and start one; elsewhere we say how.
ensure_docker() {
  if docker_ok; then return; fi
  if ! command -v dockerd >/dev/null; then
    if is_root && command -v apt-get >/dev/null; then
      apt_install docker.io
    else
      die "no Docker engine answers and none is installed. Install Docker and start it (Debian as root: apt-get install docker.io; dockerd --bridge=none --iptables=false)"
    fi
  fi
  command -v docker >/dev/null || apt_install docker-cli || true
  if docker_ok; then return; fi
  is_root || die "the Docker engine is installed but not running; start it (as root: dockerd --bridge=none --iptables=false)"
  mkdir -p "$STATE_DIR"
  say "starting dockerd (no bridge, no iptables; log: $STATE_DIR/dockerd.log)"
  # The bridge stays off: plugin containers run with --network none and nothing else needs one.
  setsid dockerd --bridge=none --iptables=false >"$STATE_DIR/dockerd.log" 2>&1 </dev/null &
  echo $! >"$STATE_DIR/dockerd.pid"
  STARTED_DOCKERD=$!
  for _ in $(seq 1 60); do
    docker_ok && return
    sleep 0.5
  done
  die "dockerd did not come up in 30 s; see $STATE_DIR/dockerd.log"
}

# The sandbox runner image, built offline (sandbox/build-image skips the work when nothing changed).
ensure_sandbox_image() {
  if [ ! -x "$REPO_ROOT/sandbox/build-image" ]; then
    return
  fi
  command -v debootstrap >/dev/null || docker image inspect serverless-sandbox-base:bookworm >/dev/null 2>&1 || apt_install debootstrap
  "$REPO_ROOT/sandbox/build-image" || die "building the sandbox image failed"
}

# Debian's Chromium for the dev portal's browser tests (Playwright drives it; it never downloads a browser).
ensure_chromium() {
  if [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then return; fi
  command -v apt-get >/dev/null && is_root || { warn "no Chromium at ${CHROMIUM_PATH:-/usr/bin/chromium}: the portal's browser tests will be skipped (they fail under CI=true); as root: apt-get install chromium"; return 1; }
  apt_install chromium
}

azurite_connection_string() {
  local key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
  printf 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=%s;BlobEndpoint=http://127.0.0.1:%s/devstoreaccount1;QueueEndpoint=http://127.0.0.1:%s/devstoreaccount1;TableEndpoint=http://127.0.0.1:%s/devstoreaccount1;' \
    "$key" "$AZURITE_BLOB_PORT" "$AZURITE_QUEUE_PORT" "$AZURITE_TABLE_PORT"
}

# Reads a value from local.settings.json's "Values" (empty when absent).
local_setting() {
  local file="$REPO_ROOT/local.settings.json"
  [ -f "$file" ] || return 0
  node -e 'const v=(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).Values||{})[process.argv[2]]; if (v!==undefined && v!==null) process.stdout.write(String(v));' "$file" "$1" 2>/dev/null || true
}

# Environment first, then local.settings.json.
setting() {
  local name="$1"
  if [ -n "${!name:-}" ]; then printf '%s' "${!name}"; else local_setting "$name"; fi
}
