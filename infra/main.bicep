// Mailroom in one resource group: `azd up` deploys this file.
//
// The subscription-scoped entry point creates the resource group and hands
// every parameter to resources.bicep. Secrets arrive as secure parameters
// (azd keeps them in its environment) and go straight into Key Vault; the
// app reads them through Key Vault references, never from the template.

targetScope = 'subscription'

@minLength(1)
@maxLength(40)
@description('Name of the azd environment; names and tags every resource.')
param environmentName string

@minLength(1)
@description('Azure region of every resource. Flex Consumption must be offered there.')
param location string

// Mailboxes and trackers arrive as JSON text, the form an environment
// variable (main.bicepparam) or a command-line parameter gives.
@minLength(2)
@description('Mailboxes to watch, as JSON: [{"address": "helpdesk@example.org", "folders": ["Inbox", "SentItems"]}].')
param mailboxes string

@minLength(2)
@description('Tracker sections without their secrets, by tool name, as JSON, as in the configuration file.')
param trackers string

@secure()
@description('Tracker secrets as JSON {"<tool>__<key>": "<value>"}, such as {"jira__api_token": "..."}; {} for none.')
param trackerSecrets string

@secure()
@minLength(32)
@maxLength(128)
@description('Secret that clientState values are derived from (32 to 128 characters).')
param clientStateSecret string

@secure()
@minLength(32)
@description('Function key Graph puts in the webhook URLs (32 or more characters).')
param webhookKey string

@description('Client id of the app registration that reads the mail; empty to use the app\'s managed identity.')
param graphClientId string = ''

@secure()
@description('Client secret of that app registration; empty with a certificate or the managed identity.')
param graphClientSecret string = ''

@secure()
@description('Certificate with its private key for that app registration, as PEM text or the base64 PKCS#12 that Key Vault keeps; empty otherwise.')
param graphCertificate string = ''

@minValue(40)
@maxValue(1000)
@description('Most instances the app scales out to; each one adds Graph and tool concurrency.')
param maximumInstanceCount int = 100

@minValue(0)
@maxValue(4)
@description('Instances kept warm for the HTTP functions, so the webhook answers Graph within 3 s.')
param alwaysReadyHttpInstances int = 1

var tags = { 'azd-env-name': environmentName, application: 'mailroom' }

resource group 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module resources 'resources.bicep' = {
  name: 'mailroom-resources'
  scope: group
  params: {
    environmentName: environmentName
    location: location
    tags: tags
    mailboxes: json(mailboxes)
    trackers: json(trackers)
    trackerSecrets: json(trackerSecrets)
    clientStateSecret: clientStateSecret
    webhookKey: webhookKey
    graphClientId: graphClientId
    graphClientSecret: graphClientSecret
    graphCertificate: graphCertificate
    maximumInstanceCount: maximumInstanceCount
    alwaysReadyHttpInstances: alwaysReadyHttpInstances
  }
}

output AZURE_RESOURCE_GROUP string = group.name
output FUNCTION_APP_NAME string = resources.outputs.functionAppName
output AZURE_STORAGE_ACCOUNT_NAME string = resources.outputs.storageAccountName
output AZURE_KEY_VAULT_NAME string = resources.outputs.keyVaultName
output MANAGED_IDENTITY_CLIENT_ID string = resources.outputs.identityClientId
output MANAGED_IDENTITY_PRINCIPAL_ID string = resources.outputs.identityPrincipalId
output NOTIFICATION_URL string = resources.outputs.notificationUrl
output LIFECYCLE_URL string = resources.outputs.lifecycleUrl
// A tool's webhook posts to <TOOL_EVENTS_URL>/<tool name>?code=<function key>.
output TOOL_EVENTS_URL string = resources.outputs.toolEventsUrl
