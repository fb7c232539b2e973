using System.Diagnostics;
using System.Text.Json.Nodes;
using Serverless.Platform.Packages;
using Serverless.Platform.Sandbox;

namespace Serverless.Platform.Invocations;

/// <summary>
/// Runs one handler of one installed plugin: a warm (or cold) sandbox worker from the pool, an
/// <c>invoke</c> over JSON-RPC, the plugin's calls answered by <see cref="HostApi"/>, and every
/// outcome (a crash, a breached limit, a handler exception) written to the plugin's log.
/// </summary>
public sealed class PluginInvoker(SandboxPool pool, ISandboxDriver driver, PluginFiles files, HostApi hostApi, PluginLogs logs, ILogger<PluginInvoker> logger)
{
    private readonly HookRunner hooks = new(driver, logs, logger);

    public async Task<InvocationOutcome> InvokeAsync(PluginInvocation invocation, IPluginCallRouter? router, CancellationToken cancellationToken)
    {
        var install = invocation.Install;
        var started = Stopwatch.GetTimestamp();
        var package = await files.GetAsync(install.PluginId, install.Version, cancellationToken);
        if (invocation.Kind == PluginInvocation.SlashCommand && package.Manifest.Hooks.ContainsKey(invocation.Name))
        {
            return await InvokeHookAsync(invocation, package, router, started, cancellationToken);
        }
        var spec = SpecFor(package, install.PluginId, install.Version, package.Manifest.Pool ? null : install.InstallId);
        await using var logCap = logs.BeginInvocation(install.PluginId, install.GuildId, invocation.Id);

        SandboxLease lease;
        try
        {
            lease = await pool.AcquireAsync(spec, hostApi.CallsFor(invocation, router), cancellationToken);
        }
        catch (Exception ex) when (ex is SandboxWorkerExitedException or DockerEngineException or ContainerAppsException)
        {
            return await FinishAsync(invocation, logCap, started, warm: false, InvocationStatus.Crashed, $"the plugin's sandbox did not start: {ex.Message}", null, []);
        }

        await using (lease)
        {
            var parameters = new JsonObject
            {
                // The run's random id, which every plugin call must carry; invocation.Id (a work item's) stays the one logs show.
                ["invocation_id"] = lease.Invocation.Id,
                ["kind"] = invocation.Kind,
                ["name"] = invocation.Name,
                ["event"] = invocation.Event?.DeepClone(),
                ["context"] = new JsonObject
                {
                    ["guild_id"] = install.GuildId,
                    ["plugin_id"] = install.PluginId,
                    ["install_id"] = install.InstallId,
                    ["pool"] = package.Manifest.Pool,
                },
            };
            if (invocation.SourcePluginId is { } source)
            {
                parameters["context"]!["source_plugin_id"] = source;
            }
            if (invocation.ManifestCron is { } manifestCron)
            {
                parameters["context"]!["manifest_cron"] = manifestCron;
            }
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lease.Invocation.WallClockToken);
            try
            {
                JsonObject? result = null;
                string? failure = null;
                HandlerError? raised = null;
                try
                {
                    result = await lease.Rpc.SendRequestAsync("invoke", parameters, limit.Token) as JsonObject;
                }
                catch (JsonRpcException ex) when (ex.Code != JsonRpcException.ConnectionClosed)
                {
                    failure = ex.Message;
                    raised = HandlerError.From(ex);
                }
                // What the plugin sent before its answer (its last logs and calls) is served while the invocation
                // still runs: once it ends, calls naming it are refused.
                await lease.Rpc.DrainAsync(limit.Token);
                var status = failure is not null ? InvocationStatus.Failed
                    : result?["skipped"]?.GetValue<bool>() == true ? InvocationStatus.Skipped
                    : result?["handled"]?.GetValue<bool>() == true ? InvocationStatus.Handled
                    : InvocationStatus.NotHandled;
                return await FinishAsync(invocation, logCap, started, lease.IsWarm, status, failure, result, lease.Worker.DrainLog(), raised);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is JsonRpcException or OperationCanceledException or SandboxWorkerExitedException)
            {
                var exit = await WaitForExitAsync(lease.Worker);
                var status = exit?.Reason == SandboxExitReason.WallTimeExceeded ? InvocationStatus.TimedOut : InvocationStatus.Crashed;
                return await FinishAsync(invocation, logCap, started, lease.IsWarm, status, exit?.Message ?? ex.Message, null, lease.Worker.DrainLog());
            }
        }
    }

    /// <summary>
    /// A hook named like the slash command answers it (docs/packages.md): run the hook with the command's
    /// event as its argument and respond with what it returned, through the same router an SDK handler uses.
    /// </summary>
    private async Task<InvocationOutcome> InvokeHookAsync(PluginInvocation invocation, PluginPackage package, IPluginCallRouter? router, long started, CancellationToken cancellationToken)
    {
        var install = invocation.Install;
        HookOutcome outcome;
        try
        {
            outcome = await hooks.RunAsync(package, install, invocation.Name, invocation.Event, invocation.Id, cancellationToken);
        }
        catch (Exception ex) when (ex is SandboxWorkerExitedException or DockerEngineException or ContainerAppsException)
        {
            return await FinishAsync(invocation, null, started, warm: false, InvocationStatus.Crashed, $"the hook's sandbox did not start: {ex.Message}", null, []);
        }
        if (!outcome.Succeeded)
        {
            // HookRunner has logged why already.
            var status = outcome.Status == HookStatus.TimedOut ? InvocationStatus.TimedOut : InvocationStatus.Failed;
            return new InvocationOutcome(status, Stopwatch.GetElapsedTime(started), false, outcome.Error, null);
        }
        if (HookRunner.ToMessage(outcome.Value) is not { } message)
        {
            return await FinishAsync(invocation, null, started, false, InvocationStatus.NotHandled, null, null, [$"hook '{invocation.Name}' returned nothing to answer with"]);
        }
        if (!install.GrantedCapabilities.Contains(Capabilities.InteractionRespond))
        {
            return await FinishAsync(invocation, null, started, false, InvocationStatus.Failed, $"capability '{Capabilities.InteractionRespond}' not granted to this install", null, []);
        }
        message["invocation_id"] = invocation.Id;
        if (router is not null)
        {
            await router.TryHandleAsync(invocation, "interaction.respond", message, cancellationToken);
        }
        return await FinishAsync(invocation, null, started, false, InvocationStatus.Handled, null, new JsonObject { ["handled"] = true, ["hook"] = invocation.Name }, []);
    }

    /// <summary>The worker for one plugin version: the SDK runner, or the runner on the manifest's own entrypoint.</summary>
    internal static SandboxWorkerSpec SpecFor(PluginPackage package, string pluginId, PluginVersion version, string? installId)
    {
        var entrypoint = package.Manifest.Entrypoint ?? PluginManifest.DefaultEntrypoint;
        return new SandboxWorkerSpec(pluginId, version.Text, installId)
        {
            PluginDirectory = package.Directory,
            Command = entrypoint == PluginManifest.DefaultEntrypoint ? null : ["python3", "-m", "serverless_sdk.runner", "--plugin-dir", ContainerSpec.PluginMountPath, "--entrypoint", entrypoint],
        };
    }

    private static async Task<SandboxExit?> WaitForExitAsync(SandboxWorker worker)
    {
        try
        {
            return await worker.WaitAsync().WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    /// <summary>
    /// Writes the run's stderr lines (within the invocation's cap), then ends the cap, then the verdict: one
    /// entry, which for an exception the handler raised is its summary with the traceback as further lines.
    /// </summary>
    private async Task<InvocationOutcome> FinishAsync(PluginInvocation invocation, InvocationLogCap? logCap, long started, bool warm, InvocationStatus status, string? error, JsonObject? result, IReadOnlyList<string> stderr, HandlerError? raised = null)
    {
        var install = invocation.Install;
        var duration = Stopwatch.GetElapsedTime(started);
        try
        {
            foreach (var line in stderr)
            {
                await logs.AppendAsync(install.PluginId, install.GuildId, "debug", line, invocation.Id, CancellationToken.None);
            }
            if (logCap is not null)
            {
                await logCap.EndAsync();
            }
            if (error is not null)
            {
                var verdict = raised is null ? error : $"{raised.Summary}\n{raised.Traceback}";
                await logs.AppendAsync(install.PluginId, install.GuildId, "error", $"{invocation.Kind} '{invocation.Name}' {Describe(status)}: {verdict}", invocation.Id, CancellationToken.None);
            }
        }
        catch (Exception ex)
        {
            logger.LogWarning("Could not write the log of invocation {Id}: {Message}", invocation.Id, ex.Message);
        }
        logger.LogInformation("{Plugin} {Kind} {Name}: {Status} in {Ms:0} ms ({Warmth})", install.PluginId, invocation.Kind, invocation.Name, status, duration.TotalMilliseconds, warm ? "warm" : "cold");
        return new InvocationOutcome(status, duration, warm, error, result);
    }

    private static string Describe(InvocationStatus status) => status switch
    {
        InvocationStatus.TimedOut => "timed out",
        InvocationStatus.Crashed => "crashed",
        _ => "failed",
    };

    /// <summary>An exception the handler raised, as the runner reports it (docs/protocol.md, error <c>-32000</c>).</summary>
    private sealed record HandlerError(string Summary, string Traceback)
    {
        private const int Code = -32000;

        public static HandlerError? From(JsonRpcException error) =>
            error.Code == Code && error.ErrorData is JsonObject data
            && data["type"] is JsonValue type && type.TryGetValue<string>(out var name)
            && data["message"] is JsonValue message && message.TryGetValue<string>(out var text)
            && data["traceback"] is JsonValue traceback && traceback.TryGetValue<string>(out var lines)
                ? new HandlerError(text.Length == 0 ? name : $"{name}: {text}", lines.TrimEnd())
                : null;
    }
}
