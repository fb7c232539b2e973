using Serverless.Cli;
using Serverless.Platform.Packages;

namespace Serverless.Tests.Cli;

public sealed class ValidateCommandTests : IDisposable
{
    private const string BrokenManifest = """
        {
          "id": "Bad-Id",
          "version": "one",
          "capabilities_required": ["teleport"],
          "slash_commands": [{"name": "hello", "description": "Say hello", "options": [{"name": "x", "description": "x", "type": 99}]}],
          "colour": "blue"
        }
        """;

    private readonly CliRun _cli = new();

    public void Dispose() => _cli.Dispose();

    private string BrokenPlugin()
    {
        var root = _cli.PathOf("broken");
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "manifest.json"), BrokenManifest);
        File.WriteAllText(Path.Combine(root, "plugin.py"), "from mmo_maid_sdk import Plugin\nplugin = Plugin()\n");
        return root;
    }

    [Fact]
    public async Task Validate_BrokenPlugin_ListsEveryErrorWithCodeAndPath()
    {
        var root = BrokenPlugin();

        var result = await _cli.RunAsync("validate", root);

        Assert.True(result.ExitCode == ExitCodes.Failed, result.ToString());
        Assert.StartsWith("invalid", result.Out);
        // The very validator the platform runs, on the very zip pack makes: every finding must be printed.
        var expected = PluginPacker.Pack(root, PackageLimits.Default).Validate(new PackageValidator());
        Assert.True(expected.Errors.Count >= 4, string.Join("\n", expected.Errors));
        foreach (var issue in expected.Errors.Concat(expected.Warnings))
        {
            Assert.Contains(result.Out.Split('\n'), line => line.Contains(issue.Code) && line.Contains(issue.Path) && line.Contains(issue.Message));
        }
        foreach (var code in new[] { IssueCodes.InvalidId, IssueCodes.InvalidVersion, IssueCodes.UnknownCapability, IssueCodes.UnknownField })
        {
            Assert.Contains(code, result.Out);
        }
        Assert.Contains($"{expected.Errors.Count} errors", result.Out);
        Assert.DoesNotContain("\e[", result.Out);
    }

    [Fact]
    public async Task Validate_BrokenPluginJson_ParsesAsUploadsReport()
    {
        var root = BrokenPlugin();

        var result = await _cli.RunAsync("validate", root, "--json");

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        var report = result.Json;
        Assert.Equal("invalid", report["status"]!.GetValue<string>());
        Assert.Null(report["plugin"]);
        var errors = report["errors"]!.AsArray();
        Assert.Contains(errors, error => error!["code"]!.GetValue<string>() == IssueCodes.InvalidVersion && error["path"]!.GetValue<string>() == "$.version");
        Assert.Contains(errors, error => error!["code"]!.GetValue<string>() == IssueCodes.UnknownCapability && error["path"]!.GetValue<string>() == "$.capabilities_required[0]");
        Assert.All(errors, error => Assert.False(string.IsNullOrEmpty(error!["message"]!.GetValue<string>())));
        Assert.NotNull(report["warnings"]!.AsArray());
    }

    [Fact]
    public async Task Validate_PackedZip_SameReportAsFolder()
    {
        var root = BrokenPlugin();
        var zip = _cli.PathOf("broken.zip");
        Assert.Equal(ExitCodes.Failed, (await _cli.RunAsync("pack", root, "-o", zip, "--force")).ExitCode);

        var fromFolder = await _cli.RunAsync("validate", root, "--json");
        var fromZip = await _cli.RunAsync("validate", zip, "--json");

        Assert.Equal(ExitCodes.Failed, fromZip.ExitCode);
        Assert.Equal(fromFolder.Out, fromZip.Out);
    }

    [Fact]
    public async Task Validate_NotAZip_InvalidWithBadZip()
    {
        await File.WriteAllTextAsync(_cli.PathOf("junk.zip"), "this is not a zip", TestContext.Current.CancellationToken);

        var result = await _cli.RunAsync("validate", "junk.zip", "--json");

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.Contains(result.Json["errors"]!.AsArray(), error => error!["code"]!.GetValue<string>() == IssueCodes.BadZip);
    }

    [Fact]
    public async Task Validate_MissingPath_UsageErrorSaysWhatWasMissing()
    {
        var result = await _cli.RunAsync("validate", "nowhere");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("'nowhere' is neither a plugin folder nor a zip file", result.Error);
    }

    [Fact]
    public async Task Validate_NoArgument_UsageErrorPointsToHelp()
    {
        var result = await _cli.RunAsync("validate");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("local/plugin validate --help", result.Error);
    }

    [Theory]
    [InlineData("new")]
    [InlineData("validate")]
    [InlineData("pack")]
    [InlineData("upload")]
    [InlineData("status")]
    public async Task Help_EveryVerb_ShowsOptionsAndExitCodes(string verb)
    {
        var result = await _cli.RunAsync(verb, "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("--json", result.Out);
        Assert.Contains("Exit codes:", result.Out);
        Assert.Contains("3  a service did not answer", result.Out);
    }

    [Fact]
    public async Task Help_Root_ListsVerbsAndExitCodes()
    {
        var result = await _cli.RunAsync("--help");

        Assert.Equal(0, result.ExitCode);
        foreach (var verb in new[] { "new", "validate", "pack", "upload", "status" })
        {
            Assert.Contains($"  {verb} ", result.Out);
        }
        Assert.Contains("Exit codes:", result.Out);
    }
}
