using System.Diagnostics;
using System.Text.Json.Nodes;
using Serverless.Cli;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Cli;

/// <summary>
/// <c>local/plugin</c> as a person runs it: a real process through the bash wrapper, which builds the
/// CLI into .local/cli once and then only execs it.
/// </summary>
[Collection(PublishCollection.Name)]
public sealed class WrapperTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("plugin-wrapper-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task<(int ExitCode, string Out, string Error, TimeSpan Took)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(RepoPaths.Root, "local", "plugin"), .. args])
        {
            WorkingDirectory = _directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await stdout, await stderr, clock.Elapsed);
    }

    [Fact(Timeout = 600_000)]
    public async Task Wrapper_NewValidatePack_RealProcessAndFastSecondCall()
    {
        // The first call may build the CLI; whatever it prints about that goes to stderr.
        var created = await RunAsync("new", "wrapped", "--json");
        Assert.True(created.ExitCode == ExitCodes.Ok, $"{created.Out}\n{created.Error}");
        Assert.Equal("created", JsonNode.Parse(created.Out)!["status"]!.GetValue<string>());

        var validated = await RunAsync("validate", "wrapped", "--no-boot-check");
        var packed = await RunAsync("pack", "wrapped", "--json");
        var usage = await RunAsync("validate");

        Assert.True(validated.ExitCode == ExitCodes.Ok, $"{validated.Out}\n{validated.Error}");
        Assert.StartsWith("valid  wrapped 0.1.0", validated.Out);
        Assert.DoesNotContain("\e[", validated.Out);
        Assert.Equal(ExitCodes.Ok, packed.ExitCode);
        Assert.True(File.Exists(Path.Combine(_directory, "wrapped", "dist", "wrapped-0.1.0.zip")));
        Assert.Equal(ExitCodes.Usage, usage.ExitCode);
        // Built already: no rebuild, just the process start. Generous for a loaded CI machine; a build takes far longer.
        Assert.True(validated.Took < TimeSpan.FromSeconds(5), $"second call took {validated.Took}");
        Assert.Empty(validated.Error);
    }
}
