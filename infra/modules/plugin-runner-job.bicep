// The plugin runner as a Container Apps job: manually triggered (the function app starts one
// execution per sandbox worker through the Container Apps driver), image from the registry, no
// ingress (jobs have none), limits taken from SandboxLimits.Default.
//
// Consumption profiles fix memory at 2 GiB per vCPU, so 0.5 vCPU comes with 1 GiB. The sandbox's
// tighter limits (256 MiB, 64 pids, 256 open files, ...) travel as SANDBOX_* variables for the
// runner to apply inside the container, the same values the Docker driver uses locally.

@description('Name of the job.')
param name string

@description('Azure region of the job.')
param location string

@description('Tags applied to the job (azd finds it by azd-service-name).')
param tags object = {}

@description('Resource id of the Container Apps environment.')
param environmentId string

@description('Login server of the container registry (e.g. myacr.azurecr.io).')
param registryServer string

@description('Resource id of the user-assigned identity the job pulls its image and runs with.')
param identityId string

@description('Client id of that identity, for Azure.Identity inside the runner.')
param identityClientId string

@description('Image to start with; azd deploy replaces it with the runner image built from sandbox/Dockerfile.')
param image string = 'mcr.microsoft.com/k8se/quickstart-jobs:latest'

@description('vCPUs per execution: SandboxLimits.Default.Cpus.')
param cpu string = '0.5'

@description('Memory per execution: the smallest Consumption size allowed with that many vCPUs.')
param memory string = '1Gi'

@description('Wall-clock limit per invocation in seconds: SandboxLimits.Default.WallTime.')
param wallTimeSeconds int = 10

@description('Seconds an execution may take beyond the wall time to pull the image and start Python.')
param startupAllowanceSeconds int = 50

@description('Sandbox limits handed to the runner, SANDBOX_* name to value (SandboxLimits.Default).')
param sandboxLimits object

// A for-expression cannot be a function argument, so the limits become a variable first.
var limitVariables = [for limit in items(sandboxLimits): {
  name: limit.key
  value: string(limit.value)
}]

resource job 'Microsoft.App/jobs@2024-03-01' = {
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
      triggerType: 'Manual'
      manualTriggerConfig: {
        parallelism: 1
        replicaCompletionCount: 1
      }
      replicaTimeout: wallTimeSeconds + startupAllowanceSeconds
      // A failed invocation is retried by the queue (max delivery count), not by the job.
      replicaRetryLimit: 0
      registries: [
        {
          server: registryServer
          identity: identityId
        }
      ]
    }
    template: {
      containers: [
        {
          name: 'runner'
          image: image
          resources: {
            cpu: json(cpu)
            memory: memory
          }
          env: concat([
            {
              name: 'AZURE_CLIENT_ID'
              value: identityClientId
            }
            {
              name: 'SANDBOX_WALL_TIME_SECONDS'
              value: string(wallTimeSeconds)
            }
          ], limitVariables)
        }
      ]
    }
  }
}

output id string = job.id
output name string = job.name
