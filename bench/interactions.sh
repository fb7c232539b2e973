#!/usr/bin/env bash
# Benchmark of /api/interactions beside a bare verify-and-PONG baseline, in one run on this machine.
# Starts its own Azurite and app (Release build) on free ports, publishes and installs a bench plugin,
# then runs `serverless-bench interactions`. Needs what local/up needs (Node, Docker, the sandbox image).
#   bench/interactions.sh [--requests N] [--concurrency C]
set -euo pipefail
source "$(dirname "$0")/../local/lib.sh"
requests=2000; concurrency=16
while [ $# -gt 0 ]; do
  case "$1" in
    --requests) requests="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    *) die "unknown argument $1" ;;
  esac
done

work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

ensure_node_tools
ensure_docker
ensure_sandbox_image
say "building (Release)"
dotnet publish "$REPO_ROOT/local/LocalHost/Serverless.LocalHost.csproj" -c Release -o "$work/app" --nologo -v quiet >/dev/null
dotnet build "$REPO_ROOT/bench/Serverless.Bench/Serverless.Bench.csproj" -c Release --nologo -v quiet >/dev/null

blob=$(free_port); queue=$(free_port); table=$(free_port); app=$(free_port); base=$(free_port)
"$REPO_ROOT/local/node_modules/.bin/azurite" --silent --inMemoryPersistence --skipApiVersionCheck --loose --disableTelemetry \
  --blobPort "$blob" --queuePort "$queue" --tablePort "$table" >"$work/azurite.log" 2>&1 &
pids+=($!)
openssl genpkey -algorithm ed25519 -out "$work/key.pem" 2>/dev/null
public=$(openssl pkey -in "$work/key.pem" -pubout -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \n')
storage="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:$blob/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$queue/devstoreaccount1;TableEndpoint=http://127.0.0.1:$table/devstoreaccount1;"
for _ in $(seq 1 40); do port_listening "$table" && break; sleep 0.25; done

(cd "$work/app" && AzureWebJobsStorage="$storage" DISCORD_PUBLIC_KEY="$public" ADMIN_API_KEY=bench SANDBOX_PLATFORM_NAME=bench \
  PLUGIN_CACHE_DIR="$work/cache" ASPNETCORE_URLS="http://127.0.0.1:$app" Logging__LogLevel__Default=Warning exec ./Serverless.LocalHost) >"$work/app.log" 2>&1 &
pids+=($!)
PUBLIC_KEY_HEX="$public" PORT="$base" node "$REPO_ROOT/bench/interactions-baseline.js" &
pids+=($!)
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$app/api/health" >/dev/null && break; sleep 0.5; done

say "publishing and installing the bench plugin"
mkdir -p "$work/plugin"
cat >"$work/plugin/manifest.json" <<'JSON'
{"id":"bench_plugin","version":"1.0.0","name":"Bench",
 "slash_commands":[
  {"name":"const","description":"declared constant","response":{"type":"message","content":"pong","ephemeral":true}},
  {"name":"later","description":"declared deferral","response":{"type":"defer"},"options":[{"name":"user","description":"u","type":6}]},
  {"name":"greet","description":"code","options":[{"name":"user","description":"u","type":6}]}]}
JSON
cat >"$work/plugin/plugin.py" <<'PY'
@plugin.on_slash_command("greet")
def greet(ctx, event):
    ctx.interaction.respond(content=f"<@{event['options'][0]['value']}> hi")

@plugin.on_slash_command("later")
def later(ctx, event):
    ctx.interaction.respond(content=f"<@{event['options'][0]['value']}> later")

@plugin.on_slash_command("const")
def const(ctx, event):
    pass
PY
(cd "$work/plugin" && zip -q -r "$work/plugin.zip" manifest.json plugin.py) 2>/dev/null || python3 -c "
import zipfile,sys; z=zipfile.ZipFile('$work/plugin.zip','w',zipfile.ZIP_DEFLATED); [z.write('$work/plugin/'+f,f) for f in ('manifest.json','plugin.py')]; z.close()"
AzureWebJobsStorage="$storage" "$REPO_ROOT/local/plugin" upload "$work/plugin.zip" --publisher bench --connection "$storage" --wait 120 >/dev/null
guilds=()
for i in 0 1 2 3 4 5 6 7 8 9 10; do
  guild="90000000000000$i"
  curl -sf -X PUT -H 'x-functions-key: bench' -H 'content-type: application/json' -d '{"version":"*"}' \
    "http://127.0.0.1:$app/api/admin/guilds/$guild/plugins/bench_plugin" >/dev/null
  guilds+=("$guild")
done
cold=$(IFS=,; echo "${guilds[*]:1}")

say "measuring ($requests requests, $concurrency concurrent)"
dotnet "$REPO_ROOT/bench/Serverless.Bench/bin/Release/net10.0/serverless-bench.dll" interactions \
  --app "http://127.0.0.1:$app" --baseline "http://127.0.0.1:$base" --key-file "$work/key.pem" --admin-key bench \
  --guild "${guilds[0]}" --cold-guilds "$cold" --requests "$requests" --concurrency "$concurrency"
