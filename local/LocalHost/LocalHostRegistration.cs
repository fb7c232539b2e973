using Microsoft.Azure.WebJobs;
using Microsoft.Azure.WebJobs.Host;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Serverless.Functions.Health;
using Serverless.Functions.Hosting;

namespace Serverless.LocalHost;

public static class LocalHostRegistration
{
    /// <summary><c>off</c> leaves the queue, blob and timer triggers stopped (tests that call the functions themselves).</summary>
    public const string TriggersSetting = "LOCAL_TRIGGERS";

    /// <summary>The Functions host's setting for its id, which names its locks, receipts and timer status in storage.</summary>
    public const string HostIdSetting = "AzureFunctionsWebHost:hostid";

    /// <summary>Without a Functions host, a local app serves <c>http://127.0.0.1:7071</c> as <c>func start</c> would, unless told otherwise.</summary>
    public static void ListenLikeFuncStart(this IWebHostBuilder webHost, IConfiguration configuration)
    {
        if (string.IsNullOrEmpty(configuration["ASPNETCORE_URLS"]) && string.IsNullOrEmpty(configuration["urls"]))
        {
            webHost.UseUrls("http://127.0.0.1:7071");
        }
    }

    /// <summary>
    /// What the Functions host would otherwise provide: health says <c>"host": "local"</c>; the containers, queues and
    /// tables are created at start (infra/ creates them in Azure); and, unless <see cref="TriggersSetting"/> is
    /// <c>off</c>, the WebJobs SDK runs <see cref="LocalTriggers"/> against <c>AzureWebJobsStorage</c>, after
    /// every other hosted service has started.
    /// </summary>
    public static IServiceCollection AddLocalHost(this IServiceCollection services, IConfiguration configuration)
    {
        services.Replace(ServiceDescriptor.Singleton(HealthHost.Local));
        services.AddHostedService<StorageLayout>();
        if (string.Equals(configuration[TriggersSetting], "off", StringComparison.OrdinalIgnoreCase))
        {
            return services;
        }
        if (string.IsNullOrEmpty(configuration[StorageLayout.Connection]))
        {
            // The platform's storage clients default to Azurite; the triggers must watch the same account.
            configuration[StorageLayout.Connection] = "UseDevelopmentStorage=true";
        }
        services.AddWebJobs(_ => { })
            .UseHostId(HostId(configuration))
            .AddAzureStorageCoreServices()
            .AddAzureStorageQueues(options => HostJson.Default.Queues.Bind(options))
            .AddAzureStorageBlobs()
            .AddTimers();
        // It only logs the SDK's options at start, and its StopAsync can throw ObjectDisposedException on shutdown.
        foreach (var optionsLogging in services.Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType?.FullName == "Microsoft.Azure.WebJobs.Hosting.OptionsLoggingService").ToList())
        {
            services.Remove(optionsLogging);
        }
        services.AddSingleton<ITypeLocator, LocalTriggerTypes>();
        services.AddHostedService<LocalTriggerHost>();
        // The SDK forwards every storage request to the log, and each expected 404 or 409 as a warning.
        services.AddLogging(logging => logging.AddFilter("Azure.Core", LogLevel.Error));
        return services;
    }

    /// <summary>
    /// <see cref="HostIdSetting"/>, else the stack's name: stable across restarts (receipts and the timer's status
    /// survive), apart between stacks that share a storage account. At most 32 lowercase letters, digits and dashes.
    /// </summary>
    public static string HostId(IConfiguration configuration)
    {
        var name = configuration[HostIdSetting] is { Length: > 0 } configured ? configured : configuration.StackName();
        var id = new string(name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());
        while (id.Contains("--", StringComparison.Ordinal))
        {
            id = id.Replace("--", "-", StringComparison.Ordinal);
        }
        id = id.Trim('-');
        return (id.Length > 32 ? id[..32] : id).TrimEnd('-');
    }

    /// <summary>
    /// Starts the SDK's job host in the background, again every few seconds until it runs, so that the HTTP
    /// functions (and <c>/api/health</c>, which says what is wrong) answer while storage is unreachable.
    /// </summary>
    private sealed class LocalTriggerHost(IJobHost host, ILogger<LocalTriggerHost> logger) : BackgroundService
    {
        private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);

        private bool _started;

        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await host.StartAsync(stoppingToken);
                    _started = true;
                    return;
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogError("The queue, blob and timer triggers could not start (retrying in {Delay}): {Message}", RetryDelay, ex.Message);
                    await host.StopAsync();
                }
                await Task.Delay(RetryDelay, stoppingToken);
            }
        }

        public override async Task StopAsync(CancellationToken cancellationToken)
        {
            await base.StopAsync(cancellationToken);
            if (_started)
            {
                await host.StopAsync();
            }
        }
    }

    private sealed class LocalTriggerTypes : ITypeLocator
    {
        public IReadOnlyList<Type> GetTypes() => [typeof(LocalTriggers)];
    }
}
