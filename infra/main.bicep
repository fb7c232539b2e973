// `azd up` entry point. Subscription scope so that one command creates the resource group too
// (rg-<environment>) and `azd down` removes everything by deleting it. Every resource is a module
// under modules/; role assignments are all in modules/role-assignments.bicep.
targetScope = 'subscription'

@description('azd environment name; names the resource group and seeds every resource name.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Azure region for every resource; it must offer the Flex Consumption plan (az functionapp list-flexconsumption-locations).')
@minLength(1)
param location string

@description('Object id of the principal running azd (AZURE_PRINCIPAL_ID); granted rights to rotate secrets and upload plugins. Empty grants nothing.')
param principalId string = ''

@description('Kind of that principal: User for a person, ServicePrincipal for a pipeline.')
@allowed(['User', 'Group', 'ServicePrincipal'])
param principalType string = 'User'

@description('Discord application id (General Information in the developer portal).')
param discordApplicationId string

@description('Discord application public key, hex (General Information in the developer portal).')
@secure()
param discordPublicKey string

@description('Discord bot token (Bot page in the developer portal).')
@secure()
param discordBotToken string

@description('Shared secret the gateway bridge signs /api/events requests with; azd generates it once.')
@secure()
@metadata({
  azd: {
    type: 'generate'
    config: {
      length: 48
      noSpecial: true
    }
  }
})
param eventsSecret string

@description('Key for /api/admin/ (header x-functions-key); azd generates it once.')
@secure()
@metadata({
  azd: {
    type: 'generate'
    config: {
      length: 48
      noSpecial: true
    }
  }
})
param adminApiKey string

@description('Memory per function app instance in MB (Flex Consumption).')
@allowed([512, 2048, 4096])
param functionInstanceMemoryMB int = 2048

var tags = {
  'azd-env-name': environmentName
}
var token = toLower(uniqueString(subscription().id, environmentName, location))

// StorageLayout.Containers, StorageLayout.Queues and StorageLayout.Tables (checked by the Infra tests).
var blobContainers = [
  'plugin-uploads'
  'plugins'
  'plugin-reports'
  'invocation-bodies'
  'platform-keys'
]
// The work queue (WorkQueueRegistration.QueueName, the dispatch trigger's queueName) and its poison queue.
var storageQueues = [
  'invocations'
  'invocations-poison'
]
var storageTables = [
  'plugins'
  'pluginlogs'
  'pluginkv'
  'installs'
  'interactions'
  'eventids'
  'schedules'
  'invocations'
  'publisherkeys'
  'pendinguploads'
]
var deploymentContainerName = 'app-package'

// SandboxLimits.Default, handed to the plugin runner (checked by the Infra tests).
var sandboxWallTimeSeconds = 10
var sandboxLimits = {
  SANDBOX_MEMORY_MB: 256
  SANDBOX_CPUS: '0.5'
  SANDBOX_PIDS: 64
  SANDBOX_NOFILE: 256
  SANDBOX_FSIZE_MB: 10
  SANDBOX_NPROC: 4096
  SANDBOX_OUTPUT_BYTES: 1048576
  SANDBOX_TMPFS_MB: 16
}

// Key Vault secret names, keyed by the app setting they back.
var secretNames = {
  DISCORD_PUBLIC_KEY: 'discord-public-key'
  DISCORD_BOT_TOKEN: 'discord-bot-token'
  EVENTS_SHARED_SECRET: 'events-secret'
  ADMIN_API_KEY: 'admin-api-key'
}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module functionIdentity 'modules/identity.bicep' = {
  name: 'function-identity'
  scope: rg
  params: {
    name: 'id-func-${token}'
    location: location
    tags: tags
  }
}

module runnerIdentity 'modules/identity.bicep' = {
  name: 'runner-identity'
  scope: rg
  params: {
    name: 'id-runner-${token}'
    location: location
    tags: tags
  }
}

module bridgeIdentity 'modules/identity.bicep' = {
  name: 'bridge-identity'
  scope: rg
  params: {
    name: 'id-bridge-${token}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${token}'
    applicationInsightsName: 'appi-${token}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${token}'
    location: location
    tags: tags
    containers: blobContainers
    queues: storageQueues
    tables: storageTables
    deploymentContainerName: deploymentContainerName
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: 'kv-${token}'
    location: location
    tags: tags
    secretValues: {
      '${secretNames.DISCORD_PUBLIC_KEY}': discordPublicKey
      '${secretNames.DISCORD_BOT_TOKEN}': discordBotToken
      '${secretNames.EVENTS_SHARED_SECRET}': eventsSecret
      '${secretNames.ADMIN_API_KEY}': adminApiKey
    }
  }
}

