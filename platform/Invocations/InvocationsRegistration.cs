using Serverless.Platform.Sandbox;

namespace Serverless.Platform.Invocations;

public static class InvocationsRegistration
{
    public static IServiceCollection AddInvocations(this IServiceCollection services)
    {
        services.AddSingleton<PluginFiles>();
        services.AddSingleton<PluginLogs>();
        services.AddSingleton(new KvQuotas());
        services.AddSingleton<KvStore>();
        services.AddSingleton<HostApi>();
        services.AddSingleton<PluginInvoker>();
        services.AddSingleton(provider => new HookRunner(provider.GetRequiredService<ISandboxDriver>(), provider.GetRequiredService<PluginLogs>(), provider.GetRequiredService<ILogger<HookRunner>>()));
        return services;
    }
}
