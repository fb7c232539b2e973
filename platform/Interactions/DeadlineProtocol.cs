using System.Globalization;
using System.Text.Json.Nodes;
using Serverless.Platform.Discord;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;
using Serverless.Platform.Sandbox;
using Serverless.Platform.WorkQueue;

namespace Serverless.Platform.Interactions;

public sealed record DeadlineOptions(TimeSpan Budget)
{
    /// <summary>Discord waits 3 s; the budget leaves room for the network and the deferral itself.</summary>
    public static DeadlineOptions FromConfiguration(IConfiguration configuration) =>
        new(double.TryParse(configuration["INTERACTION_BUDGET_MS"], NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms is > 0 and <= 2800
            ? TimeSpan.FromMilliseconds(ms)
            : TimeSpan.FromSeconds(2));
}

/// <summary>
/// The endpoint's side of the deadline protocol (docs/protocol.md §4): answer from the manifest without a sandbox
/// when it declares the answer; otherwise enqueue, give the plugin <see cref="DeadlineOptions.Budget"/>
/// to claim the initial response itself, and defer when it has not. Exactly one initial response:
/// whoever claims it in the ledger first makes it. Null means the plugin answered through the callback
/// route, so the webhook request gets 202 and no body.
/// </summary>
public sealed class DeadlineProtocol(
    InteractionRouter router,
    BuiltInCommands builtIns,
    InteractionLedger ledger,
    IWorkQueue queue,
    DeadlineOptions options,
    TimeProvider clock,
    ILogger<DeadlineProtocol> logger,
    InvocationHistory history,
    PluginLogs logs)
{
    public async Task<JsonObject?> AnswerAsync(Interaction interaction, CancellationToken cancellationToken)
    {
        var started = clock.GetTimestamp();
        var id = interaction.Id;
        var type = interaction.Type;
        if (await builtIns.TryAnswerAsync(interaction, cancellationToken) is { } builtIn)
        {
            return builtIn;
        }
        var route = await router.RouteAsync(interaction, cancellationToken);
        if (route is null)
        {
            return type == InteractionsEndpoint.ApplicationCommandAutocomplete
                ? new JsonObject { ["type"] = 8, ["data"] = new JsonObject { ["choices"] = new JsonArray() } }
                : InteractionsEndpoint.NothingInstalled(interaction);
        }
        JsonObject? declared, constant;
        try
        {
            (declared, constant) = (DeclaredAnswer(route), ConstantHookAnswer(route));
        }
        catch (JsonRpcException ex)
        {
            return await UnsendableAsync(route, ex.Message, cancellationToken);
        }
        // A declared message or modal is the same answer every time and starts no work: no storage round trip.
        if (declared is not null)
        {
            return declared;
        }

        if (route.Command?.Response is DeferResponse deferral)
        {
            // The claim doubles as the duplicate check: a second delivery finds it taken and starts nothing.
            if (!(await ledger.TryClaimAsync(id, InteractionLedger.Deferred, cancellationToken)).Won)
            {
                return null;
            }
            // The handler still runs; its respond edits the deferred message.
            await queue.EnqueueAsync(InteractionWorkHandler.Create(interaction, clock.GetUtcNow()), cancellationToken);
            return DeferCallback(InteractionCallbackType.DeferredChannelMessageWithSource, deferral.Ephemeral);
        }
        if (!await ledger.TryMarkReceivedAsync(id, cancellationToken))
        {
            logger.LogWarning("Interaction {Id} received twice; the second is not dispatched", id);
            return null;
        }
        var answer = await DecideAsync(interaction, type, id, route, constant, cancellationToken);
        // For the portal: off the response path, so recording never costs the user any of the 3 s.
        var ack = clock.GetElapsedTime(started);
        var answeredByPlatform = answer?["type"]?.GetValue<int>() is (int)InteractionCallbackType.ChannelMessageWithSource or (int)InteractionCallbackType.Modal;
        _ = Task.Run(async () =>
        {
            try
            {
                var initial = await ledger.GetClaimAsync(id, CancellationToken.None) ?? InteractionLedger.Responded;
                await history.RecordAnswerAsync(route, id, initial, ack, answeredByPlatform ? InvocationHistory.Responded : null, CancellationToken.None);
            }
            catch (Exception ex)
            {
                logger.LogWarning("Could not record interaction {Id}: {Message}", id, ex.Message);
            }
        }, CancellationToken.None);
        return answer;
    }

    /// <summary>The manifest's message or modal for the command, as Discord's callback.</summary>
    private static JsonObject? DeclaredAnswer(RoutedInteraction route)
    {
        switch (route.Command?.Response)
        {
            case MessageResponse declared:
                var message = new JsonObject { ["content"] = declared.Content, ["ephemeral"] = declared.Ephemeral };
                if (declared.Components is { } components)
                {
                    message["components"] = JsonNode.Parse(components.GetRawText());
                }
                return Callback(InteractionCallbackType.ChannelMessageWithSource, PluginMessages.Message(route.CustomIds, message));
            case ModalResponse declared:
                var modal = new JsonObject { ["custom_id"] = declared.CustomId, ["title"] = declared.Title, ["components"] = JsonNode.Parse(declared.Components.GetRawText()) };
                return Callback(InteractionCallbackType.Modal, PluginMessages.Modal(route.CustomIds, modal));
            default:
                return null;
        }
    }

    /// <summary>A constant hook named like the command is a declared answer too (docs/packages.md); an executable one runs from the queue.</summary>
    private static JsonObject? ConstantHookAnswer(RoutedInteraction route) =>
        route.Command is not null && route.Manifest.Hooks.GetValueOrDefault(route.Name) is ConstantHook constant && HookRunner.ToMessage(constant.Value) is { } answer
            ? PluginMessages.Message(route.CustomIds, answer)
            : null;

    /// <summary>A declared answer the platform cannot send (a custom_id too long to prefix): the user and the plugin's log say why.</summary>
    private async Task<JsonObject> UnsendableAsync(RoutedInteraction route, string reason, CancellationToken cancellationToken)
    {
        var message = $"the declared answer to /{route.Name} cannot be sent: {reason}";
        await logs.AppendAsync(route.Install.PluginId, route.Install.GuildId, "error", message, null, cancellationToken);
        return Callback(InteractionCallbackType.ChannelMessageWithSource, new JsonObject
        {
            ["content"] = $"⚠️ {route.Install.PluginId}: {message}",
            ["flags"] = MessageFlags.Ephemeral,
            ["allowed_mentions"] = new JsonObject { ["parse"] = new JsonArray() },
        });
    }

    private async Task<JsonObject?> DecideAsync(Interaction interaction, int type, string id, RoutedInteraction route, JsonObject? constant, CancellationToken cancellationToken)
    {
        if (constant is not null && (await ledger.TryClaimAsync(id, InteractionLedger.Responded, cancellationToken)).Won)
        {
            return Callback(InteractionCallbackType.ChannelMessageWithSource, constant);
        }

        await queue.EnqueueAsync(InteractionWorkHandler.Create(interaction, clock.GetUtcNow()), cancellationToken);
        if (await ledger.WaitForClaimAsync(id, options.Budget, clock, cancellationToken) is not null)
        {
            return null;
        }

        if (type == InteractionsEndpoint.ApplicationCommandAutocomplete)
        {
            // Autocomplete cannot be deferred: no suggestions beat an error.
            return (await ledger.TryClaimAsync(id, InteractionLedger.Responded, cancellationToken)).Won
                ? Callback(InteractionCallbackType.ApplicationCommandAutocompleteResult, new JsonObject { ["choices"] = new JsonArray() })
                : null;
        }
        var kind = type == InteractionsEndpoint.MessageComponent ? InteractionLedger.DeferredUpdate : InteractionLedger.Deferred;
        if (!(await ledger.TryClaimAsync(id, kind, cancellationToken)).Won)
        {
            return null;
        }
        logger.LogInformation("Interaction {Id}: {Plugin} did not answer within {Budget} ms; deferred", id, route.Install.PluginId, options.Budget.TotalMilliseconds);
        return kind == InteractionLedger.DeferredUpdate
            ? Callback(InteractionCallbackType.DeferredUpdateMessage, null)
            : DeferCallback(InteractionCallbackType.DeferredChannelMessageWithSource, ephemeral: false);
    }

    private static JsonObject Callback(InteractionCallbackType type, JsonObject? data)
    {
        var callback = new JsonObject { ["type"] = (int)type };
        if (data is not null)
        {
            callback["data"] = data;
        }
        return callback;
    }

    private static JsonObject DeferCallback(InteractionCallbackType type, bool ephemeral) =>
        Callback(type, ephemeral ? new JsonObject { ["flags"] = MessageFlags.Ephemeral } : null);
}
