using System.CommandLine;

namespace Serverless.Cli;

/// <summary>
/// <c>local/plugin</c>: the developer CLI. Each verb lives in its own file with a
/// <c>static Command Create(CliConsole)</c>; adding one is one file and one line in <see cref="Verbs"/>.
/// </summary>
public static class PluginCli
{
    public static async Task<int> Main(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        return await RunAsync(args, CliConsole.FromProcess(), cancel.Token);
    }

    private static IEnumerable<Command> Verbs(CliConsole console) =>
    [
        NewCommand.Create(console),
        ValidateCommand.Create(console),
        PackCommand.Create(console),
        UploadCommand.Create(console),
        PublisherKeyCommand.Create(console),
        InstallCommand.Create(console),
        UninstallCommand.Create(console),
        InstallsCommand.Create(console),
        InvokeCommand.Create(console),
        LogsCommand.Create(console),
        StatusCommand.Create(console),
        EventCommand.Create(console),
    ];

    public static RootCommand Root(CliConsole console)
    {
        var root = new RootCommand("""
            local/plugin: build, check and publish plugins for the Discord plugin platform.

            Typical loop:
              local/plugin new greeter                       scaffold a working plugin (/greet)
              local/plugin validate greeter                  the platform's checks and boot check, locally
              local/plugin pack greeter                      a deterministic zip in greeter/dist/
              local/plugin upload greeter -p me              publish to the local platform, print the report
              local/plugin install greeter --guild 1 --yes   install it in a guild (after showing its capabilities)
              local/plugin installs --guild 1                what the guild runs, and updates awaiting consent
              local/plugin invoke /greet user:@123 message:hi --guild 1
                                                             a signed interaction; prints the answers with timings
              local/plugin logs greeter --guild 1 --follow   the plugin's log as it happens
              local/plugin uninstall greeter --guild 1       remove it again
              local/plugin status                            is the local platform up?
              local/plugin event message_create -g 1 --content hi   inject a signed gateway event

            The dev portal shows the same in a browser: http://127.0.0.1:7071/portal/

            Every verb takes --help and --json.
            """);
        root.WithDetails("");
        VerbHelp.Install(root);
        root.Options.Add(CliOptions.NewJsonOption());
        foreach (var verb in Verbs(console))
        {
            root.Subcommands.Add(verb);
        }
        return root;
    }

    public static async Task<int> RunAsync(IReadOnlyList<string> args, CliConsole console, CancellationToken cancellationToken = default)
    {
        var parse = Root(console).Parse(args);
        var json = parse.Json();
        var configuration = new InvocationConfiguration { Output = console.Out, Error = console.Error, EnableDefaultExceptionHandler = false };
        if (parse.Errors.Count > 0 && !VerbHelp.IsHelp(parse))
        {
            var command = parse.CommandResult.Command;
            var help = command is RootCommand ? "local/plugin --help" : $"local/plugin {command.Name} --help";
            var message = string.Join("; ", parse.Errors.Select(error => error.Message)) + $" (see {help})";
            return Fail(console, json, CliException.Usage(message));
        }
        try
        {
            return await parse.InvokeAsync(configuration, cancellationToken);
        }
        catch (CliException ex)
        {
            return Fail(console, json, ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Fail(console, json, CliException.Usage($"{ex.Message} (check the path and its permissions)"));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            console.Error.WriteLine("cancelled");
            return 130;
        }
    }

    private static int Fail(CliConsole console, bool json, CliException ex)
    {
        if (json)
        {
            Output.WriteJson(console.Out, Output.ErrorDocument(ex.Message, ex.ExitCode));
        }
        console.Error.WriteLine($"{Output.Red("error:", console.ErrorColored)} {ex.Message}");
        return ex.ExitCode;
    }
}
