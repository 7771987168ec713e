#!/usr/bin/env bash
# Builds movierec for Linux x86_64, lays out the Functions app folder and its
# zip, deploys the infrastructure and publishes the zip.
#
#   infra/deploy.sh RESOURCE_GROUP [PARAMETERS_FILE]     (default infra/main.bicepparam)
#
# Needs the Azure CLI, logged in (`az login`), with rights to create resources
# and role assignments in the group (Owner, or Contributor + User Access
# Administrator). Creates the group in the parameters' location if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
group="${1:?usage: infra/deploy.sh RESOURCE_GROUP [PARAMETERS_FILE]}"
parameters="${2:-infra/main.bicepparam}"
location="${LOCATION:-westeurope}"

# 1. the Linux x86_64 release binary, the app folder and the zip
bash infra/package.sh

# 2. the infrastructure
if [ "$(az group exists --name "$group")" != "true" ]; then
  az group create --name "$group" --location "$location" --output none
fi
outputs="$(az deployment group create --resource-group "$group" \
  --template-file infra/main.bicep --parameters "$parameters" \
  --query properties.outputs --output json)"
output() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1']['value'])" <<< "$outputs"; }
app="$(output functionAppName)"

# 3. the app (Flex Consumption deploys from the storage container in main.bicep)
az functionapp deployment source config-zip --resource-group "$group" --name "$app" \
  --src dist/movierec.zip

echo "deployed $app: $(output functionAppUrl)/recommendations/1 (add ?code=<function key>)"
echo "Cosmos DB: $(output cosmosEndpoint)   Event Hubs: $(output eventHubsNamespace)"
