using System.Text.Json.Nodes;
using Serverless.Cli;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Cli;

public sealed record CliResult(int ExitCode, string Out, string Error)
{
    public JsonObject Json => JsonNode.Parse(Out)?.AsObject() ?? throw new InvalidOperationException($"not JSON: {Out}");

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Out}\nstderr:\n{Error}";
}

/// <summary>
/// Runs the real CLI in-process: the same entry point as the executable, with string writers for the
/// console, a clean set of variables (nothing leaks in from the developer's shell) and a folder of its own.
/// </summary>
public sealed class CliRun : IDisposable
{
    public CliRun()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("plugin-cli-").FullName;
        Variables["PLUGIN_REPO_ROOT"] = RepoPaths.Root;
        // No settings file: the connection comes from --connection or the environment the test sets.
        Variables["LOCAL_SETTINGS_PATH"] = Path.Combine(Directory, "no-local.settings.json");
    }

    public string Directory { get; }

    public Dictionary<string, string> Variables { get; } = [];

    public string PathOf(string relative) => Path.Combine(Directory, relative);

    public Task<CliResult> RunAsync(params string[] args) => RunAsync(args, TestContext.Current.CancellationToken);

    /// <summary>A run that <paramref name="cancellationToken"/> stops, as Ctrl-C stops <c>logs --follow</c>.</summary>
    public async Task<CliResult> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = new CliConsole(output, error, OutIsTerminal: false, ErrorIsTerminal: false, name => Variables.GetValueOrDefault(name), Directory);
        var exitCode = await PluginCli.RunAsync(args, console, cancellationToken);
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
