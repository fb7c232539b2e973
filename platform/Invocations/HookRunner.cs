using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Serverless.Platform.Packages;
using Serverless.Platform.Sandbox;

namespace Serverless.Platform.Invocations;

public enum HookStatus
{
    /// <summary>A constant hook: its value, no sandbox started.</summary>
    Constant,

    /// <summary>The executable exited with 0; its stdout is the result.</summary>
    Succeeded,

    Failed,
    TimedOut,
    NotFound,
}

/// <summary>
/// What a hook produced. <see cref="Value"/> is the constant, or the executable's stdout read as JSON when it
/// is JSON and as a string otherwise; <see cref="Output"/> is that stdout as it came.
/// </summary>
public sealed record HookOutcome(HookStatus Status, JsonNode? Value, string? Output, string? Error, TimeSpan Duration, bool StartedSandbox)
{
    public bool Succeeded => Status is HookStatus.Constant or HookStatus.Succeeded;
}

/// <summary>
/// A manifest's hooks (docs/packages.md, "Hooks"; docs/protocol.md §9). A constant hook answers with its value and starts nothing. An
/// executable hook runs once in a fresh sandbox (the same hardened worker as SDK plugins, through
/// <see cref="ISandboxDriver"/>): argv is the executable, then its <c>args</c>, then the hook id, then the
/// argument as JSON, base64-encoded unless the manifest sets <c>raw_transfer</c>; <c>${PLUGIN_DIR}</c> is the
/// plugin folder as the sandbox sees it. Its stdout is the result, its stderr the plugin's log; the wall time
/// and output limits apply as to any invocation.
/// </summary>
public sealed class HookRunner(ISandboxDriver driver, PluginLogs logs, ILogger logger)
{
    public async Task<HookOutcome> RunAsync(PluginPackage package, InstallContext? install, string hookId, JsonNode? argument, string? invocationId, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var manifest = package.Manifest;
        switch (manifest.Hooks.GetValueOrDefault(hookId))
        {
            case null:
                return new HookOutcome(HookStatus.NotFound, null, null, $"{manifest.Id} has no hook '{hookId}'", TimeSpan.Zero, false);
            case ConstantHook constant:
                return new HookOutcome(HookStatus.Constant, JsonNode.Parse(constant.Value.GetRawText()), null, null, Stopwatch.GetElapsedTime(started), false);
        }

        var hook = (ExecutableHook)manifest.Hooks[hookId];
        var spec = new SandboxWorkerSpec(manifest.Id, manifest.Version.Text, "hook-" + Guid.NewGuid().ToString("N"))
        {
            PluginDirectory = package.Directory,
            Command = CommandFor(hook, hookId, argument, manifest.RawTransfer),
            Environment = new Dictionary<string, string>
            {
                ["PLUGIN_ID"] = manifest.Id,
                ["PLUGIN_VERSION"] = manifest.Version.Text,
                ["PLUGIN_DIR"] = ContainerSpec.PluginMountPath,
            },
        };

        var stdout = new StringBuilder();
        SandboxExit exit;
        IReadOnlyList<string> stderr;
        await using (var worker = await driver.StartWorkerAsync(spec, cancellationToken))
        {
            using var invocation = worker.BeginInvocation();
            await foreach (var line in worker.ReadLinesAsync(cancellationToken))
            {
                stdout.Append(line).Append('\n');
            }
            exit = await worker.WaitAsync(cancellationToken);
            stderr = worker.DrainLog();
        }

        var duration = Stopwatch.GetElapsedTime(started);
        var output = stdout.ToString().TrimEnd('\n');
        var status = exit.Reason switch
        {
            SandboxExitReason.Exited => HookStatus.Succeeded,
            SandboxExitReason.WallTimeExceeded => HookStatus.TimedOut,
            _ => HookStatus.Failed,
        };
        var error = status == HookStatus.Succeeded ? null : $"hook '{hookId}' {exit.Message}";
        await LogAsync(manifest.Id, install, stderr, error, invocationId, cancellationToken);
        logger.LogInformation("{Plugin} hook {Hook}: {Status} in {Ms:0} ms", manifest.Id, hookId, status, duration.TotalMilliseconds);
        return new HookOutcome(status, status == HookStatus.Succeeded ? ReadValue(output) : null, output, error, duration, true);
    }

    /// <summary>The argv of an executable hook, exactly as docs/protocol.md §9 describes it.</summary>
    public static IReadOnlyList<string> CommandFor(ExecutableHook hook, string hookId, JsonNode? argument, bool rawTransfer)
    {
        var json = argument?.ToJsonString() ?? "null";
        var encoded = rawTransfer ? json : Convert.ToBase64String(Encoding.UTF8.GetBytes(json));
        return [Substitute(hook.Executable), .. hook.Args.Select(Substitute), hookId, encoded];
    }

    /// <summary>
    /// A hook's value as an interaction response: a string is the content; an object is the message
    /// (content, embeds, components, ephemeral); anything else is shown as JSON. Null for nothing to say.
    /// </summary>
    public static JsonObject? ToMessage(JsonNode? value) => value switch
    {
        null => null,
        JsonObject message => (JsonObject)message.DeepClone(),
        JsonValue text when text.TryGetValue<string>(out var content) => content.Length == 0 ? null : new JsonObject { ["content"] = content },
        _ => new JsonObject { ["content"] = value.ToJsonString() },
    };

    public static JsonObject? ToMessage(JsonElement constant) => ToMessage(JsonNode.Parse(constant.GetRawText()));

    private static string Substitute(string text) => text.Replace(ExecutableHook.PluginDirToken, ContainerSpec.PluginMountPath, StringComparison.Ordinal);

    /// <summary>Stdout that is a JSON document is that document; any other text is a string.</summary>
    private static JsonNode? ReadValue(string output)
    {
        if (output.Length == 0)
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(output) ?? output;
        }
        catch (JsonException)
        {
            return output;
        }
    }

    private async Task LogAsync(string pluginId, InstallContext? install, IReadOnlyList<string> stderr, string? error, string? invocationId, CancellationToken cancellationToken)
    {
        try
        {
            // Within the invocation's line cap, as PluginInvoker does for SDK plugins; the verdict after it.
            await using (var logCap = invocationId is null ? null : logs.BeginInvocation(pluginId, install?.GuildId, invocationId))
            {
                foreach (var line in stderr)
                {
                    await logs.AppendAsync(pluginId, install?.GuildId, "debug", line, invocationId, cancellationToken);
                }
            }
            if (error is not null)
            {
                await logs.AppendAsync(pluginId, install?.GuildId, "error", error, invocationId, cancellationToken);
            }
        }
        catch (Exception ex)
        {
            logger.LogWarning("Could not write the log of {Plugin}'s hook: {Message}", pluginId, ex.Message);
        }
    }
}
