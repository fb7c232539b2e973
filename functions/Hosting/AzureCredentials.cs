using Azure.Core;
using Azure.Identity;

namespace Serverless.Functions.Hosting;

public static class AzureCredentials
{
    /// <summary>
    /// Identity-based connections as the Functions host reads them: <c>{name}__clientId</c> picks a
    /// user-assigned managed identity; without it the default credential chain applies.
    /// </summary>
    public static TokenCredential ForConnection(IConfiguration configuration, string connectionName)
    {
        var clientId = configuration[$"{connectionName}:clientId"];
        return string.IsNullOrEmpty(clientId) ? new DefaultAzureCredential() : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
    }
}
