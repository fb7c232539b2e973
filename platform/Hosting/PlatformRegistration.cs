using Serverless.Platform.Admin;
using Serverless.Platform.Discord;
using Serverless.Platform.Events;
using Serverless.Platform.Health;
using Serverless.Platform.Interactions;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;
using Serverless.Platform.Portal;
using Serverless.Platform.Publishers;
using Serverless.Platform.Sandbox;
using Serverless.Platform.Schedules;
using Serverless.Platform.WorkQueue;

namespace Serverless.Platform.Hosting;

public static class PlatformRegistration
{
    /// <summary>
    /// Every feature's services, for whichever host runs the functions: the Functions host in Azure
    /// (<c>functions/Program.cs</c>) or the local host (<c>local/LocalHost</c>). The functions themselves are
    /// created per call with these services.
    /// </summary>
    public static IServiceCollection AddPlatform(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddStorage(configuration);
        services.AddWorkQueue();
        services.AddSandbox(configuration);
        services.AddPackages(configuration);
        services.AddInvocations();
        services.AddDiscord(configuration);
        services.AddAdmin();
        services.AddPlatformHealth();
        services.AddInteractions(configuration);
        services.AddEvents(configuration);
        services.AddSchedules();
        services.AddPortal();
        services.AddPublishers();
        return services;
    }
}
