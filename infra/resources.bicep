// Everything Mailroom runs on, inside one resource group.
//
// One user-assigned identity does all the app's signing in: to the storage
// account (host storage, queues, state, blobs), to Key Vault (for the
// references in the app settings), to Application Insights, and, when no
// app registration is given, to Microsoft Graph. No resource accepts a
// shared key or a local password.

param environmentName string
param location string
param tags object
param mailboxes array
param trackers object
@secure()
param trackerSecrets object
@secure()
param clientStateSecret string
@secure()
param webhookKey string
param graphClientId string
@secure()
param graphClientSecret string
@secure()
param graphCertificate string
param maximumInstanceCount int
param alwaysReadyHttpInstances int

var token = uniqueString(subscription().id, resourceGroup().id, environmentName)
var stageQueues = [
  'mail-changes'
  'lifecycle-events'
  'deliveries'
  'acknowledgements'
  'tool-events'
]
var roles = {
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-mailroom-${token}'
  location: location
  tags: tags
}

// ---------------------------------------------------------------- storage

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  #checkov:skip=CKV_AZURE_35:Flex Consumption without VNet integration reaches storage over its public endpoint; access needs Entra ID (shared keys are off). Add a VNet and private endpoints to close it.
  #checkov:skip=CKV_AZURE_59:The public endpoint stays on as for CKV_AZURE_35, but only Entra ID principals with a data role get in.
  #checkov:skip=CKV_AZURE_206:Locally redundant storage is enough: queues and state are working data, the mail itself stays in Exchange and the tickets in the tool.
  #checkov:skip=CKV_AZURE_33:Queue request logging goes to Azure Monitor diagnostic settings, not the classic per-service logging this check reads.
  #checkov:skip=CKV2_AZURE_1:Microsoft-managed keys: customer-managed keys need a key and a rotation process this template does not impose.
  #checkov:skip=CKV2_AZURE_33:No private endpoint without a VNet; see CKV_AZURE_35.
  #checkov:skip=CKV_AZURE_43:The name is 'st' and a uniqueString (15 lower-case letters and digits), which checkov cannot evaluate.
  name: 'st${token}'
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    // Identity only: no account keys, no SAS signed with them.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    // A mail body or attachment deleted by mistake can be restored for a week.
    deleteRetentionPolicy: { enabled: true, days: 7 }
    containerDeleteRetentionPolicy: { enabled: true, days: 7 }
  }
}

// Mailroom's mail bodies and attachments (adapters/blobs/azure.py).
resource mailContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: 'mailroom'
  properties: { publicAccess: 'None' }
}

// The app package that `azd deploy` uploads (Flex Consumption runs from it).
resource packageContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: 'app-package'
  properties: { publicAccess: 'None' }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

// Each stage's queue and its poison queue, named as in function_app.py.
var poisonQueues = [for name in stageQueues: '${name}-poison']

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for name in concat(stageQueues, poisonQueues): {
    parent: queueService
    name: name
  }
]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

// The ledger: every Mailroom table is a partition of this one (adapters/state/table.py).
resource stateTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  parent: tableService
  name: 'mailroom'
}

// The Functions host keeps its locks and keys in blobs, hence Owner rather
// than Contributor; queues and tables need only data access.
resource storageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in [roles.blobDataOwner, roles.queueDataContributor, roles.tableDataContributor]: {
    name: guid(storage.id, identity.id, role)
    scope: storage
    properties: {
      principalId: identity.properties.principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    }
  }
]

// -------------------------------------------------------------- key vault

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  #checkov:skip=CKV_AZURE_109:App Service Key Vault references do not pass the vault firewall without a VNet; every read needs an Entra ID role on the vault instead.
  #checkov:skip=CKV_AZURE_189:Public network access stays on for the same reason as CKV_AZURE_109.
  #checkov:skip=CKV2_AZURE_32:No private endpoint without a VNet; see CKV_AZURE_109.
  name: 'kv-${token}'
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    // Azure roles decide who reads a secret; there are no access policies.
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
  }
}

var baseSecrets = {
  'client-state-secret': clientStateSecret
  'webhook-key': webhookKey
}
var graphSecrets = union(
  empty(graphClientSecret) ? {} : { 'graph-client-secret': graphClientSecret },
  empty(graphCertificate) ? {} : { 'graph-certificate': graphCertificate }
)

// Secrets are replaced by rotating them at the source (see docs/operations.md),
// not by expiry dates that would stop the app unannounced.
resource secrets 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [
  for item in items(union(baseSecrets, graphSecrets)): {
    #checkov:skip=CKV_AZURE_41:An expiry date would stop the app without warning; rotation is a documented operation instead.
    parent: vault
    name: item.key
    properties: { value: item.value, contentType: 'text/plain' }
  }
]

resource trackerSecretValues 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [
  for item in items(trackerSecrets): {
    #checkov:skip=CKV_AZURE_41:Tool tokens expire when the tool says so; rotation is a documented operation.
    parent: vault
    name: 'tracker-${replace(replace(item.key, '__', '--'), '_', '-')}'
    properties: { value: item.value, contentType: 'text/plain' }
  }
]

resource vaultRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}

// -------------------------------------------------------------- telemetry

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-${token}'
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
    features: { disableLocalAuth: true }
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${token}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    // Telemetry is accepted only with an Entra ID token, never the key alone.
    DisableLocalAuth: true
  }
}

resource insightsRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, identity.id, roles.monitoringMetricsPublisher)
  scope: insights
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
  }
}

