// Key Vault for the platform's secrets, authorised by Azure RBAC (no access policies). Values come
// from secure parameters that azd keeps in the environment's local config (prompted or generated),
// so `azd provision` is also how a secret is rotated: `azd env set ...`, then provision again.

@description('Key Vault name (3-24 characters, globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region of the vault.')
param location string

@description('Tags applied to the vault.')
param tags object = {}

@description('Secret names (Key Vault names) mapped to their values.')
@secure()
param secretValues object

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    // Short retention and no purge protection so `azd down --purge` can reuse the name.
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

resource secrets 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [for secret in items(secretValues): {
  parent: vault
  name: secret.key
  properties: {
    value: secret.value
    contentType: 'text/plain'
  }
}]

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
