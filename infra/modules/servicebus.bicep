// Service Bus namespace and the work queue. Standard tier: Basic has no duplicate detection.
// Local auth (SAS keys) is off; senders and the trigger use managed identities.

@description('Service Bus namespace name (globally unique).')
param name string

@description('Azure region of the namespace.')
param location string

@description('Tags applied to the namespace.')
param tags object = {}

@description('Name of the work queue; must equal WorkQueueRegistration.QueueName and the dispatch binding.')
param queueName string

@description('Deliveries before a message is dead-lettered; 5 matches the local poison queue (LocalQueuePump).')
@minValue(1)
param maxDeliveryCount int = 5

@description('Peek-lock duration (ISO 8601). The host renews it while an invocation runs (host.json maxAutoLockRenewalDuration).')
param lockDuration string = 'PT1M'

@description('Window in which a re-sent MessageId (the WorkItem id) is dropped (ISO 8601).')
param duplicateDetectionWindow string = 'PT10M'

@description('Time a message may wait before it expires into the dead-letter queue (ISO 8601).')
param messageTimeToLive string = 'PT1H'

resource namespace 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2022-10-01-preview' = {
  parent: namespace
  name: queueName
  properties: {
    maxDeliveryCount: maxDeliveryCount
    lockDuration: lockDuration
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: duplicateDetectionWindow
    defaultMessageTimeToLive: messageTimeToLive
    deadLetteringOnMessageExpiration: true
    enableBatchedOperations: true
    requiresSession: false
    enablePartitioning: false
    maxSizeInMegabytes: 1024
  }
}

output namespaceName string = namespace.name
output queueName string = queue.name
output fullyQualifiedNamespace string = '${namespace.name}.servicebus.windows.net'
