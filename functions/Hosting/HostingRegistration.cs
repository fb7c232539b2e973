using Serverless.Functions.Dispatch;
using Serverless.Functions.Packages;
using Serverless.Functions.Schedules;
using Serverless.Functions.WorkQueue;

namespace Serverless.Functions.Hosting;

public static class HostingRegistration
{
    /// <summary>
    /// The non-HTTP functions: called in-process by the local drivers, and served at <c>POST /{name}</c>
    /// to the Functions host only (<see cref="TriggeredFunctionEndpoints.MapTriggeredFunctions"/>).
    /// </summary>
    public static IServiceCollection AddTriggeredFunctions(this IServiceCollection services)
    {
        services.AddSingleton<DispatchFunction>();
        services.AddSingleton<SchedulesFunction>();
        services.AddSingleton<PackagesFunction>();
        services.AddSingleton<ITriggeredFunction>(sp => sp.GetRequiredService<DispatchFunction>());
        services.AddSingleton<ITriggeredFunction>(sp => sp.GetRequiredService<SchedulesFunction>());
        services.AddSingleton<ITriggeredFunction>(sp => sp.GetRequiredService<PackagesFunction>());
        return services;
    }

    /// <summary>
    /// Without a Functions host nothing fires the triggers, so the app drives them itself against
    /// Azurite. <c>LOCAL_TRIGGERS=off</c> turns them off (tests that drive functions directly).
    /// </summary>
    public static IServiceCollection AddLocalTriggers(this IServiceCollection services, IConfiguration configuration)
    {
        if (configuration.RunsUnderFunctionsHost())
        {
            return services;
        }
        // Locally nothing else creates the containers, queues and tables (infra/ does in Azure).
        services.AddHostedService<StorageLayout>();
        if (string.Equals(configuration["LOCAL_TRIGGERS"], "off", StringComparison.OrdinalIgnoreCase))
        {
            return services;
        }
        services.AddHostedService<LocalQueuePump>();
        services.AddHostedService<LocalTimer>();
        services.AddHostedService<LocalUploadWatcher>();
        return services;
    }
}
