namespace Serverless.Platform.Packages;

public static class PackagesServiceCollectionExtensions
{
    /// <summary>Registers the package validator with limits from the <c>Packages</c> configuration section.</summary>
    public static IServiceCollection AddPackages(this IServiceCollection services, IConfiguration configuration)
    {
        var limits = PackageLimits.FromConfiguration(configuration);
        services.AddSingleton(limits);
        services.AddSingleton(new PackageValidator(limits));
        services.AddSingleton<PluginCatalog>();
        services.AddSingleton<BootCheck>();
        services.AddSingleton<PendingUploads>();
        services.AddSingleton<UploadProcessor>();
        return services;
    }
}
