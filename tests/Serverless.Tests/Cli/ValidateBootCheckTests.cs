using Serverless.Cli;
using Serverless.Tests.Sandbox;

namespace Serverless.Tests.Cli;

/// <summary>
/// <c>validate</c> runs the platform's boot check in the real sandbox image, so it finds what upload finds;
/// without a Docker engine it says the boot check was skipped and why.
/// </summary>
[Collection("Docker")]
public sealed class ValidateBootCheckTests(DockerFixture docker) : IDisposable
{
    private readonly CliRun _cli = new();

    public void Dispose() => _cli.Dispose();

    /// <summary>A scaffold whose plugin.py gets <paramref name="code"/> appended; the containers go on the fixture's stack.</summary>
    private async Task<string> PluginAsync(string code)
    {
        docker.Require();
        _cli.Variables["SANDBOX_PLATFORM_NAME"] = docker.PlatformName;
        var created = await _cli.RunAsync("new", "checked");
        Assert.True(created.ExitCode == ExitCodes.Ok, created.ToString());
        await File.AppendAllTextAsync(_cli.PathOf("checked/plugin.py"), code, TestContext.Current.CancellationToken);
        return _cli.PathOf("checked");
    }

    private static string[] Codes(CliResult result, string kind) =>
        result.Json[kind]!.AsArray().Select(issue => issue!["code"]!.GetValue<string>()).ToArray();

    [Fact]
    public async Task Validate_SyntaxError_InvalidWithBootErrorAndProgressLine()
    {
        var root = await PluginAsync("\ndef broken(:\n");

        var result = await _cli.RunAsync("validate", root);

        Assert.True(result.ExitCode == ExitCodes.Failed, result.ToString());
        Assert.StartsWith("invalid  checked 0.1.0", result.Out);
        Assert.Contains("boot_syntax_error", result.Out);
        Assert.Contains("plugin.py", result.Out);
        Assert.Contains("boot check: starting checked in the sandbox (serverless-sandbox-runner:latest)", result.Error);
    }

    [Fact]
    public async Task Validate_TenSecondSchedule_InvalidAsUploadWouldBe()
    {
        var root = await PluginAsync("\n@plugin.schedule(10)\ndef tick(ctx):\n    pass\n");

        var result = await _cli.RunAsync("validate", root, "--json");

        Assert.True(result.ExitCode == ExitCodes.Failed, result.ToString());
        Assert.Equal("invalid", result.Json["status"]!.GetValue<string>());
        var error = Assert.Single(result.Json["errors"]!.AsArray());
        Assert.StartsWith("boot_", error!["code"]!.GetValue<string>());
        Assert.Contains("at least 30 seconds", error["message"]!.GetValue<string>());
        Assert.DoesNotContain(ValidateCommand.BootCheckSkipped, Codes(result, "warnings"));
    }

    [Fact]
    public async Task Validate_InvalidCronFromCode_Invalid()
    {
        var root = await PluginAsync("\n@plugin.cron(\"61 * * * *\")\ndef nightly(ctx):\n    pass\n");

        var result = await _cli.RunAsync("validate", root, "--json");

        Assert.True(result.ExitCode == ExitCodes.Failed, result.ToString());
        Assert.Contains(result.Json["errors"]!.AsArray(), error => error!["message"]!.GetValue<string>().Contains("61"));
    }

    [Fact]
    public async Task Validate_CleanScaffold_ValidWithoutWarnings()
    {
        var root = await PluginAsync("");

        var result = await _cli.RunAsync("validate", root, "--json");

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        Assert.Empty(result.Json["warnings"]!.AsArray());
        Assert.Empty(result.Error);
    }

    [Fact]
    public async Task Validate_NoDockerEngine_SkippedWarningAndStaticExitCode()
    {
        var root = await PluginAsync("\ndef broken(:\n");
        var socket = _cli.PathOf("no-engine.sock");
        _cli.Variables["DOCKER_HOST"] = "unix://" + socket;

        var human = await _cli.RunAsync("validate", root);
        var json = await _cli.RunAsync("validate", root, "--json");

        // The syntax error goes unseen without a sandbox: the static verdict stands, and the report says why.
        Assert.True(human.ExitCode == ExitCodes.Ok, human.ToString());
        Assert.StartsWith("valid  checked 0.1.0", human.Out);
        Assert.Contains(ValidateCommand.BootCheckSkipped, human.Out);
        Assert.Contains(socket, human.Out);
        Assert.Equal(ExitCodes.Ok, json.ExitCode);
        var warning = Assert.Single(json.Json["warnings"]!.AsArray());
        Assert.Equal(ValidateCommand.BootCheckSkipped, warning!["code"]!.GetValue<string>());
        Assert.Contains("the boot check was skipped", warning["message"]!.GetValue<string>());
        Assert.Contains("start Docker, or set DOCKER_HOST", warning["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Validate_MissingImage_SkippedWarningNamesTheImage()
    {
        var root = await PluginAsync("");
        _cli.Variables["SANDBOX_IMAGE"] = "serverless-no-such-image:never";

        var result = await _cli.RunAsync("validate", root, "--json");

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        var warning = Assert.Single(result.Json["warnings"]!.AsArray());
        Assert.Equal(ValidateCommand.BootCheckSkipped, warning!["code"]!.GetValue<string>());
        Assert.Contains("serverless-no-such-image:never", warning["message"]!.GetValue<string>());
        Assert.Contains("sandbox/build-image", warning["message"]!.GetValue<string>());
    }
}
