using System.Text.Json.Nodes;
using Serverless.Cli;

namespace Serverless.Tests.Cli;

/// <summary>The line <c>install</c> ends with: something to run next that works, for any kind of plugin.</summary>
public sealed class InstallHintTests
{
    private static JsonObject Version(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public void TryIt_RequiredOptions_FilledAndQuotedForTheShell()
    {
        var version = Version("""
            {"commands":[{"name":"warn","description":"d","options":[
              {"name":"user","description":"u","type":6,"required":true},
              {"name":"mode","description":"m","type":3,"required":true,"choices":[{"name":"Dark","value":"it's dark"}]}]}]}
            """);

        Assert.Equal(["try it: local/plugin invoke /warn user:@100000000000000001 'mode:it'\\''s dark' --guild 5"], InstallCommand.TryIt("p", "5", version));
    }

    [Fact]
    public void TryIt_OnlyAttachmentCommands_SaysToUseDiscord()
    {
        var version = Version("""{"commands":[{"name":"upload","description":"u","options":[{"name":"file","description":"f","type":11,"required":true}]}]}""");

        Assert.Equal(["try it in Discord: /upload needs an attachment, which local/plugin invoke cannot send"], InstallCommand.TryIt("p", "5", version));
    }

    [Fact]
    public void TryIt_NoCommands_EventLinesAndWhenTasksRun()
    {
        var version = Version("""
            {"commands":[],"events":["member_join"],"registrations":{"events":["member_join","message_create","other.custom"],
              "schedules":[{"id":"tick","seconds":30}],"crons":[{"id":"report","spec":"0 9 * * 1"}]}}
            """);

        Assert.Equal(
            [
                "try it: local/plugin event member_join --guild 5",
                "try it: local/plugin event message_create --guild 5",
                "p has no commands; its schedule 'tick' runs every 30 s, cron 'report' runs at '0 9 * * 1' (UTC): watch them with local/plugin logs p --guild 5 --follow",
            ],
            InstallCommand.TryIt("p", "5", version));
    }

    [Fact]
    public void TryIt_NothingThatRuns_SaysSo()
    {
        Assert.Equal(["p has no commands, events, schedules or crons: nothing in guild 5 will run it"], InstallCommand.TryIt("p", "5", Version("""{"commands":[],"events":[],"registrations":null}""")));
        Assert.Equal(["p has no commands; it listens to other.custom: see what it does with local/plugin logs p --guild 5 --follow"], InstallCommand.TryIt("p", "5", Version("""{"commands":[],"registrations":{"events":["other.custom"]}}""")));
    }
}
