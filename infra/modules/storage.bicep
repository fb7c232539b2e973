// The app's storage account: blob, queue and table for AzureWebJobsStorage and the platform's
// own data, plus the Flex Consumption deployment container. Shared key access is off, so the
// only way in is Entra ID (managed identities, the operator's own login).

@description('Storage account name (3-24 lowercase letters and digits, globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region of the account.')
param location string

@description('Tags applied to the account.')
param tags object = {}

@description('Blob containers to create: StorageLayout.Containers plus the deployment container.')
param containers array

@description('Storage queues to create: StorageLayout.Queues.')
param queues array

@description('Tables to create: StorageLayout.Tables.')
param tables array

@description('Blob container the Flex Consumption plan deploys the app package from.')
param deploymentContainerName string

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    accessTier: 'Hot'
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource blobContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for container in union(containers, [deploymentContainerName]): {
  parent: blobService
  name: container
  properties: {
    publicAccess: 'None'
  }
}]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource storageQueues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [for queue in queues: {
  parent: queueService
  name: queue
}]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource storageTables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [for table in tables: {
  parent: tableService
  name: table
}]

// The packages function's blob trigger uses the Event Grid source (the only one Flex Consumption
// supports). The topic lives here; its subscription needs the host's blobs_extension system key,
// which exists only once the app runs, so infra/hooks/postdeploy-functions.sh creates it.
resource blobEvents 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: '${name}-events'
  location: location
  tags: tags
  properties: {
    source: account.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

output id string = account.id
output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output queueEndpoint string = account.properties.primaryEndpoints.queue
output tableEndpoint string = account.properties.primaryEndpoints.table
output eventGridSystemTopicName string = blobEvents.name
