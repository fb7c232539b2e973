using Microsoft.Azure.Functions.Worker.Builder;
using Serverless.Platform.Hosting;

namespace Serverless.Functions;

/// <summary>
/// The isolated worker the Functions host starts in Azure. Locally, where that host cannot run, the local host
/// (local/LocalHost) serves the same functions with the same <see cref="PlatformRegistration.AddPlatform"/>.
/// </summary>
internal static class Program
{
    private static void Main(string[] args)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        builder.ConfigureFunctionsWebApplication();
        builder.Services.AddPlatform(builder.Configuration);
        builder.Build().Run();
    }
}
