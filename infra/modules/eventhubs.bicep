// Event Hubs: the namespace (local SAS auth off), the `ratings` hub and the
// consumer group the IngestRatings trigger reads with. The app's identity may
// receive; whoever runs `movierec-generate` (optional) may send.
param name string
param location string
param tags object
param principalId string
param hubName string
param partitionCount int
param consumerGroup string

@description('Object id of a user or identity allowed to send ratings (movierec-generate); empty for none.')
param senderPrincipalId string

@allowed(['Standard', 'Premium'])
param sku string

@description('The Log Analytics workspace diagnostics go to.')
param logAnalyticsWorkspaceId string

resource namespace 'Microsoft.EventHub/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: { name: sku, tier: sku, capacity: 1 }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
  }
}

resource hub 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = {
  parent: namespace
  name: hubName
  properties: {
    partitionCount: partitionCount
    messageRetentionInDays: 1
  }
}

resource group 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = {
  parent: hub
  name: consumerGroup
}

// Azure Event Hubs Data Receiver, for the IngestRatings trigger.
resource receiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hub.id, principalId, 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde')
  scope: hub
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde')
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Azure Event Hubs Data Sender, for the generator.
resource sender 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(senderPrincipalId)) {
  name: guid(hub.id, senderPrincipalId, '2b629674-e913-4c01-ae53-ef4638d8f975')
  scope: hub
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '2b629674-e913-4c01-ae53-ef4638d8f975')
    principalId: senderPrincipalId
  }
}

// Its logs and metrics to the Log Analytics workspace.
resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: namespace
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
    metrics: [{ category: 'AllMetrics', enabled: true }]
  }
}

output fullyQualifiedNamespace string = '${namespace.name}.servicebus.windows.net'
output hubName string = hub.name
output consumerGroup string = group.name
