// What `azd up` passes to main.bicep: values of the azd environment
// (`azd env set NAME VALUE`), which azd exports while it provisions.
using './main.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME')
param location = readEnvironmentVariable('AZURE_LOCATION')
param mailboxes = readEnvironmentVariable('MAILROOM_MAILBOXES')
param trackers = readEnvironmentVariable('MAILROOM_TRACKERS')
param trackerSecrets = readEnvironmentVariable('MAILROOM_TRACKER_SECRETS', '{}')
param clientStateSecret = readEnvironmentVariable('MAILROOM_CLIENT_STATE_SECRET')
param webhookKey = readEnvironmentVariable('MAILROOM_WEBHOOK_KEY')
param graphClientId = readEnvironmentVariable('GRAPH_CLIENT_ID', '')
param graphClientSecret = readEnvironmentVariable('GRAPH_CLIENT_SECRET', '')
param graphCertificate = readEnvironmentVariable('GRAPH_CERTIFICATE', '')
param maximumInstanceCount = int(readEnvironmentVariable('MAILROOM_MAXIMUM_INSTANCES', '100'))
param alwaysReadyHttpInstances = int(readEnvironmentVariable('MAILROOM_ALWAYS_READY_HTTP', '1'))
