using System.Text.Json.Nodes;
using Serverless.Cli;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Packages.Fixtures;
using Serverless.Tests.Portal;
using Serverless.Tests.Sandbox;

namespace Serverless.Tests.Cli;

/// <summary>
/// <c>install</c>'s try-it line, modal submits and the platform's built-in commands from <c>local/plugin invoke</c>,
/// against the whole app on Azurite and Docker, with real plugin code.
/// </summary>
[Collection("Docker")]
public sealed class InvokeCommandTests(Azurite azurite, DockerFixture docker) : IAsyncLifetime
{
    private const string Code = """
        from mmo_maid_sdk import Plugin

        plugin = Plugin()

        @plugin.on_slash_command("warn")
        def warn(ctx, event):
            options = {opt["name"]: opt["value"] for opt in event.get("options", [])}
            ctx.interaction.respond(content=f"warned <@{options['user']}> for {options['days']} days ({options['severity']})")

        @plugin.on_modal_submit("report")
        def report(ctx, event):
            values = event["modal_values"]
            ctx.interaction.respond(content=f"report: {values.get('subject')} / {values.get('details')}")

        @plugin.on_modal_submit("poll:*")
        def poll(ctx, event):
            ctx.interaction.respond(content=f"{event['custom_id']} got {event['modal_values']['choice']}")
        """;

    private const string Manifest = """
        {"capabilities_required":["interaction:respond"],"slash_commands":[{"name":"warn","description":"Warn a member","options":[
          {"name":"user","description":"Who","type":6,"required":true},
          {"name":"days","description":"How long","type":4,"required":true,"min_value":3,"max_value":30},
          {"name":"severity","description":"How bad","type":3,"required":true,"choices":[{"name":"Low","value":"low"},{"name":"High","value":"high"}]},
          {"name":"note","description":"Why","type":3}]}]}
        """;

    private PortalApp _app = null!;
    private string _id = null!;

