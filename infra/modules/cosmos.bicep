// Cosmos DB for NoSQL: the account (serverless by default, or provisioned
// with autoscale), the database and every container movierec uses, with the
// partition keys and indexing of handlers/store/src/cosmos/containers.rs
// (keep the two in step). Key auth is off, and so are metadata writes with
// keys; TLS 1.2 at least. The identity gets the data-plane role "Cosmos DB
// Built-in Data Contributor", after the containers exist (assigning it while
// they are being created can fail with 412 "exclusive lock"). Logs and
// metrics go to the Log Analytics workspace.
param name string
param location string
param tags object
param principalId string
param databaseName string

@allowed(['Serverless', 'Autoscale'])
param capacityMode string

@description('Database-wide autoscale maximum RU/s (Autoscale only).')
param autoscaleMaxThroughput int

@description('The Log Analytics workspace diagnostics go to.')
param logAnalyticsWorkspaceId string

// name, partition key path, indexed paths (everything else is excluded)
var containers = [
  { name: 'ratings', partitionKey: '/user', indexed: ['/user/?'] }
  { name: 'deadletters', partitionKey: '/id', indexed: [] }
  { name: 'movies', partitionKey: '/id', indexed: [] }
  { name: 'recommendations', partitionKey: '/user', indexed: ['/version/?', '/user/?'] }
  { name: 'registry', partitionKey: '/pk', indexed: ['/pk/?', '/version/?', '/status/?'] }
  { name: 'impressions', partitionKey: '/user', indexed: ['/served_at_ms/?'] }
]

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  name: name
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    consistencyPolicy: { defaultConsistencyLevel: 'Session' }
    locations: [
      { locationName: location, failoverPriority: 0, isZoneRedundant: false }
    ]
    capabilities: capacityMode == 'Serverless' ? [{ name: 'EnableServerless' }] : []
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: { id: databaseName }
    options: capacityMode == 'Autoscale' ? { autoscaleSettings: { maxThroughput: autoscaleMaxThroughput } } : {}
  }
}

resource containerResources 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = [for c in containers: {
  parent: database
  name: c.name
  properties: {
    resource: {
      id: c.name
      partitionKey: { paths: [c.partitionKey], kind: 'Hash', version: 2 }
      indexingPolicy: {
        indexingMode: 'consistent'
        automatic: true
        includedPaths: [for p in c.indexed: { path: p }]
        excludedPaths: [{ path: '/*' }, { path: '/"_etag"/?' }]
      }
    }
  }
}]

// Cosmos DB Built-in Data Contributor, on the whole account (data plane).
resource dataContributor 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = {
  parent: account
  dependsOn: [containerResources]
  name: guid(account.id, principalId, '00000000-0000-0000-0000-000000000002')
  properties: {
    roleDefinitionId: '${account.id}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002'
    principalId: principalId
    scope: account.id
  }
}

// Its logs and metrics to the Log Analytics workspace.
resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: account
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
    metrics: [{ category: 'AllMetrics', enabled: true }]
  }
}

output endpoint string = account.properties.documentEndpoint
output databaseName string = database.name
