using Serverless.Functions.Admin;
using Serverless.Functions.Discord;
using Serverless.Functions.Events;
using Serverless.Functions.Health;
using Serverless.Functions.Interactions;
using Serverless.Functions.Invocations;
using Serverless.Functions.Packages;
using Serverless.Functions.Portal;
using Serverless.Functions.Publishers;
using Serverless.Functions.Sandbox;
using Serverless.Functions.Schedules;
using Serverless.Functions.WorkQueue;

namespace Serverless.Functions.Hosting;

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
