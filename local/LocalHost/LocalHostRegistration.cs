using System.Runtime.ExceptionServices;
using Microsoft.Azure.WebJobs;
using Microsoft.Azure.WebJobs.Host;
using Microsoft.Azure.WebJobs.Host.Timers;
using Microsoft.Azure.WebJobs.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Serverless.Platform.Health;
using Serverless.Platform.Hosting;

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
        // The triggers watch the account the platform's clients use, read by the same rule (Azurite when nothing is
        // set). Identity-based settings name an Azure account, which the SDK reads from those settings itself.
        if (StorageConnection.Resolve(configuration).ConnectionString is { } connection)
        {
            configuration[StorageLayout.Connection] = ScannedLikeAzureStorage(connection);
        }
        services.AddHostedService<StorageLogsContainer>();
        // As the Functions host does: a trigger whose listener cannot start (storage unreachable) is retried in the
        // background, and the HTTP functions, /api/health among them, answer meanwhile.
        services.AddWebJobs(options => options.AllowPartialHostStartup = true)
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
        services.AddSingleton<IWebJobsExceptionHandlerFactory, TriggerFailureStopsTheHost>();
        services.AddHostedService<JobHostService>();
        // The SDK forwards every storage request to the log, and each expected 404 or 409 as a warning.
        services.AddLogging(logging => logging.AddFilter("Azure.Core", LogLevel.Error));
        return services;
    }

    /// <summary>
    /// The connection string with its blob endpoint ending in <c>/</c>. The WebJobs SDK takes a path-style endpoint
    /// (<c>http://127.0.0.1:10000/devstoreaccount1</c>) for the storage emulator and scans it with a strategy that
    /// compares whole-second timestamps with <c>&gt;</c>: an upload made in the same second as the newest blob of the
    /// previous scan is never seen (docs/architecture.md, "Two hosts, one set of functions"). With the slash it runs
    /// the strategy it runs against Azure Storage: <c>&gt;=</c> with receipts, every 10 s, plus the storage-log poll.
    /// Identity-based settings (no connection string) are Azure accounts and stay as they are.
    /// </summary>
    public static string? ScannedLikeAzureStorage(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString) || !connectionString.Contains('='))
        {
            return connectionString;
        }
        if (connectionString.Trim().Equals("UseDevelopmentStorage=true", StringComparison.OrdinalIgnoreCase))
        {
            connectionString = StorageConnection.Azurite();
        }
        var parts = connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(part =>
            part.StartsWith("BlobEndpoint=", StringComparison.OrdinalIgnoreCase) && !part.EndsWith('/') ? part + "/" : part);
        return string.Join(';', parts) + ";";
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
    /// A trigger listener that fails for good (its storage unreachable past the SDK's retries) stops polling; the
    /// Functions host then restarts itself. The local host cannot restart its triggers in place, so it says why
    /// and stops (local/up then reports that the app stopped), where the SDK alone would crash the process.
    /// </summary>
    private sealed class TriggerFailureStopsTheHost(IHostApplicationLifetime lifetime, ILogger<LocalTriggers> logger) : IWebJobsExceptionHandlerFactory, IWebJobsExceptionHandler
    {
        public IWebJobsExceptionHandler Create(IHost host) => this;

        public Task OnUnhandledExceptionAsync(ExceptionDispatchInfo exceptionInfo)
        {
            logger.LogCritical(exceptionInfo.SourceException, "A trigger stopped working; stopping the local host (restart it once storage answers)");
            lifetime.StopApplication();
            return Task.CompletedTask;
        }

        public Task OnTimeoutExceptionAsync(ExceptionDispatchInfo exceptionInfo, TimeSpan timeoutGracePeriod)
        {
            logger.LogCritical(exceptionInfo.SourceException, "A function outlived host.json's functionTimeout; stopping the local host");
            lifetime.StopApplication();
            return Task.CompletedTask;
        }
    }

    /// <summary>
    /// The SDK's storage-log poll lists <c>$logs</c>, which Azure Storage has and Azurite creates only when asked; it
    /// stays empty here (Azurite writes no analytics logs), so the container scan is what finds uploads.
    /// </summary>
    private sealed class StorageLogsContainer(Azure.Storage.Blobs.BlobServiceClient blobs, ILogger<StorageLogsContainer> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            try
            {
                await blobs.GetBlobContainerClient("$logs").CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            }
            catch (Exception ex) when (ex is Azure.RequestFailedException or AggregateException)
            {
                logger.LogError("Could not create the $logs container the blob trigger polls: {Message}", ex.Message);
            }
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class LocalTriggerTypes : ITypeLocator
    {
        public IReadOnlyList<Type> GetTypes() => [typeof(LocalTriggers)];
    }
}
