// movierec in one resource group: the Function App (Flex Consumption, custom
// handler) with its storage and monitoring, Cosmos DB for the data, Event Hubs
// for the ratings, and the managed identity that ties them together without
// secrets. Deploy with infra/deploy.sh (or `az deployment group create`).
targetScope = 'resourceGroup'

@description('Prefix of every resource name (3 to 11 lowercase letters and digits).')
@minLength(3)
@maxLength(11)
param namePrefix string

param location string = resourceGroup().location

@description('Memory of each Function App instance, MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Most Function App instances at once.')
param maximumInstanceCount int = 40

@description('Cosmos DB: Serverless (billed per request, nothing at rest but storage) or Autoscale (provisioned RU/s).')
@allowed(['Serverless', 'Autoscale'])
param cosmosCapacityMode string = 'Serverless'

@description('Database-wide autoscale maximum RU/s, with Autoscale.')
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
param topN int = 50

@description('A new version is rejected if its lists\' holdout NDCG@10 is worse than the promoted one\'s by more than this share (or not above the most-popular list\'s), MOVIEREC_PROMOTION_MARGIN.')
param promotionMargin string = '0.02'

@description('Model settings to set over the app\'s defaults: the rating model\'s (MOVIEREC_RANK and the like) and the ranking model\'s (MOVIEREC_RANKING_*), e.g. { MOVIEREC_RANK: 64 }. Empty: the tuned defaults the app is built with.')
param model object = {}

@description('Share of ratings held out to evaluate a new model (MOVIEREC_HOLDOUT_FRACTION), and the seed of that split (MOVIEREC_HOLDOUT_SEED).')
param holdoutFraction string = '0.1'
param holdoutSeed int = 42

@description('Cosmos DB requests in flight per ingest batch (MOVIEREC_COSMOS_CONCURRENCY), and 429 retries per request (MOVIEREC_COSMOS_THROTTLE_RETRIES).')
param cosmosConcurrency int = 32
param cosmosThrottleRetries int = 9

param tags object = { app: 'movierec' }

var unique = uniqueString(resourceGroup().id, namePrefix)
var deploymentContainer = 'deployments'
var modelsContainer = 'models'

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: '${namePrefix}-identity'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    namePrefix: namePrefix
    location: location
    tags: tags
    principalId: identity.outputs.principalId
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: take('${namePrefix}${unique}', 24)
    location: location
    tags: tags
    principalId: identity.outputs.principalId
    deploymentContainer: deploymentContainer
    modelsContainer: modelsContainer
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  params: {
    name: '${namePrefix}-cosmos-${unique}'
    location: location
    tags: tags
    principalId: identity.outputs.principalId
    databaseName: 'movierec'
    capacityMode: cosmosCapacityMode
    autoscaleMaxThroughput: cosmosAutoscaleMaxThroughput
  }
}

module eventHubs 'modules/eventhubs.bicep' = {
  name: 'eventhubs'
  params: {
    name: '${namePrefix}-events-${unique}'
    location: location
    tags: tags
    principalId: identity.outputs.principalId
    hubName: 'ratings'
    partitionCount: eventHubPartitionCount
    consumerGroup: 'movierec'
    senderPrincipalId: ratingsSenderPrincipalId
    sku: eventHubsSku
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    name: '${namePrefix}-app-${unique}'
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
