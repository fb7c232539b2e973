#!/bin/sh
# azd postdeploy hook of the functions service. Wires the two things that need the running host,
# both idempotent:
#  1. the Event Grid subscription that drives the packages blob trigger (Flex Consumption only has
#     the Event Grid source); its webhook needs the host's blobs_extension system key, which only
#     exists once the host has started, so Bicep cannot create it without listKeys;
#  2. a host-level function key equal to ADMIN_API_KEY: the host checks x-functions-key for every
#     admin function (AuthorizationLevel.Function), as the local host checks it against ADMIN_API_KEY.
# Needs the Azure CLI logged in as the operator (Key Vault Secrets Officer from infra/).
# Values come from `azd env get-values`, which azd exports to hooks.
set -eu

for name in AZURE_RESOURCE_GROUP AZURE_FUNCTION_APP_NAME AZURE_EVENTGRID_SYSTEM_TOPIC_NAME AZURE_KEY_VAULT_NAME; do
  eval "value=\${$name:-}"
  [ -n "$value" ] || { echo "postdeploy: $name is not set (run azd provision first)" >&2; exit 1; }
done
command -v az >/dev/null || { echo "postdeploy: the Azure CLI (az) is required for this step" >&2; exit 1; }

rg="$AZURE_RESOURCE_GROUP"
app="$AZURE_FUNCTION_APP_NAME"

# The host creates its system keys on first start; a fresh deployment can take a minute.
key=""
tries=0
while [ -z "$key" ] && [ $tries -lt 30 ]; do
  key="$(az functionapp keys list -g "$rg" -n "$app" --query 'systemKeys.blobs_extension' -o tsv 2>/dev/null || true)"
  [ -n "$key" ] || { tries=$((tries + 1)); sleep 10; }
done
[ -n "$key" ] || { echo "postdeploy: the host of $app has no blobs_extension key; is it running? (GET /api/health)" >&2; exit 1; }

host="$(az functionapp show -g "$rg" -n "$app" --query defaultHostName -o tsv)"
echo "postdeploy: Event Grid subscription plugin-uploads -> packages"
az eventgrid system-topic event-subscription create \
  --resource-group "$rg" \
  --system-topic-name "$AZURE_EVENTGRID_SYSTEM_TOPIC_NAME" \
  --name packages-uploads \
  --endpoint-type webhook \
  --endpoint "https://$host/runtime/webhooks/blobs?functionName=Host.Functions.packages&code=$key" \
  --included-event-types Microsoft.Storage.BlobCreated \
  --subject-begins-with /blobServices/default/containers/plugin-uploads/ \
  --subject-ends-with .zip \
  --output none

echo "postdeploy: the admin functions' key from Key Vault secret admin-api-key"
admin_key="$(az keyvault secret show --vault-name "$AZURE_KEY_VAULT_NAME" -n admin-api-key --query value -o tsv)"
az functionapp keys set -g "$rg" -n "$app" --key-type functionKeys \
  --key-name admin-api-key --key-value "$admin_key" --output none
echo "postdeploy: done"
