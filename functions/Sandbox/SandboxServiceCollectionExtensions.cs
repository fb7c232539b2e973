namespace Serverless.Functions.Sandbox;

public static class SandboxServiceCollectionExtensions
{
    /// <summary>
    /// The Docker driver and the warm pool, configured from DOCKER_HOST and SANDBOX_*
    /// settings. Leftover containers of a crashed earlier run are removed at start.
    /// </summary>
    public static IServiceCollection AddSandbox(this IServiceCollection services, IConfiguration configuration)
    {
        var dockerOptions = DockerSandboxOptions.FromConfiguration(configuration);
        var poolOptions = SandboxPoolOptions.FromConfiguration(configuration);
        services.AddSingleton(dockerOptions);
        services.AddSingleton(poolOptions);
        services.AddSingleton(_ => new DockerEngineClient(dockerOptions.DockerHost));
        services.AddSingleton<ISandboxDriver, DockerSandboxDriver>();
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
