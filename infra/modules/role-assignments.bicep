// Every role assignment in one place, each at the narrowest scope that works. Nothing here grants
// keys, Owner or Contributor to a workload identity.
//
//   function app  Storage Blob Data Owner, Queue/Table Data Contributor (account: the host needs
//                   Blob Owner for its lease and secret containers, Queue Data Contributor sends to
//                   and receives from the invocations queue); Key Vault Secrets User (each of its
//                   four secrets); Monitoring Metrics Publisher (Application Insights); start the
//                   plugin runner job and read its executions (a custom role, on that one job)
//   plugin runner AcrPull (registry); Storage Blob Data Reader (the published-packages container)
//   bridge        AcrPull (registry); Key Vault Secrets User (bot token and events secret only)
//   operator      (optional, the principal running azd) Key Vault Secrets Officer and Storage
//                   Blob Data Contributor, to rotate secrets and upload plugins by hand

@description('Principal id of the function app identity.')
param functionPrincipalId string

@description('Principal id of the plugin-runner job identity.')
param runnerPrincipalId string

@description('Principal id of the gateway-bridge identity.')
param bridgePrincipalId string

@description('Principal id of the operator running azd; empty grants the operator nothing.')
param operatorPrincipalId string = ''

@description('Kind of operator principal.')
@allowed(['User', 'Group', 'ServicePrincipal'])
param operatorPrincipalType string = 'User'

@description('Name of the storage account.')
param storageAccountName string

@description('Blob container holding published plugin packages (PluginCatalog.PackagesContainer).')
param packagesContainerName string

@description('Name of the Key Vault.')
param keyVaultName string

@description('Key Vault secrets the function app reads.')
param functionSecretNames array

@description('Key Vault secrets the bridge reads.')
param bridgeSecretNames array

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Name of the container registry.')
param registryName string

@description('Name of the plugin-runner job.')
param pluginRunnerJobName string

// Built-in role definition ids (the same in every tenant).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageBlobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'

    resource packages 'containers' existing = {
      name: packagesContainerName
    }
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource functionSecrets 'Microsoft.KeyVault/vaults/secrets@2023-07-01' existing = [for secret in functionSecretNames: {
  parent: vault
  name: secret
}]

resource bridgeSecrets 'Microsoft.KeyVault/vaults/secrets@2023-07-01' existing = [for secret in bridgeSecretNames: {
  parent: vault
  name: secret
}]

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource registry 'Microsoft.ContainerRegistry/registries@2025-04-01' existing = {
  name: registryName
}

resource runnerJob 'Microsoft.App/jobs@2024-03-01' existing = {
  name: pluginRunnerJobName
}

// --- function app -------------------------------------------------------------------------------

resource functionBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionPrincipalId, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
  }
}

resource functionQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionPrincipalId, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
  }
}

resource functionTable 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionPrincipalId, roles.storageTableDataContributor)
  scope: storage
  properties: {
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
  }
}

resource functionSecretReaders 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (secret, i) in functionSecretNames: {
  name: guid(functionSecrets[i].id, functionPrincipalId, roles.keyVaultSecretsUser)
  scope: functionSecrets[i]
  properties: {
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}]

resource functionTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, functionPrincipalId, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
  }
}

// No built-in role is this narrow: start executions of a job and read their status, nothing else
// (no changing the job's image, environment or identity). Runaway executions end at the job's
// replicaTimeout, so no stop permission is needed.
resource jobStarter 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'plugin-runner-job-starter')
  properties: {
    // Role names are unique per tenant: qualify with subscription and group.
    roleName: 'Plugin runner job starter (${subscription().subscriptionId}/${resourceGroup().name})'
    description: 'Start executions of the plugin-runner Container Apps job and read their status.'
    type: 'CustomRole'
    assignableScopes: [
      resourceGroup().id
    ]
    permissions: [
      {
        actions: [
          'Microsoft.App/jobs/read'
          'Microsoft.App/jobs/start/action'
          'Microsoft.App/jobs/executions/read'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

resource functionJobStart 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(runnerJob.id, functionPrincipalId, jobStarter.id)
  scope: runnerJob
  properties: {
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: jobStarter.id
  }
}

// --- plugin runner ------------------------------------------------------------------------------

resource runnerPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, runnerPrincipalId, roles.acrPull)
  scope: registry
  properties: {
    principalId: runnerPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.acrPull)
  }
}

resource runnerPackages 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage::blobService::packages.id, runnerPrincipalId, roles.storageBlobDataReader)
  scope: storage::blobService::packages
  properties: {
    principalId: runnerPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataReader)
  }
}

// --- gateway bridge -----------------------------------------------------------------------------

resource bridgePull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, bridgePrincipalId, roles.acrPull)
  scope: registry
  properties: {
    principalId: bridgePrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.acrPull)
  }
}

resource bridgeSecretReaders 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (secret, i) in bridgeSecretNames: {
  name: guid(bridgeSecrets[i].id, bridgePrincipalId, roles.keyVaultSecretsUser)
  scope: bridgeSecrets[i]
  properties: {
    principalId: bridgePrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}]

// --- operator (optional) ------------------------------------------------------------------------

resource operatorSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  name: guid(vault.id, operatorPrincipalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
  }
}

resource operatorUploads 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  name: guid(storage.id, operatorPrincipalId, roles.storageBlobDataContributor)
  scope: storage
  properties: {
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
  }
}
