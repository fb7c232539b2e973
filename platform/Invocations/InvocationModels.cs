using System.Text.Json.Nodes;
using Serverless.Platform.Packages;

namespace Serverless.Platform.Invocations;

/// <summary>An installed plugin as an invocation sees it.</summary>
public sealed record InstallContext(string GuildId, string PluginId, string InstallId, PluginVersion Version, IReadOnlySet<string> GrantedCapabilities);

/// <summary>What to run: one of the SDK's handler kinds (docs/protocol.md §3 <c>invoke</c>).</summary>
public sealed record PluginInvocation(string Id, string Kind, string Name, JsonObject? Event, InstallContext Install)
{
    public const string SlashCommand = "slash_command";
    public const string Autocomplete = "autocomplete";
    public const string Component = "component";
    public const string ModalSubmit = "modal_submit";
    public const string DiscordEvent = "event";
    public const string Schedule = "schedule";
    public const string Cron = "cron";
    public const string Lifecycle = "lifecycle";

    /// <summary>The plugin that emitted a custom event; the SDK shows it as <c>ctx.source_plugin_id</c>.</summary>
    public string? SourcePluginId { get; init; }

    /// <summary>The manifest cron this run fires (sent as <c>context.manifest_cron</c>, so a pool worker runs the task).</summary>
    public string? ManifestCron { get; init; }
}

public enum InvocationStatus
{
    Handled,
    NotHandled,
    Skipped,
    Failed,
    TimedOut,
    Crashed,
}

/// <summary>How an invocation ended, with what the plugin returned (autocomplete choices) when it did.</summary>
public sealed record InvocationOutcome(InvocationStatus Status, TimeSpan Duration, bool Warm, string? Error, JsonObject? Result);