// ----------------------------------------------------------- function app

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  #checkov:skip=CKV_AZURE_211:Flex Consumption has a single SKU (FC1); capacity comes from scale-out, not the plan size.
  #checkov:skip=CKV_AZURE_212:Flex Consumption places instances itself; there is no instance count to raise for zone failure.
  #checkov:skip=CKV_AZURE_225:Zone redundancy is a later option of Flex Consumption and not offered in every region.
  name: 'plan-${token}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  #checkov:skip=CKV_AZURE_56:Graph cannot sign in to a webhook; notifications carry a function key and a clientState secret checked in constant time.
  #checkov:skip=CKV_AZURE_17:Graph and the tools present no client certificates.
  #checkov:skip=CKV_AZURE_88:Flex Consumption runs from the deployment package; it has no Azure Files share to mount.
  #checkov:skip=CKV_AZURE_222:The webhook must be reachable by Microsoft Graph over the internet.
  #checkov:skip=CKV_AZURE_212:Flex Consumption adds instances itself; alwaysReadyHttpInstances keeps the webhook warm.
  #checkov:skip=CKV_AZURE_213:Flex Consumption offers no App Service health check; the platform replaces failed instances.
  name: 'func-mailroom-${token}'
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    // Key Vault references in the app settings sign in as this identity.
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${packageContainer.name}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: 2048
        // The webhook must answer Graph within 3 s; a cold start can take longer.
        alwaysReady: alwaysReadyHttpInstances > 0 ? [{ name: 'http', instanceCount: alwaysReadyHttpInstances }] : []
      }
      runtime: { name: 'python', version: '3.11' }
    }
  }
}

var vaultRef = '@Microsoft.KeyVault(VaultName=${vault.name};SecretName='
// One setting per tracker secret, built as JSON text: Bicep has no loop
// that yields object keys without lambdas, which checkov cannot read.
var trackerPairs = [
  for item in items(trackerSecrets): '"MAILROOM__trackers__${item.key}": "${vaultRef}tracker-${replace(replace(item.key, '__', '--'), '_', '-')})"'
]
var trackerSettings = json('{${join(trackerPairs, ',')}}')
// Without an app registration, Graph is reached as the managed identity.
var graphSettings = union(
  empty(graphClientId) ? { MAILROOM__mail__graph__managed_identity_client_id: identity.properties.clientId } : {},
  empty(graphClientSecret) ? {} : { MAILROOM__mail__graph__client_secret: '${vaultRef}graph-client-secret)' },
  empty(graphCertificate) ? {} : { MAILROOM__mail__graph__certificate: '${vaultRef}graph-certificate)' }
)

var appSettings = {
  // Host storage, queue triggers and bindings: identity, not a connection string.
  AzureWebJobsStorage__accountName: storage.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.properties.clientId
  // DefaultAzureCredential in the app (storage adapters, Graph) picks this identity.
  AZURE_CLIENT_ID: identity.properties.clientId
  AZURE_TENANT_ID: tenant().tenantId
  APPLICATIONINSIGHTS_CONNECTION_STRING: insights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
  // Routes, field maps and templates: the configuration file in the package.
  MAILROOM_CONFIG: 'mailroom.yaml'
  // Keys below override the file: MAILROOM__<section>__<key>, values as JSON.
  MAILROOM__storage__kind: 'azure'
  MAILROOM__storage__account_name: storage.name
  MAILROOM__mail__kind: 'graph'
  MAILROOM__mail__graph__tenant_id: tenant().tenantId
  MAILROOM__mail__graph__client_id: empty(graphClientId) ? identity.properties.clientId : graphClientId
  MAILROOM__mail__client_state_secret: '${vaultRef}client-state-secret)'
  MAILROOM__mail__function_key: '${vaultRef}webhook-key)'
  MAILROOM__mailboxes: string(mailboxes)
  MAILROOM__trackers: string(trackers)
  MAILROOM__runtime__public_url: 'https://${app.properties.defaultHostName}'
}

// Checkov reads every sites/config resource as a site configuration; this
// one holds app settings only, so the site-configuration checks miss.
resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  #checkov:skip=CKV_AZURE_13:App settings, not a site configuration; see CKV_AZURE_56 on the app for authentication.
  #checkov:skip=CKV_AZURE_63:App settings, not a site configuration; the functions log to Application Insights.
  #checkov:skip=CKV_AZURE_65:App settings, not a site configuration; the functions log to Application Insights.
  #checkov:skip=CKV_AZURE_66:App settings, not a site configuration; the functions log to Application Insights.
  #checkov:skip=CKV_AZURE_80:App settings, not a site configuration; the app is Python, not .NET.
  #checkov:skip=CKV_AZURE_88:App settings, not a site configuration; see CKV_AZURE_88 on the app.
  #checkov:skip=CKV_AZURE_222:App settings, not a site configuration; see CKV_AZURE_222 on the app.
  parent: app
  name: 'appsettings'
  properties: union(appSettings, trackerSettings, graphSettings)
  dependsOn: [storageRoles, vaultRole, insightsRole, secrets, trackerSecretValues]
}

// The key Graph sends in the webhook URLs; the same value is in Key Vault
// for the app, which builds the URLs when it creates subscriptions.
resource functionKey 'Microsoft.Web/sites/host/functionKeys@2024-04-01' = {
  name: '${app.name}/default/mailroom'
  properties: { name: 'mailroom', value: webhookKey }
  dependsOn: [settings]
}

output functionAppName string = app.name
output storageAccountName string = storage.name
output keyVaultName string = vault.name
output identityClientId string = identity.properties.clientId
output identityPrincipalId string = identity.properties.principalId
output notificationUrl string = 'https://${app.properties.defaultHostName}/api/notifications'
output lifecycleUrl string = 'https://${app.properties.defaultHostName}/api/lifecycle'
output toolEventsUrl string = 'https://${app.properties.defaultHostName}/api/tool-events'
