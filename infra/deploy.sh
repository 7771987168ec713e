#!/usr/bin/env bash
# Builds movierec for Linux x86_64, lays out the Functions app folder and its
# zip, deploys the infrastructure and publishes the zip.
#
#   infra/deploy.sh RESOURCE_GROUP [PARAMETERS_FILE]     (default infra/main.bicepparam)
#
# Needs the Azure CLI, logged in (`az login`), with rights to create resources
# and role assignments in the group (Owner, or Contributor + User Access
# Administrator). Creates the group in LOCATION (default westeurope) if missing.
#
# Before deploying it checks that the region offers Flex Consumption and says
# which do if not. The publish is retried while the new role assignments
# propagate (the app's identity writes the package to its deployment
# container, and can get 403 for a few minutes), and each try has a time
# limit, so an app whose host stays unhealthy cannot keep the script waiting.
#
# Settings (environment):
#   LOCATION                 region for a new group (default westeurope)
#   DEPLOY_ZIP               publish this zip instead of building one (infra/package.sh)
#   PUBLISH_TRIES            publish attempts (default 6)
#   PUBLISH_RETRY_SECONDS    wait before the second attempt, doubling after (default 20)
#   PUBLISH_TIMEOUT_SECONDS  time limit of one attempt, the CLI's waits included (default 600)
set -euo pipefail
cd "$(dirname "$0")/.."
group="${1:?usage: infra/deploy.sh RESOURCE_GROUP [PARAMETERS_FILE]}"
parameters="${2:-infra/main.bicepparam}"
zip="${DEPLOY_ZIP:-dist/movierec.zip}"
tries="${PUBLISH_TRIES:-6}"
retry_wait="${PUBLISH_RETRY_SECONDS:-20}"
publish_timeout="${PUBLISH_TIMEOUT_SECONDS:-600}"

fail() { echo "deploy: $*" >&2; exit 1; }
[ -f "$parameters" ] || fail "no parameters file $parameters"

# 1. the region: the parameters file's `location`, else the group's, else LOCATION
if [ "$(az group exists --name "$group")" = "true" ]; then
  group_location="$(az group show --name "$group" --query location --output tsv)"
else
  group_location="${LOCATION:-westeurope}"
fi
location="$(sed -n "s/^param location = '\([^']*\)'.*/\1/p" "$parameters" | head -1)"
location="${location:-$group_location}"
region="$(tr '[:upper:]' '[:lower:]' <<< "$location" | tr -d ' ')"
flex_regions="$(az functionapp list-flexconsumption-locations --query '[].name' --output tsv)" ||
  fail "could not list the regions that offer Flex Consumption (az functionapp list-flexconsumption-locations); is the Azure CLI 2.60 or newer and logged in?"
if ! grep -qx "$region" <<< "$flex_regions"; then
  fail "region '$location' does not offer Flex Consumption. Regions that do: $(tr '\n' ' ' <<< "$flex_regions")
Set LOCATION=<region> for a new group, or 'param location = ...' in $parameters."
fi

# 2. the Linux x86_64 release binary, the app folder and the zip
if [ -z "${DEPLOY_ZIP:-}" ]; then
  bash infra/package.sh
fi
[ -f "$zip" ] || fail "no app zip at $zip"

# 3. the infrastructure. A .bicepparam names its template (`using`); the CLI
# before 2.53 also wants the template beside it, and later ones accept both.
if [ "$(az group exists --name "$group")" != "true" ]; then
  az group create --name "$group" --location "$region" --output none
fi
outputs="$(az deployment group create --resource-group "$group" \
  --template-file infra/main.bicep --parameters "$parameters" \
  --query properties.outputs --output json)"
output() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1']['value'])" <<< "$outputs"; }
app="$(output functionAppName)"
url="$(output functionAppUrl)"

# 4. the app (Flex Consumption deploys from the storage container in main.bicep)
attempt=1
wait="$retry_wait"
while true; do
  status=0
  # --timeout bounds the CLI's own poll of the deployment (30 s at least);
  # `timeout` bounds the whole attempt, its health check included.
  timeout "$publish_timeout" az functionapp deployment source config-zip \
    --resource-group "$group" --name "$app" --src "$zip" \
    --timeout "$(( publish_timeout > 60 ? publish_timeout - 30 : 30 ))" || status=$?
  [ "$status" -eq 0 ] && break
  if [ "$status" -eq 124 ]; then
    fail "publishing $zip to $app took longer than ${publish_timeout} s (PUBLISH_TIMEOUT_SECONDS) and was stopped.
The host may be unhealthy: see its logs (Application Insights, or 'az functionapp log deployment show --resource-group $group --name $app'), then run this script again."
  fi
  if [ "$attempt" -ge "$tries" ]; then
    fail "publishing $zip to $app failed $attempt times (the last with exit code $status); see the CLI's message above.
If it says 403, the role assignments have not reached the app's identity yet: run this script again in a few minutes."
  fi
  echo "deploy: publish attempt $attempt of $tries failed (exit code $status); the app's new role assignments can take minutes to apply (a 403 until then). Trying again in ${wait} s." >&2
  sleep "$wait"
  attempt=$(( attempt + 1 ))
  wait=$(( wait * 2 ))
done

echo "deployed $app to $region"
echo "  recommendations: $url/recommendations/{user}?code=<key>"
echo "  dashboard:       $url/dashboard?code=<key>"
echo "  metrics:         $url/metrics?code=<key>"
echo "  OpenAPI:         $url/openapi.json"
echo "the key: az functionapp keys list --resource-group $group --name $app --query functionKeys.default --output tsv"
echo "Cosmos DB: $(output cosmosEndpoint)   Event Hubs: $(output eventHubsNamespace)"
