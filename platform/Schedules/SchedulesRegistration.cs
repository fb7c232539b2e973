using Microsoft.Extensions.DependencyInjection.Extensions;
using Serverless.Platform.Dispatch;
using Serverless.Platform.Sandbox;

namespace Serverless.Platform.Schedules;

public static class SchedulesRegistration
{
    /// <summary>Extra time a running marker outlives the sandbox's wall clock: waiting for a worker, writing logs.</summary>
    public static readonly TimeSpan RunningMarkerMargin = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The scheduler, its table and the <c>schedule</c> work handler. The timer runs <c>SchedulesFunction</c>
    /// (functions/Schedules), which the host that runs it creates per call.
    /// </summary>
    public static IServiceCollection AddSchedules(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => new ScheduleStore(sp.GetRequiredService<Azure.Data.Tables.TableServiceClient>()));
        services.TryAddSingleton(new SchedulerOptions());
        services.TryAddSingleton<Scheduler>();
        services.TryAddSingleton(sp => new ScheduleRunOptions(
            (sp.GetService<DockerSandboxOptions>()?.Limits.WallTime ?? SandboxLimits.Default.WallTime) + RunningMarkerMargin));
        services.TryAddSingleton<Interactions.InvocationHistory>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IWorkItemHandler, ScheduleWorkHandler>());
        return services;
    }
}
