// The function app: the .NET isolated worker (`dotnet publish functions`: host.json, functions.metadata,
// worker.config.json, the Serverless.Functions and Serverless.Platform assemblies) on the Flex Consumption plan (runtime
// 'dotnet-isolated', .NET 10), which scales to zero. Every connection is identity-based through one user-assigned identity;
// secrets are Key Vault references resolved by the platform with that identity.

@description('Function app name (globally unique; also the host name <name>.azurewebsites.net).')
param name string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Azure region of the plan and the app.')
param location string

@description('Tags applied to the plan and the app (azd finds the app by azd-service-name).')
param tags object = {}

@description('Resource id of the function app\'s user-assigned identity.')
param identityId string

@description('Client id of that identity, for the identity-based connection settings.')
param identityClientId string

@description('Name of the storage account behind AzureWebJobsStorage.')
param storageAccountName string

@description('Blob endpoint of that account (https://<account>.blob.core.windows.net/).')
param blobEndpoint string

@description('Queue endpoint of that account.')
param queueEndpoint string

@description('Table endpoint of that account.')
param tableEndpoint string

@description('Blob container the Flex Consumption plan deploys the package from.')
param deploymentContainerName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Key Vault URI (https://<vault>.vault.azure.net/).')
param keyVaultUri string

@description('Key Vault secret names, keyed by the app setting they back.')
param secretNames object

@description('Discord application id (not a secret: it is in every interaction payload).')
param discordApplicationId string

@description('Discord REST base URL.')
param discordApiBaseUrl string = 'https://discord.com/api/v10'

@description('Resource id of the plugin-runner Container Apps job the sandbox driver starts.')
param pluginRunnerJobId string

@description('Flex Consumption runtime version of the dotnet-isolated stack (the .NET version).')
param runtimeVersion string = '10.0'

@description('Memory per instance in MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Upper bound on scale-out.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// A versionless reference follows the latest version of the secret (re-read within 24 h, or at once
// on a restart), so rotating a secret needs no redeploy.
var keyVaultReferences = mapValues(secretNames, secret => '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${secret}/)')

// The app settings. tests/Serverless.Tests/Infra reads them from the compiled template: every setting
// the code reads must be here (or be allow-listed there as local-only), and every setting here must be
// read by the code, the Functions host or Azure.Identity.
var appSettings = {
  // AzureWebJobsStorage, identity-based, as the host and platform/Hosting/StorageRegistration.cs read it;
  // also the connection of the dispatch queue trigger (the invocations queue).
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__blobServiceUri: blobEndpoint
  AzureWebJobsStorage__queueServiceUri: queueEndpoint
  AzureWebJobsStorage__tableServiceUri: tableEndpoint
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  // Telemetry with an Entra token; the component has local auth disabled.
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // DefaultAzureCredential anywhere in the app picks the user-assigned identity.
  AZURE_CLIENT_ID: identityClientId
  DISCORD_APPLICATION_ID: discordApplicationId
  DISCORD_API_BASE_URL: discordApiBaseUrl
  DISCORD_PUBLIC_KEY: keyVaultReferences.DISCORD_PUBLIC_KEY
  DISCORD_BOT_TOKEN: keyVaultReferences.DISCORD_BOT_TOKEN
  EVENTS_SHARED_SECRET: keyVaultReferences.EVENTS_SHARED_SECRET
  ADMIN_API_KEY: keyVaultReferences.ADMIN_API_KEY
  // The plugin's share of Discord's 3 s before the platform defers (DeadlineOptions).
  INTERACTION_BUDGET_MS: '2000'
  // The Container Apps sandbox driver: no Docker engine in Azure.
  SANDBOX_DRIVER: 'containerapps'
  SANDBOX_JOB_RESOURCE_ID: pluginRunnerJobId
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      // Flex Consumption takes the worker runtime from here, not from FUNCTIONS_WORKER_RUNTIME.
      runtime: {
        name: 'dotnet-isolated'
        version: runtimeVersion
      }
    }
  }
}

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: appSettings
}

// Deployments authenticate with Entra ID; publishing user names and passwords stay off.
resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

output id string = site.id
output name string = site.name
output defaultHostName string = site.properties.defaultHostName
