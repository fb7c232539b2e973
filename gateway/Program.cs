namespace Serverless.Gateway;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);
        GatewayOptions.AddLocalSettings(builder.Configuration);
        try
        {
            builder.Services.AddGatewayBridge(builder.Configuration);
        }
        catch (InvalidOperationException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            return 2;
        }
        await builder.Build().RunAsync();
        return Environment.ExitCode;
    }
}
