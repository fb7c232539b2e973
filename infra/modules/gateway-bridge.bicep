// The gateway bridge: holds the websocket to Discord's gateway and forwards events to /api/events,
// signed with the shared events secret. Exactly one replica: a second connection would deliver
// every event twice. No ingress: it only connects out.

@description('Name of the container app.')
param name string

@description('Azure region of the app.')
param location string

@description('Tags applied to the app (azd finds it by azd-service-name).')
param tags object = {}

@description('Resource id of the Container Apps environment.')
param environmentId string

@description('Login server of the container registry.')
param registryServer string

@description('Resource id of the user-assigned identity the bridge pulls its image and reads its secrets with.')
param identityId string

@description('Client id of that identity.')
param identityClientId string

@description('Versionless Key Vault URI of the bot token secret.')
param botTokenSecretUri string

@description('Versionless Key Vault URI of the events secret.')
param eventsSecretUri string

@description('URL the bridge posts events to: https://<function app>/api/events.')
param eventsUrl string

@description('Image to start with; azd deploy replaces it with the bridge image.')
param image string = 'mcr.microsoft.com/k8se/quickstart:latest'

resource bridge 'Microsoft.App/containerApps@2024-03-01' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    environmentId: environmentId
    workloadProfileName: 'Consumption'
    configuration: {
      activeRevisionsMode: 'Single'
      registries: [
        {
          server: registryServer
          identity: identityId
        }
      ]
      // Key Vault references: the values never pass through the deployment.
      secrets: [
        {
          name: 'discord-bot-token'
          keyVaultUrl: botTokenSecretUri
          identity: identityId
        }
        {
          name: 'events-secret'
          keyVaultUrl: eventsSecretUri
          identity: identityId
        }
      ]
    }
    template: {
      containers: [
        {
          name: 'bridge'
          image: image
          resources: {
            cpu: json('0.25')
            memory: '0.5Gi'
          }
          env: [
            {
              name: 'DISCORD_BOT_TOKEN'
              secretRef: 'discord-bot-token'
            }
            {
              name: 'EVENTS_SHARED_SECRET'
              secretRef: 'events-secret'
            }
            {
              name: 'EVENTS_ENDPOINT_URL'
              value: eventsUrl
            }
            {
              name: 'AZURE_CLIENT_ID'
              value: identityClientId
            }
          ]
        }
      ]
      scale: {
        minReplicas: 1
        maxReplicas: 1
      }
    }
  }
}

output id string = bridge.id
output name string = bridge.name
