using System.Text;
using System.Text.Json.Nodes;
using Serverless.Cli;
using Serverless.Platform.Events;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Events;

/// <summary>The rules of the events feature that need no service: signature copy, parsing, gating, naming, order.</summary>
public sealed class EventRulesTests
{
    [Fact]
    public void Sign_DocsTestVector_MatchesTheBridge()
    {
        var body = Encoding.UTF8.GetBytes("""{"id":"s:1"}""");

        var ours = EventSignature.Sign("test-shared-secret-0123456789", 1700000000, body);

        Assert.Equal("sha256=69c66093b5cea9d8d9e16a36d7c70b9f6ceb1bd7601384c5dc59e397e3556ac4", ours);
        Assert.Equal(Serverless.Gateway.EventSignature.Sign("test-shared-secret-0123456789", 1700000000, body), ours);
        Assert.Equal(EventSignatureVerdict.Valid, EventSignature.Verify("test-shared-secret-0123456789", ours, "1700000000", body, DateTimeOffset.FromUnixTimeSeconds(1700000100)));
    }

    [Theory]
    [InlineData("message_create", false, "")]
    [InlineData("message_create", true, "hello")]
    [InlineData("message_edit", false, "")]
    [InlineData("message_edit", true, "hello")]
    public void ForInstall_MessageEvents_ContentOnlyWithReadContent(string eventName, bool granted, string expected)
    {
        var payload = new JsonObject { ["message_id"] = "1", ["content"] = "hello" };

        var seen = EventContent.ForInstall(eventName, payload, granted ? new HashSet<string> { "messages:read_content" } : new HashSet<string> { "messages:send" });

        Assert.Equal(expected, seen["content"]!.GetValue<string>());
        Assert.Equal("1", seen["message_id"]!.GetValue<string>());
        Assert.Equal("hello", payload["content"]!.GetValue<string>());
    }

    [Fact]
    public void ForInstall_OtherEvents_Unchanged()
    {
        var payload = new JsonObject { ["id"] = "1", ["name"] = "content" };

        Assert.Equal(payload.ToJsonString(), EventContent.ForInstall("channel_create", payload, new HashSet<string>()).ToJsonString());
    }

    [Theory]
    [InlineData("my_plugin.task_done", null)]
    [InlineData("my_plugin.jobs.done", null)]
    [InlineData("other_plugin.task_done", "outside this plugin's namespace")]
    [InlineData("my_plugin_2.task_done", "outside this plugin's namespace")]
    [InlineData("my_pluginx.task_done", "outside this plugin's namespace")]
    [InlineData("message_create", "is a Discord event")]
    [InlineData("my_plugin.", "not a custom event name")]
    [InlineData("my_plugin.Task", "not a custom event name")]
    [InlineData("", "non-empty")]
    public void Validate_EmittedName_OnlyOwnNamespace(string name, string? problem)
    {
        var verdict = CustomEvents.Validate("my_plugin", name);

        if (problem is null)
        {
            Assert.Null(verdict);
        }
        else
        {
            Assert.Contains(problem, verdict);
        }
    }