    public async ValueTask InitializeAsync()
    {
        docker.Require();
        _app = await PortalApp.StartAsync(azurite, docker);
        _id = "cli_" + Guid.NewGuid().ToString("N")[..8];
        var zip = PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = PluginZip.Manifest(_id, "1.0.0", JsonNode.Parse(Manifest)!.AsObject()), ["plugin.py"] = Code });
        Assert.Equal("published", (await _app.PublishAsync("acme", _id, zip))["status"]!.GetValue<string>());
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private static string NewGuild() => Random.Shared.NextInt64(100_000_000_000, 900_000_000_000).ToString();

    private async Task<(CliRun Cli, string Guild, CliResult Installed)> InstallAsync(string? pluginId = null)
    {
        var cli = _app.Cli();
        var guild = NewGuild();
        var installed = await cli.RunAsync("install", pluginId ?? _id, "--guild", guild, "--yes");
        Assert.True(installed.ExitCode == 0, installed.ToString());
        return (cli, guild, installed);
    }

    /// <summary>The words of a line as a POSIX shell splits them (plain words and single quotes, as the CLI prints them).</summary>
    private static string[] ShellWords(string line)
    {
        var words = new List<string>();
        var word = new System.Text.StringBuilder();
        var quoted = false;
        var any = false;
        foreach (var c in line)
        {
            if (c == '\'')
            {
                quoted = !quoted;
                any = true;
            }
            else if (c == ' ' && !quoted)
            {
                if (any)
                {
                    words.Add(word.ToString());
                }
                word.Clear();
                any = false;
            }
            else
            {
                word.Append(c);
                any = true;
            }
        }
        if (any)
        {
            words.Add(word.ToString());
        }
        return words.ToArray();
    }

    [Fact]
    public async Task Install_CommandWithRequiredOptions_TryItLineRunsAsPrinted()
    {
        var (cli, guild, installed) = await InstallAsync();
        using var _ = cli;

        const string prefix = "try it: local/plugin ";
        var line = Assert.Single(installed.Out.Split('\n'), l => l.StartsWith(prefix, StringComparison.Ordinal));
        var invoked = await cli.RunAsync(ShellWords(line[prefix.Length..]));

        Assert.Equal($"try it: local/plugin invoke /warn user:@{InvokeCommand.DefaultUser} days:3 severity:low --guild {guild}", line);
        Assert.True(invoked.ExitCode == 0, invoked.ToString());
        Assert.Contains($"\"warned <@{InvokeCommand.DefaultUser}> for 3 days (low)\"", invoked.Out);
    }

    [Fact]
    public async Task Install_PluginWithoutCommands_SaysHowItsEventAndTasksRun()
    {
        var id = "cli_quiet_" + Guid.NewGuid().ToString("N")[..8];
        const string code = """
            from mmo_maid_sdk import Plugin

            plugin = Plugin()

            @plugin.on_event("member_join")
            def joined(ctx, event):
                ctx.log(f"welcome {event['user_id']}")

            @plugin.schedule(30)
            def tick(ctx):
                ctx.log("tick")

            @plugin.cron("*/5 * * * *")
            def report(ctx):
                ctx.log("report")
            """;
        var manifest = PluginZip.Manifest(id, "1.0.0", JsonNode.Parse("""{"events":["member_join"]}""")!.AsObject());
        Assert.Equal("published", (await _app.PublishAsync("acme", id, PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = manifest, ["plugin.py"] = code })))["status"]!.GetValue<string>());

        var (cli, guild, installed) = await InstallAsync(id);
        using var _ = cli;

        Assert.DoesNotContain("/COMMAND", installed.Out);
        Assert.Contains($"try it: local/plugin event member_join --guild {guild}\n", installed.Out);
        Assert.Contains($"{id} has no commands; its schedule 'tick' runs every 30 s, cron 'report' runs at '*/5 * * * *' (UTC): watch them with local/plugin logs {id} --guild {guild} --follow", installed.Out);
    }

    [Fact]
    public async Task Invoke_ModalSubmit_HandlerGetsItsFieldsByTheirOwnIds()
    {
        var (cli, guild, _) = await InstallAsync();
        using var __ = cli;

        var submitted = await cli.RunAsync("invoke", "--modal", "report", "--field", "subject=Broken", "--field", "details=it says a=b", "--guild", guild);
        var pattern = await cli.RunAsync("invoke", "--modal", "poll:42", "--field", "choice=yes", "--guild", guild, "--json");

        Assert.True(submitted.ExitCode == 0, submitted.ToString());
        Assert.Contains("submit report", submitted.Out);
        Assert.Contains("\"report: Broken / it says a=b\"", submitted.Out);
        Assert.Contains("responded", submitted.Out);
        Assert.True(pattern.ExitCode == 0, pattern.ToString());
        Assert.Equal(5, pattern.Json["interaction"]!["type"]!.GetValue<int>());
        Assert.Equal("poll:42 got yes", Assert.Single(pattern.Json["calls"]!.AsArray())!["body"]!["data"]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task Invoke_BadModalArguments_Exit2NamingWhatIsWrong()
    {
        var (cli, guild, _) = await InstallAsync();
        using var __ = cli;

        var unknown = await cli.RunAsync("invoke", "--modal", "feedback", "--guild", guild);
        var noEquals = await cli.RunAsync("invoke", "--modal", "report", "--field", "subject", "--guild", guild);
        var twice = await cli.RunAsync("invoke", "--modal", "report", "--field", "subject=a", "--field", "subject=b", "--guild", guild);
        var fieldAlone = await cli.RunAsync("invoke", "--field", "subject=a", "--guild", guild);
        var both = await cli.RunAsync("invoke", "--modal", "report", "--component", "yes", "--guild", guild);

        Assert.Equal(ExitCodes.Usage, unknown.ExitCode);
        Assert.Contains($"{_id} 1.0.0 has no modal handler for custom_id 'feedback'; its @plugin.on_modal_submit custom_ids: report, poll:*", unknown.Error);
        Assert.Equal(ExitCodes.Usage, noEquals.ExitCode);
        Assert.Contains("--field 'subject' is not ID=VALUE", noEquals.Error);
        Assert.Equal(ExitCodes.Usage, twice.ExitCode);
        Assert.Contains("--field subject is given twice", twice.Error);
        Assert.Equal(ExitCodes.Usage, fieldAlone.ExitCode);
        Assert.Contains("pass --modal CUSTOM_ID with it", fieldAlone.Error);
        Assert.Equal(ExitCodes.Usage, both.ExitCode);
        Assert.Contains("not several", both.Error);
    }

    [Fact]
    public async Task Invoke_BuiltInCommands_AnsweredByThePlatformAndPrintedWhole()
    {
        var (cli, guild, _) = await InstallAsync();
        using var __ = cli;

        var help = await cli.RunAsync("invoke", "/help", "--guild", guild);
        var list = await cli.RunAsync("invoke", "/plugins", "list", "--guild", guild);
        var info = await cli.RunAsync("invoke", "/plugins", "info", $"plugin:{_id}", "--guild", guild, "--json");
        var bare = await cli.RunAsync("invoke", "/plugins", "--guild", guild);

        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("the platform's built-in command", help.Out);
        Assert.Contains("`/plugins list`, `/plugins info`", help.Out);
        Assert.Contains("`/warn` — Warn a member", help.Out);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains($"(`{_id}` 1.0.0)", list.Out);
        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.Equal("answered", info.Json["status"]!.GetValue<string>());
        Assert.Contains("Commands: /warn", info.Json["initial"]!["body"]!["data"]!["content"]!.GetValue<string>());
        Assert.Equal(ExitCodes.Usage, bare.ExitCode);
        Assert.Contains("/plugins needs a subcommand: list, info", bare.Error);
    }
}
