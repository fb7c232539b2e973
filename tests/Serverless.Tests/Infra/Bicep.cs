using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Serverless.Tests.Infra;

/// <summary>One message of the Bicep compiler or linter: <c>file(line,column) : Level code: message</c>.</summary>
internal sealed record BicepDiagnostic(string File, int Line, int Column, string Level, string Code, string Message)
{
    public override string ToString() => $"{Path.GetFileName(File)}({Line},{Column}) : {Level} {Code}: {Message}";
}

/// <summary>
/// The real Bicep CLI, from the NuGet package <c>Azure.Bicep.CommandLine.linux-x64</c> (its path is
/// compiled into this assembly by the test project). One process builds or lints every template of a
/// folder; nothing is downloaded.
/// </summary>
internal static partial class Bicep
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    public static string ExecutablePath { get; } = typeof(Bicep).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "BicepPath").Value!;

    /// <summary><c>bicep build</c> of every <c>*.bicep</c> under <paramref name="directory"/>, the ARM JSON to <paramref name="outDirectory"/> (same relative paths).</summary>
    public static Task<IReadOnlyList<BicepDiagnostic>> BuildAsync(string directory, string outDirectory) =>
        RunAsync(directory, ["build", "--pattern", "**/*.bicep", "--outdir", outDirectory]);

    /// <summary><c>bicep lint</c> of every <c>*.bicep</c> under <paramref name="directory"/>: the core checks and the linter rules.</summary>
    public static Task<IReadOnlyList<BicepDiagnostic>> LintAsync(string directory) =>
        RunAsync(directory, ["lint", "--pattern", "**/*.bicep"]);

    private static async Task<IReadOnlyList<BicepDiagnostic>> RunAsync(string directory, string[] arguments)
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new FileNotFoundException($"the Bicep CLI is not at {ExecutablePath}: restore the test project (package Azure.Bicep.CommandLine.linux-x64)");
        }
        var start = new ProcessStartInfo(ExecutablePath)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', arguments)} did not finish within {Timeout}");
        }

        var diagnostics = new List<BicepDiagnostic>();
        var unexplained = new List<string>();
        foreach (var line in ((await output) + "\n" + (await error)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var match = DiagnosticLine().Match(line);
            if (match.Success)
            {
                diagnostics.Add(new BicepDiagnostic(match.Groups["file"].Value, int.Parse(match.Groups["line"].Value), int.Parse(match.Groups["column"].Value),
                    match.Groups["level"].Value, match.Groups["code"].Value, match.Groups["message"].Value));
            }
            else
            {
                unexplained.Add(line);
            }
        }
        // An exit code that no diagnostic explains, or output that is no diagnostic, is the tool failing.
        if (unexplained.Count > 0 || (process.ExitCode != 0 && !diagnostics.Any(d => d.Level == "Error")))
        {
            throw new InvalidOperationException($"bicep {string.Join(' ', arguments)} exited {process.ExitCode}: {string.Join('\n', unexplained)}");
        }
        return diagnostics;
    }

    [GeneratedRegex(@"^(?<file>.+?)\((?<line>\d+),(?<column>\d+)\) : (?<level>Error|Warning|Info) (?<code>[\w-]+): (?<message>.*)$")]
    private static partial Regex DiagnosticLine();
}
