namespace Serverless.Gateway;

/// <summary>
/// Hosts the bridge. A fatal gateway error stops the process with exit code 1 and the reason in the
/// log, instead of reconnecting in a loop Discord would eventually punish.
/// </summary>
public sealed class GatewayWorker(GatewayBridge bridge, IHostApplicationLifetime lifetime, ILogger<GatewayWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await bridge.RunAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (GatewayException ex)
        {
            logger.LogCritical("Gateway bridge stopped: {Reason}", ex.Message);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A bug, not Discord: exit non-zero so the container platform restarts the bridge.
            logger.LogCritical(ex, "Gateway bridge crashed");
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }
}
