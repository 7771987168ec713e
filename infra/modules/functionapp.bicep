// The Function App: Linux, Flex Consumption, the custom-handler runtime
// (host.json starts `movierec serve`). It runs as the user-assigned identity
// and every connection is identity-based (`__credential`, `__clientId`), so
// no app setting holds a key. Every movierec setting is an app setting.
param name string
param location string
param tags object
param identityId string
param identityClientId string
param storageName string
param storageBlobEndpoint string
param deploymentContainer string
param appInsightsConnectionString string
param cosmosEndpoint string
param cosmosDatabase string
param eventHubsNamespace string
param instanceMemoryMB int
param maximumInstanceCount int
@description('The Log Analytics workspace diagnostics go to.')
param logAnalyticsWorkspaceId string
@description('movierec settings (MOVIEREC_* name -> value), see the README configuration table.')
param movierecSettings object

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${name}-plan'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

var identitySettings = {
  AzureWebJobsStorage__accountName: storageName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  EventHubConnection__fullyQualifiedNamespace: eventHubsNamespace
  EventHubConnection__credential: 'managedidentity'
  EventHubConnection__clientId: identityClientId
  MOVIEREC_STORE: 'cosmos'
  MOVIEREC_COSMOS_ENDPOINT: cosmosEndpoint
  MOVIEREC_COSMOS_DATABASE: cosmosDatabase
  MOVIEREC_COSMOS_CLIENT_ID: identityClientId
  // The Azure SDK's user-assigned identity (the Blob container of external models).
  AZURE_CLIENT_ID: identityClientId
  MOVIEREC_BOOTSTRAP: 'false'
}

var allSettings = union(identitySettings, movierecSettings)

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainer}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: { name: 'custom', version: '1.0' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: [for setting in items(allSettings): { name: setting.key, value: string(setting.value) }]
    }
  }
}

// Its logs and metrics to the Log Analytics workspace.
resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: site
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [{ category: 'FunctionAppLogs', enabled: true }]
    metrics: [{ category: 'AllMetrics', enabled: true }]
  }
}

output name string = site.name
output url string = 'https://${site.properties.defaultHostName}'