module registry 'modules/registry.bicep' = {
  name: 'registry'
  scope: rg
  params: {
    name: 'cr${token}'
    location: location
    tags: tags
  }
}

module containerAppsEnvironment 'modules/container-apps-environment.bicep' = {
  name: 'container-apps-environment'
  scope: rg
  params: {
    name: 'cae-${token}'
    location: location
    tags: tags
    logAnalyticsId: monitoring.outputs.logAnalyticsId
  }
}

module pluginRunner 'modules/plugin-runner-job.bicep' = {
  name: 'plugin-runner'
  scope: rg
  params: {
    name: 'caj-runner-${token}'
    location: location
    tags: union(tags, { 'azd-service-name': 'plugin-runner' })
    environmentId: containerAppsEnvironment.outputs.id
    registryServer: registry.outputs.loginServer
    identityId: runnerIdentity.outputs.id
    identityClientId: runnerIdentity.outputs.clientId
    wallTimeSeconds: sandboxWallTimeSeconds
    sandboxLimits: sandboxLimits
  }
}

module roles 'modules/role-assignments.bicep' = {
  name: 'role-assignments'
  scope: rg
  params: {
    functionPrincipalId: functionIdentity.outputs.principalId
    runnerPrincipalId: runnerIdentity.outputs.principalId
    bridgePrincipalId: bridgeIdentity.outputs.principalId
    operatorPrincipalId: principalId
    operatorPrincipalType: principalType
    storageAccountName: storage.outputs.name
    packagesContainerName: 'plugins'
    keyVaultName: keyVault.outputs.name
    functionSecretNames: [
      secretNames.DISCORD_PUBLIC_KEY
      secretNames.DISCORD_BOT_TOKEN
      secretNames.EVENTS_SHARED_SECRET
      secretNames.ADMIN_API_KEY
    ]
    bridgeSecretNames: [
      secretNames.DISCORD_BOT_TOKEN
      secretNames.EVENTS_SHARED_SECRET
    ]
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    registryName: registry.outputs.name
    pluginRunnerJobName: pluginRunner.outputs.name
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    name: 'func-${token}'
    planName: 'plan-${token}'
    location: location
    tags: union(tags, { 'azd-service-name': 'functions' })
    identityId: functionIdentity.outputs.id
    identityClientId: functionIdentity.outputs.clientId
    storageAccountName: storage.outputs.name
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultUri: keyVault.outputs.uri
    secretNames: secretNames
    discordApplicationId: discordApplicationId
    pluginRunnerJobId: pluginRunner.outputs.id
    instanceMemoryMB: functionInstanceMemoryMB
  }
  // The identity must hold its storage and Key Vault roles before the host first starts.
  dependsOn: [
    roles
  ]
}

module gatewayBridge 'modules/gateway-bridge.bicep' = {
  name: 'gateway-bridge'
  scope: rg
  params: {
    name: 'ca-bridge-${token}'
    location: location
    tags: union(tags, { 'azd-service-name': 'gateway-bridge' })
    environmentId: containerAppsEnvironment.outputs.id
    registryServer: registry.outputs.loginServer
    identityId: bridgeIdentity.outputs.id
    identityClientId: bridgeIdentity.outputs.clientId
    botTokenSecretUri: '${keyVault.outputs.uri}secrets/${secretNames.DISCORD_BOT_TOKEN}'
    eventsSecretUri: '${keyVault.outputs.uri}secrets/${secretNames.EVENTS_SHARED_SECRET}'
    eventsUrl: 'https://${functionApp.outputs.defaultHostName}/api/events'
  }
  // Container Apps resolves Key Vault references when the revision starts: roles first.
  dependsOn: [
    roles
  ]
}

// Outputs become azd environment values (azd env get-values); none of them is a secret.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = registry.outputs.loginServer
output AZURE_CONTAINER_REGISTRY_NAME string = registry.outputs.name
output AZURE_CONTAINER_APPS_ENVIRONMENT_ID string = containerAppsEnvironment.outputs.id
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_EVENTGRID_SYSTEM_TOPIC_NAME string = storage.outputs.eventGridSystemTopicName
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output PLUGIN_RUNNER_JOB_NAME string = pluginRunner.outputs.name
output GATEWAY_BRIDGE_APP_NAME string = gatewayBridge.outputs.name
output INTERACTIONS_ENDPOINT_URL string = 'https://${functionApp.outputs.defaultHostName}/api/interactions'
output EVENTS_ENDPOINT_URL string = 'https://${functionApp.outputs.defaultHostName}/api/events'
