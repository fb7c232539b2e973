using Azure.Core;
using Azure.Identity;

namespace Serverless.Platform.Sandbox;

/// <summary>The credential and pipeline options the Container Apps driver calls ARM with; tests register their own.</summary>
public sealed record ContainerAppsArmAccess(TokenCredential Credential, ClientOptions? Options = null);

public static class SandboxServiceCollectionExtensions
{
    public const string DockerDriver = "docker";
    public const string ContainerAppsDriver = "containerapps";

    /// <summary>
    /// The sandbox driver chosen by SANDBOX_DRIVER (<c>docker</c>, the default, or <c>containerapps</c>)
    /// and the warm pool, configured from DOCKER_HOST and the SANDBOX_* settings. With Docker, leftover
    /// containers of a crashed earlier run are removed at start. The Container Apps driver's callback
    /// routes are <c>SandboxChannelFunctions</c> (functions/Sandbox).
    /// </summary>
    public static IServiceCollection AddSandbox(this IServiceCollection services, IConfiguration configuration)
    {
        var driver = configuration["SANDBOX_DRIVER"] is { Length: > 0 } name ? name.Trim().ToLowerInvariant() : DockerDriver;
        var dockerOptions = DockerSandboxOptions.FromConfiguration(configuration);
        var poolOptions = SandboxPoolOptions.FromConfiguration(configuration);
        services.AddSingleton(dockerOptions);
        services.AddSingleton(poolOptions);
        switch (driver)
        {
            case DockerDriver:
                services.AddSingleton(_ => DockerEngine.CreateClient(dockerOptions.DockerHost));
                services.AddSingleton<ISandboxDriver, DockerSandboxDriver>();
                break;
            case ContainerAppsDriver:
                var options = ContainerAppsSandboxOptions.FromConfiguration(configuration, dockerOptions);
                services.AddSingleton(options);
                // In Azure AZURE_CLIENT_ID picks the app's user-assigned identity (a managed identity credential).
                services.AddSingleton(_ => new ContainerAppsArmAccess(new DefaultAzureCredential()));
                services.AddSingleton(provider =>
                {
                    var access = provider.GetRequiredService<ContainerAppsArmAccess>();
                    return new ContainerAppsJobsClient(options.JobResourceId, access.Credential, options.ManagementEndpoint, access.Options);
                });
                services.AddSingleton(provider => new SandboxWorkerTokens(provider.GetService<TimeProvider>() ?? TimeProvider.System));
                services.AddSingleton<ContainerAppsSandboxDriver>();
                services.AddSingleton<ISandboxDriver>(provider => provider.GetRequiredService<ContainerAppsSandboxDriver>());
                break;
            default:
                throw new InvalidOperationException($"SANDBOX_DRIVER must be '{DockerDriver}' or '{ContainerAppsDriver}', got '{configuration["SANDBOX_DRIVER"]}'");
        }
        services.AddSingleton<SandboxPool>();
        services.AddHostedService<SandboxRecovery>();
        return services;
    }

    private sealed class SandboxRecovery(SandboxPool pool, ILogger<SandboxRecovery> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            try
            {
                await pool.RecoverAsync(cancellationToken);
            }
            catch (DockerEngineException e)
            {
                // The app still serves what needs no sandbox; invocations will report the engine error.
                logger.LogWarning("Sandbox engine not reachable at start: {Message}", e.Message);
            }
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
