// An example: copy, change namePrefix, deploy with infra/deploy.sh.
using 'main.bicep'

param namePrefix = 'movierec'
param instanceMemoryMB = 2048
param cosmosCapacityMode = 'Serverless'
param eventHubPartitionCount = 4
param retrainSchedule = '0 0 */6 * * *'
param recommendSchedule = '0 */5 * * * *'
param topN = 10