    /// <summary>
    /// Runs a work item of <paramref name="targets"/> invocations sharing <paramref name="chain"/>: each emits all it
    /// may, every emit reaching <paramref name="listeners"/> installs. Returns the deliveries of the item and its descendants.
    /// </summary>
    private static int Run(EventChain chain, int targets, int listeners, string path = "root")
    {
        var deliveries = targets;
        for (var t = 0; t < targets; t++)
        {
            var invocation = $"{path}.{t}";
            while (chain.Depth < CustomEvents.MaxDepth && chain.CountEmit(invocation) <= CustomEvents.MaxEmitsPerInvocation && chain.TrySpend(listeners, out var share))
            {
                if (listeners > 0)
                {
                    deliveries += Run(new EventChain(chain.Depth + 1, share), listeners, listeners, invocation + "/" + Guid.NewGuid().ToString("N")[..6]);
                }
            }
        }
        return deliveries;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public void TrySpend_EveryInvocationEmitsAllItMay_ChainCausesAtMostTheBudget(int listeners)
    {
        var emitted = Run(EventChain.Start(), targets: 1, listeners) - 1;

        Assert.InRange(emitted, listeners, CustomEvents.ChainBudget);
    }

    [Fact]
    public void TrySpend_ChainOfSingleEmits_ReachesTheDepthLimit()
    {
        var chain = EventChain.Start();
        var hops = 0;
        while (chain.Depth < CustomEvents.MaxDepth && chain.TrySpend(1, out var share))
        {
            hops++;
            chain = new EventChain(chain.Depth + 1, share);
        }

        Assert.Equal(CustomEvents.MaxDepth, hops);
    }

    [Fact]
    public void TrySpend_EmitReachingNobody_CostsOneAndPassesNothing()
    {
        var chain = new EventChain(0, 2);

        Assert.True(chain.TrySpend(0, out var first));
        Assert.True(chain.TrySpend(0, out var second));
        Assert.False(chain.TrySpend(0, out _));
        Assert.Equal([0, 0], new[] { first, second });
        Assert.False(new EventChain(0, 2).TrySpend(3, out _));
    }

    [Fact]
    public void Read_RegistrationsAndManifest_PrioritiesWithDefault1000()
    {
        var registrations = JsonNode.Parse("""{"events":["a.done","message_create"],"event_priorities":{"a.done":500}}""")!.AsObject();

        var subscriptions = EventListeners.Read(registrations, ["member_join", "a.done"]);

        Assert.Equal(500, subscriptions["a.done"]);
        Assert.Equal(1000, subscriptions["message_create"]);
        Assert.Equal(1000, subscriptions["member_join"]);
        Assert.Equal(3, subscriptions.Count);
    }

    [Fact]
    public void Read_OlderDescribeWithoutPriorities_AllDefault()
    {
        var subscriptions = EventListeners.Read(JsonNode.Parse("""{"events":["x.y"]}""")!.AsObject(), []);

        Assert.Equal(EventListeners.DefaultPriority, subscriptions["x.y"]);
    }

    [Fact]
    public void Parse_ValidBody_ReadsEveryField()
    {
        var (parsed, errors) = GatewayEvent.Parse(Encoding.UTF8.GetBytes("""{"id":"s:1","guild_id":"197038439483310086","event":"message_delete","payload":{"message_id":"1","channel_id":"2"},"occurred_at":"2026-11-21T10:30:00.123Z"}"""));

        Assert.Empty(errors);
        Assert.Equal("s:1", parsed!.Id);
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 10, 30, 0, 123, TimeSpan.Zero), parsed.OccurredAt);
    }

    [Theory]
    [InlineData("s:1", "s:1")]
    [InlineData("a/b", null)]
    [InlineData("a#b", null)]
    [InlineData("a?b", null)]
    public void Row_UnsafeCharacters_Hashed(string id, string? expected)
    {
        var row = EventDedup.Row(id);

        if (expected is null)
        {
            Assert.StartsWith("sha256-", row);
        }
        else
        {
            Assert.Equal(expected, row);
        }
    }

    [Fact]
    public void BuildPayload_MessageCreate_SeedFieldsExactlyWithGivenContent()
    {
        var payload = EventCommand.BuildPayload("message_create", "123", new Dictionary<string, string> { ["content"] = "hi", ["author_bot"] = "true" }, DateTimeOffset.UtcNow);

        Assert.Equal(["message_id", "channel_id", "author_id", "author_bot", "content", "timestamp"], payload.Select(p => p.Key));
        Assert.Equal("hi", payload["content"]!.GetValue<string>());
        Assert.True(payload["author_bot"]!.GetValue<bool>());
        Assert.All(new[] { "message_id", "channel_id", "author_id" }, f => Assert.Matches("^[0-9]+$", payload[f]!.GetValue<string>()));
    }

    [Fact]
    public void BuildPayload_FieldOfAnotherEvent_UsageError()
    {
        var error = Assert.Throws<CliException>(() => EventCommand.BuildPayload("member_join", "1", new Dictionary<string, string> { ["emoji"] = "x" }, DateTimeOffset.UtcNow));

        Assert.Equal(ExitCodes.Usage, error.ExitCode);
        Assert.Contains("--emoji", error.Message);
        Assert.Contains("--username", error.Message);
    }
}

/// <summary>The claim table on Azurite.</summary>
public sealed class EventDedupTests(Azurite azurite)
{
    [Fact]
    public async Task TryClaim_SameIdTwiceThenReleased_OnlyFirstAndAfterReleaseWin()
    {
        var tables = azurite.Tables;
        await tables.GetTableClient(EventDedup.TableName).CreateIfNotExistsAsync(TestContext.Current.CancellationToken);
        var dedup = new EventDedup(tables);
        var id = $"{Guid.NewGuid():N}:1";
        var at = DateTimeOffset.UtcNow;

        var first = await dedup.TryClaimAsync(id, at, CancellationToken.None);
        var second = await dedup.TryClaimAsync(id, at, CancellationToken.None);
        await dedup.ReleaseAsync(id, at, CancellationToken.None);
        var afterRelease = await dedup.TryClaimAsync(id, at, CancellationToken.None);

        Assert.True(first);
        Assert.False(second);
        Assert.True(afterRelease);
    }

    [Fact]
    public async Task Purge_OldHours_RemovedRecentKept()
    {
        var tables = azurite.Tables;
        await tables.GetTableClient(EventDedup.TableName).CreateIfNotExistsAsync(TestContext.Current.CancellationToken);
        var dedup = new EventDedup(tables);
        var now = DateTimeOffset.UtcNow;
        var (old, recent) = ($"{Guid.NewGuid():N}:old", $"{Guid.NewGuid():N}:new");
        await dedup.TryClaimAsync(old, now - TimeSpan.FromHours(5), CancellationToken.None);
        await dedup.TryClaimAsync(recent, now - TimeSpan.FromMinutes(1), CancellationToken.None);

        var purged = await dedup.PurgeAsync(now, CancellationToken.None);

        Assert.True(purged >= 1);
        Assert.True(await dedup.TryClaimAsync(old, now - TimeSpan.FromHours(5), CancellationToken.None));
        Assert.False(await dedup.TryClaimAsync(recent, now - TimeSpan.FromMinutes(1), CancellationToken.None));
    }
}
