// movierec in one resource group: the Function App (Flex Consumption, custom
// handler) with its storage and monitoring, Cosmos DB for the data, Event Hubs
// for the ratings, and the managed identity that ties them together without
// secrets. Deploy with infra/deploy.sh (or `az deployment group create`).
targetScope = 'resourceGroup'

@description('Prefix of every resource name: 3 to 11 lowercase letters and digits, starting with a letter (storage and Cosmos DB names are lowercase; an Event Hubs namespace starts with a letter).')
@minLength(3)
@maxLength(11)
param namePrefix string

@description('Region of every resource: one that offers Flex Consumption (az functionapp list-flexconsumption-locations; infra/deploy.sh checks).')
param location string = resourceGroup().location

@description('Memory of each Function App instance, MB. 2048 by default: in-process training at 25M ratings peaks near 1.25 GiB (README, Capacity model); Flex Consumption\'s 512 MB instances cannot hold it, so they are not offered.')
@allowed([2048, 4096])
param instanceMemoryMB int = 2048

@description('Most Function App instances at once (Flex Consumption allows 40 to 1000).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Cosmos DB: Serverless (billed per request, nothing at rest but storage) or Autoscale (provisioned RU/s).')
@allowed(['Serverless', 'Autoscale'])
param cosmosCapacityMode string = 'Serverless'

@description('Database-wide autoscale maximum RU/s, with Autoscale (Cosmos DB: 1000 at least, in steps of 1000).')
@minValue(1000)
@maxValue(1000000)
param cosmosAutoscaleMaxThroughput int = 1000

@description('Partitions of the ratings hub.')
@minValue(1)
@maxValue(32)
param eventHubPartitionCount int = 4

@description('Standard or Premium: Basic allows no consumer group besides $Default.')
@allowed(['Standard', 'Premium'])
param eventHubsSku string = 'Standard'

@description('Object id of a user or identity that may send ratings (movierec-generate); empty for none.')
param ratingsSenderPrincipalId string = ''

@description('Object id of the external trainer\'s identity (a Spark job writing model folders, MOVIEREC_TRAINER=external): Storage Blob Data Contributor on the models container; empty for none.')
param sparkTrainerPrincipalId string = ''

// movierec's settings (the README's configuration table). Each parameter
// below defaults to the app's own default for its setting, and a test keeps
// them equal (handlers/app/tests/settings_agree.rs); every setting not set
// here takes the app's default. The schedules must be app settings: the
// Functions host resolves `%MOVIEREC_*_SCHEDULE%` in function.json from them
// and has no default of its own.

@description('RetrainModel schedule (NCRONTAB, 6 fields), MOVIEREC_RETRAIN_SCHEDULE.')
param retrainSchedule string = '0 0 */6 * * *'

@description('RecommendAllUsers schedule (NCRONTAB, 6 fields), MOVIEREC_RECOMMEND_SCHEDULE.')
param recommendSchedule string = '0 */5 * * * *'

@description('Who trains: in-process (RetrainModel) or external (a Spark job writes model folders into the models container and RetrainModel imports the newest), MOVIEREC_TRAINER.')
@allowed(['in-process', 'external'])
param trainer string = 'in-process'

@description('Length of each published list, MOVIEREC_TOP_N.')
@minValue(1)
@maxValue(100)
param topN int = 50

@description('A new version is rejected if its lists\' holdout NDCG@10 is worse than the promoted one\'s by more than this share (or not above the most-popular list\'s), MOVIEREC_PROMOTION_MARGIN.')
param promotionMargin string = '0.02'

@description('Model settings to set over the app\'s defaults: the rating model\'s (MOVIEREC_RANK and the like) and the ranking model\'s (MOVIEREC_RANKING_*), e.g. { MOVIEREC_RANK: 64 }. Empty: the tuned defaults the app is built with.')
param model object = {}

@description('Share of ratings held out to evaluate a new model (MOVIEREC_HOLDOUT_FRACTION), and the seed of that split (MOVIEREC_HOLDOUT_SEED).')
param holdoutFraction string = '0.1'
param holdoutSeed int = 42

