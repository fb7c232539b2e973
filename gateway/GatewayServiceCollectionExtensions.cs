namespace Serverless.Gateway;

public static class GatewayServiceCollectionExtensions
{
    /// <summary>The bridge and its worker, configured from the settings in docs/events.md.</summary>
    public static IServiceCollection AddGatewayBridge(this IServiceCollection services, IConfiguration configuration)
    {
        var options = GatewayOptions.FromConfiguration(configuration);
        services.AddSingleton(options);
        services.AddSingleton(_ => new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            // Every call sets its own deadline.
            Timeout = Timeout.InfiniteTimeSpan,
        });
        services.AddSingleton(sp => new GatewayBridge(options, sp.GetRequiredService<HttpClient>(), sp.GetRequiredService<ILoggerFactory>()));
        services.AddHostedService<GatewayWorker>();
        return services;
    }
}
