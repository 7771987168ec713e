// The Function App's storage account: the host's state (timers, leases),
// the container Flex Consumption deploys the app zip from, the queue
// recommend-for-all's shards travel on, and the container an external
// training job (tools/spark/) writes model folders into. Shared keys are off; the identity
// gets Storage Blob Data Owner, Storage Queue Data Contributor and Storage Table Data
// Contributor; the external trainer, if named, Storage Blob Data Contributor on the
// models container. The blob service's logs and metrics go to the Log Analytics workspace.
param name string
param location string
param tags object
param principalId string
param deploymentContainer string
param modelsContainer string

@description('Object id of the external trainer\'s identity; empty for none.')
param trainerPrincipalId string

@description('The Log Analytics workspace diagnostics go to.')
param logAnalyticsWorkspaceId string

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource deployments 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobs
  name: deploymentContainer
}

// With MOVIEREC_TRAINER=external RetrainModel imports the newest complete
// folder from here; the Spark job writes it (abfss:// or wasbs://).
resource models 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobs
  name: modelsContainer
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

// RecommendAllUsers sends one message per shard; RecommendShard works them
// (functions/*/function.json). The host moves a message that failed
// maxDequeueCount times (host.json) to the poison queue.
resource shardQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queues
  name: 'recommend-shards'
}

resource shardPoisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queues
  name: 'recommend-shards-poison'
}

// Storage Queue Data Contributor: send, read and delete the shard messages.
resource queueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, principalId, '974c5e8b-45b9-4653-ba55-5f855dd0fb88')
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '974c5e8b-45b9-4653-ba55-5f855dd0fb88')
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Storage Blob Data Owner: deployment package, timer and lease blobs, and
// reading the model folders.
resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, principalId, 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b')
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b')
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Storage Table Data Contributor: the host writes its diagnostic events to a
// table of AzureWebJobsStorage.
resource tableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, principalId, '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3')
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3')
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Storage Blob Data Contributor on the models container only: the external
// trainer writes its model folders there and can touch nothing else.
resource trainerWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(trainerPrincipalId)) {
  name: guid(models.id, trainerPrincipalId, 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')
  scope: models
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')
    principalId: trainerPrincipalId
  }
}

// Its logs and metrics to the Log Analytics workspace.
resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: blobs
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
    metrics: [{ category: 'AllMetrics', enabled: true }]
  }
}

output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