@description('Cosmos DB requests in flight per ingest batch (MOVIEREC_COSMOS_CONCURRENCY), and 429 retries per request (MOVIEREC_COSMOS_THROTTLE_RETRIES).')
@minValue(1)
param cosmosConcurrency int = 32
@minValue(0)
param cosmosThrottleRetries int = 9

param tags object = { app: 'movierec' }

// Bicep has no pattern decorator: the prefix's characters are checked here,
// and every name below is built from the checked value, so a bad prefix
// stops the deployment before any resource is created, with this message.
var prefixCharsAllowed = [for i in range(0, length(namePrefix)): contains('abcdefghijklmnopqrstuvwxyz0123456789', substring(namePrefix, i, 1))]
var prefix = contains('abcdefghijklmnopqrstuvwxyz', first(namePrefix)) && !contains(prefixCharsAllowed, false)
  ? namePrefix
  : fail('namePrefix \'${namePrefix}\' must be lowercase letters and digits starting with a letter (storage and Cosmos DB names are lowercase, an Event Hubs namespace starts with a letter)')

var unique = uniqueString(resourceGroup().id, prefix)
var deploymentContainer = 'deployments'
var modelsContainer = 'models'

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: '${prefix}-identity'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    namePrefix: prefix
    location: location
    tags: tags
    principalId: identity.outputs.principalId
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: take('${prefix}${unique}', 24)
    location: location
    tags: tags
    principalId: identity.outputs.principalId
    deploymentContainer: deploymentContainer
    modelsContainer: modelsContainer
    trainerPrincipalId: sparkTrainerPrincipalId
    logAnalyticsWorkspaceId: monitoring.outputs.workspaceId
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  params: {
    name: '${prefix}-cosmos-${unique}'
    location: location
    tags: tags
    principalId: identity.outputs.principalId
    databaseName: 'movierec'
    capacityMode: cosmosCapacityMode
    autoscaleMaxThroughput: cosmosAutoscaleMaxThroughput
    logAnalyticsWorkspaceId: monitoring.outputs.workspaceId
  }
}

module eventHubs 'modules/eventhubs.bicep' = {
  name: 'eventhubs'
  params: {
    name: '${prefix}-events-${unique}'
    location: location
    tags: tags
    principalId: identity.outputs.principalId
    hubName: 'ratings'
    partitionCount: eventHubPartitionCount
    consumerGroup: 'movierec'
    senderPrincipalId: ratingsSenderPrincipalId
    sku: eventHubsSku
    logAnalyticsWorkspaceId: monitoring.outputs.workspaceId
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    name: '${prefix}-app-${unique}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainer: deploymentContainer
    appInsightsConnectionString: monitoring.outputs.connectionString
    cosmosEndpoint: cosmos.outputs.endpoint
    cosmosDatabase: cosmos.outputs.databaseName
    eventHubsNamespace: eventHubs.outputs.fullyQualifiedNamespace
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    logAnalyticsWorkspaceId: monitoring.outputs.workspaceId
    movierecSettings: union(model, {
      MOVIEREC_RETRAIN_SCHEDULE: retrainSchedule
      MOVIEREC_RECOMMEND_SCHEDULE: recommendSchedule
      MOVIEREC_TRAINER: trainer
      MOVIEREC_EXTERNAL_MODELS: '${storage.outputs.blobEndpoint}${modelsContainer}'
      MOVIEREC_TOP_N: topN
      MOVIEREC_PROMOTION_MARGIN: promotionMargin
      MOVIEREC_HOLDOUT_FRACTION: holdoutFraction
      MOVIEREC_HOLDOUT_SEED: holdoutSeed
      MOVIEREC_COSMOS_CONCURRENCY: cosmosConcurrency
      MOVIEREC_COSMOS_THROTTLE_RETRIES: cosmosThrottleRetries
    })
  }
}

output functionAppName string = functionApp.outputs.name
output functionAppUrl string = functionApp.outputs.url
output cosmosEndpoint string = cosmos.outputs.endpoint
output eventHubsNamespace string = eventHubs.outputs.fullyQualifiedNamespace
output identityClientId string = identity.outputs.clientId
output modelsContainerUrl string = '${storage.outputs.blobEndpoint}${modelsContainer}'
