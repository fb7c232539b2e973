using System.Text.Json.Nodes;
using Serverless.Platform.Invocations;
using Serverless.Platform.Sandbox;
using Serverless.Platform.Schedules;

namespace Serverless.Platform.Packages;

/// <summary>What booting the plugin once found: registration errors and mismatches, and what it registered.</summary>
public sealed record BootCheckResult(IReadOnlyList<PackageIssue> Errors, IReadOnlyList<PackageIssue> Warnings, JsonObject? Registrations);

/// <summary>
/// The boot check could not run at all: the sandbox is unavailable (engine down, image missing, the driver
/// timed out). Nothing is known about the plugin yet, so this is no verdict on it.
/// </summary>
public sealed class SandboxUnavailableException(string message, Exception innerException) : Exception(message, innerException);

/// <summary>
/// For plugins with code: start the plugin once in the sandbox and ask what it registered (<c>describe</c>),
/// so an invalid cron spec, an import error or a handler for an undeclared command shows in the report
/// instead of at the first invocation. The platform runs it on upload, <c>local/plugin validate</c> locally.
/// </summary>
public sealed class BootCheck(PackageValidator validator, ISandboxDriver driver, ILogger<BootCheck> logger)
{
    public async Task<BootCheckResult> RunAsync(Stream zip, PluginManifest manifest, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(Path.GetTempPath(), "boot-check-" + Guid.NewGuid().ToString("N"));
        try
        {
            zip.Position = 0;
            var extracted = await validator.ExtractAsync(zip, directory, manifest.Id, cancellationToken);
            if (!extracted.IsValid)
            {
                return new BootCheckResult(extracted.Errors, [], null);
            }
            PluginFiles.MakeReadableBySandbox(directory);
            var description = await DescribeAsync(new PluginPackage(manifest, directory), cancellationToken);
            return Judge(manifest, description);
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    /// <summary>A one-off worker outside the pool (publishing must never reuse or warm an install's worker), asked what the code registered.</summary>
    private async Task<JsonObject> DescribeAsync(PluginPackage package, CancellationToken cancellationToken)
    {
        var manifest = package.Manifest;
        var spec = PluginInvoker.SpecFor(package, manifest.Id, manifest.Version, installId: "describe-" + Guid.NewGuid().ToString("N"));
        SandboxWorker started;
        try
        {
            started = await driver.StartWorkerAsync(spec, cancellationToken);
        }
        catch (Exception ex) when (ex is DockerEngineException or ContainerAppsException or TimeoutException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new SandboxUnavailableException($"the sandbox ({driver.Name}) could not start the plugin: {ex.Message}", ex);
        }
        await using var worker = started;
        await using var rpc = JsonRpcPeer.Over(worker, logger);
        using var invocation = worker.BeginInvocation();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, invocation.WallClockToken);
        return await rpc.SendRequestAsync("describe", new JsonObject(), limit.Token) as JsonObject
            ?? throw new InvalidDataException("describe returned no object");
    }

    internal static BootCheckResult Judge(PluginManifest manifest, JsonObject description)
    {
        var errors = new List<PackageIssue>();
        var warnings = new List<PackageIssue>();
        var entrypoint = manifest.Entrypoint ?? PluginManifest.DefaultEntrypoint;
        foreach (var error in description["errors"]?.AsArray() ?? [])
        {
            var line = error?["line"]?.GetValue<int?>();
            errors.Add(new PackageIssue(
                "boot_" + (error?["code"]?.GetValue<string>() ?? "error"),
                error?["message"]?.GetValue<string>() ?? "the plugin failed to start",
                error?["path"]?.GetValue<string>() ?? (line is null ? entrypoint : $"{entrypoint}:{line}")));
        }
        foreach (var cron in description["crons"]?.AsArray() ?? [])
        {
            var spec = cron?["spec"]?.GetValue<string>() ?? "";
            if (!CronSpec.TryParse(spec, out _, out var problems))
            {
                errors.AddRange(problems.Select(problem => new PackageIssue(IssueCodes.InvalidCron, $"cron spec '{spec}' of task '{cron?["id"]}' is invalid: {problem}", entrypoint)));
            }
        }

        var declared = manifest.SlashCommands.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var handled = (description["slash_commands"]?.AsArray() ?? []).Select(c => c!.GetValue<string>().Split(' ')[0]).ToHashSet(StringComparer.Ordinal);
        // A hook named like the command answers it (docs/packages.md), so it needs no SDK handler.
        foreach (var command in declared.Except(handled).Where(command => !manifest.Hooks.ContainsKey(command)))
        {
            warnings.Add(new PackageIssue("command_without_handler", $"/{command} is declared but no @plugin.on_slash_command handles it, and it has no declared response", "$.slash_commands"));
        }
        foreach (var command in handled.Except(declared))
        {
            warnings.Add(new PackageIssue("handler_without_command", $"a handler is registered for /{command}, which the manifest does not declare, so Discord will never send it", entrypoint));
        }

        // The manifest's own events were judged by the validator.
        var events = Names(description["events"]);
        if (ContentGate.Warning(manifest, events.Except(manifest.Events), entrypoint) is { } content)
        {
            warnings.Add(content);
        }
        var registersNothing = handled.Count == 0 && events.Count == 0 && Names(description["schedules"]).Count == 0
            && Names(description["crons"]).Count == 0 && Names(description["lifecycle"]).Count == 0;
        if (registersNothing && manifest.SlashCommands.Count == 0 && manifest.Crons.Count == 0 && manifest.Events.Count == 0 && manifest.Hooks.Count == 0)
        {
            warnings.Add(new PackageIssue(IssueCodes.NothingRuns,
                "nothing in this plugin can ever run: its code registers no slash command, schedule, cron, event or lifecycle handler and the manifest declares none. "
                + "Add @plugin.on_slash_command(\"name\") with the command in \"slash_commands\", @plugin.schedule(seconds), @plugin.cron(\"spec\") or @plugin.on_event(\"event\")",
                entrypoint));
        }
        return new BootCheckResult(errors, warnings, description);
    }

    /// <summary>The names in a describe list: plain strings (commands, events) or objects with an <c>id</c> (schedules, crons).</summary>
    private static List<string> Names(JsonNode? list) =>
        (list as JsonArray ?? []).Select(node => node is JsonObject item ? item["id"]?.GetValue<string>() : node?.GetValue<string>()).OfType<string>().ToList();
}
