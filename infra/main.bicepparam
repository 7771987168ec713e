// An example: copy, change namePrefix, deploy with infra/deploy.sh.
using 'main.bicep'

param namePrefix = 'movierec'
param instanceMemoryMB = 2048
param cosmosCapacityMode = 'Serverless'
param eventHubPartitionCount = 4
// movierec's settings take the app's defaults (README, Configuration); set
// one here only to change it, e.g. `param topN = 20` or
// `param model = { MOVIEREC_RANK: 64 }`.
