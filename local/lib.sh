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

# --- One Docker engine shared by every stack on this machine -----------------------------------
# local/up and local/test register in $DOCKERD_SHARE_DIR while they run (users/PID, holding the
# process's start time). A dockerd one of them started is recorded there (dockerd.pid) and stopped
# by the last of them to leave; a dockerd none of them started is never stopped.
DOCKERD_SHARE_DIR="${LOCAL_DOCKERD_DIR:-/tmp/serverless-local-dockerd}"

# Field 22 of /proc/PID/stat: when the process started (clock ticks since boot); empty if it is gone
# or has exited and waits to be reaped (a zombie).
proc_start() {
  local fields
  fields=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 0
  case "$fields" in Z*|X*|"") return 0 ;; esac
  printf '%s' "$fields" | cut -d' ' -f20
}

docker_share_lock() {
  mkdir -p "$DOCKERD_SHARE_DIR/users"
  chmod 1777 "$DOCKERD_SHARE_DIR" "$DOCKERD_SHARE_DIR/users" 2>/dev/null || true
  exec {DOCKERD_LOCK_FD}>>"$DOCKERD_SHARE_DIR/lock"
  chmod 666 "$DOCKERD_SHARE_DIR/lock" 2>/dev/null || true
  flock "$DOCKERD_LOCK_FD"
}

docker_share_unlock() { exec {DOCKERD_LOCK_FD}>&-; }

# A Docker engine for the sandbox. On Debian as root we install and start one; elsewhere we say how.
# Either way this script is then registered as one of the engine's users until release_docker.
ensure_docker() {
  docker_share_lock
  if ! docker_ok; then start_docker; fi
  proc_start $$ >"$DOCKERD_SHARE_DIR/users/$$"
  docker_share_unlock
}

start_docker() {
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
  # It must not inherit the lock (flock holds while any copy of the descriptor is open).
  setsid dockerd --bridge=none --iptables=false >"$STATE_DIR/dockerd.log" 2>&1 </dev/null {DOCKERD_LOCK_FD}>&- &
  local pid=$!
  echo "$pid $(proc_start "$pid")" >"$DOCKERD_SHARE_DIR/dockerd.pid"
  for _ in $(seq 1 60); do
    docker_ok && return
    sleep 0.5
  done
  die "dockerd did not come up in 30 s; see $STATE_DIR/dockerd.log"
}

# This script no longer uses the engine. When no other registered script (any stack) is still running,
# a dockerd that local/up or local/test started is stopped; one they did not start is left alone.
release_docker() {
  [ -f "$DOCKERD_SHARE_DIR/users/$$" ] || return 0
  docker_share_lock
  rm -f "$DOCKERD_SHARE_DIR/users/$$"
  local user others=0
  for user in "$DOCKERD_SHARE_DIR"/users/*; do
    [ -e "$user" ] || continue
    if [ -n "$(proc_start "${user##*/}")" ] && [ "$(proc_start "${user##*/}")" = "$(cat "$user")" ]; then
      others=$((others + 1))
    else
      rm -f "$user"  # its script ended without releasing (killed)
    fi
  done
  local pid="" started=""
  [ -f "$DOCKERD_SHARE_DIR/dockerd.pid" ] && read -r pid started <"$DOCKERD_SHARE_DIR/dockerd.pid"
  if [ -n "$pid" ] && [ "$others" = 0 ]; then
    if [ -n "$started" ] && [ "$(proc_start "$pid")" = "$started" ]; then
      say "stopping the Docker engine local/up or local/test started (no stack uses it any more)"
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 60); do [ -n "$(proc_start "$pid")" ] || break; sleep 0.5; done
      wait "$pid" 2>/dev/null || true  # reaps it when this script started it
    fi
    rm -f "$DOCKERD_SHARE_DIR/dockerd.pid"
  elif [ -n "$pid" ]; then
    say "leaving the Docker engine running: $others other local/up or local/test use it"
  fi
  docker_share_unlock
}

# This stack's name (SANDBOX_PLATFORM_NAME) unless set: one per state folder and storage, so two stacks on
# one machine label their sandbox containers and name their plugin caches apart.
default_stack_name() {
  local dir
  dir=$(cd "$STATE_DIR" 2>/dev/null && pwd -P) || dir="$STATE_DIR"
  printf 'serverless-%s' "$(printf '%s|%s' "$dir" "$1" | sha256sum | cut -c1-10)"
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
