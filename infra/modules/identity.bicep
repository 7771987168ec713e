// The user-assigned managed identity the Function App runs as: it signs in to
// Cosmos DB, Event Hubs, Storage and Application Insights, so no key or
// connection string with a secret is stored anywhere.
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
