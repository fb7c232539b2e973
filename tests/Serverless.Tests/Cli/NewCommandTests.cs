using System.Diagnostics;
using Serverless.Cli;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Cli;

public sealed class NewCommandTests : IDisposable
{
    private readonly CliRun _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task New_ThenValidate_Valid()
    {
        var created = await _cli.RunAsync("new", "hello-world");
        Assert.True(created.ExitCode == ExitCodes.Ok, created.ToString());

        var validated = await _cli.RunAsync("validate", "hello-world", "--json");

        Assert.True(validated.ExitCode == ExitCodes.Ok, validated.ToString());
        Assert.Equal("valid", validated.Json["status"]!.GetValue<string>());
        Assert.Equal("hello_world", validated.Json["plugin"]!["id"]!.GetValue<string>());
        Assert.Equal("0.1.0", validated.Json["plugin"]!["version"]!.GetValue<string>());
        Assert.Empty(validated.Json["warnings"]!.AsArray());
    }

    [Fact]
    public async Task New_Scaffold_HasSeedStyleFiles()
    {
        var created = await _cli.RunAsync("new", "greeter", "--dir", "somewhere/else", "--json");

        Assert.Equal(ExitCodes.Ok, created.ExitCode);
        var root = _cli.PathOf("somewhere/else");
        Assert.Equal(root, created.Json["directory"]!.GetValue<string>());
        foreach (var file in new[] { "manifest.json", "plugin.py", "README.md", "tests/test_plugin.py" })
        {
            Assert.True(File.Exists(Path.Combine(root, file)), file);
        }
        var code = await File.ReadAllTextAsync(Path.Combine(root, "plugin.py"), TestContext.Current.CancellationToken);
        Assert.Contains("from mmo_maid_sdk import Context, Plugin", code);
        Assert.Contains("@plugin.on_slash_command(\"greet\")", code);
        Assert.Contains("\"slash_commands\"", await File.ReadAllTextAsync(Path.Combine(root, "manifest.json"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task New_ScaffoldTest_PassesWithUnittest()
    {
        await _cli.RunAsync("new", "hello-world");
        var start = new ProcessStartInfo("python3", ["-m", "unittest", "-v"])
        {
            WorkingDirectory = _cli.PathOf("hello-world"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["PYTHONPATH"] = Path.Combine(RepoPaths.Root, "sandbox", "sdk");
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";

        using var python = Process.Start(start)!;
        var stdout = python.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = await python.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await python.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.True(python.ExitCode == 0, stderr + await stdout);
        Assert.Contains("Ran 2 tests", stderr);
        Assert.Matches(@"test_greet_greets_the_caller .*\.\.\. ok", stderr);
    }

    [Fact]
    public async Task New_ScaffoldTest_FailsWhenHandlerBreaks()
    {
        await _cli.RunAsync("new", "hello-world");
        var plugin = _cli.PathOf("hello-world/plugin.py");
        await File.WriteAllTextAsync(plugin, (await File.ReadAllTextAsync(plugin, TestContext.Current.CancellationToken)).Replace("{message}\")", "{message}!\")"), TestContext.Current.CancellationToken);
        var start = new ProcessStartInfo("python3", ["-m", "unittest"]) { WorkingDirectory = _cli.PathOf("hello-world"), RedirectStandardError = true, RedirectStandardOutput = true };
        start.Environment["PYTHONPATH"] = Path.Combine(RepoPaths.Root, "sandbox", "sdk");
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";

        using var python = Process.Start(start)!;
        var stderr = await python.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await python.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.NotEqual(0, python.ExitCode);
        Assert.Contains("FAILED", stderr);
    }

    [Theory]
    [InlineData("MyPlugin")]
    [InlineData("a cool plugin")]
    [InlineData("platform")]
    public async Task New_NameBreaksIdRule_UsageErrorAndNothingWritten(string name)
    {
        var result = await _cli.RunAsync("new", name);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("plugin id", result.Error);
        Assert.False(Directory.Exists(_cli.PathOf(name)));
    }

    [Fact]
    public async Task New_FolderNotEmpty_UsageError()
    {
        Directory.CreateDirectory(_cli.PathOf("taken"));
        await File.WriteAllTextAsync(_cli.PathOf("taken/keep.txt"), "mine", TestContext.Current.CancellationToken);

        var result = await _cli.RunAsync("new", "taken", "--json");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal("error", result.Json["status"]!.GetValue<string>());
        Assert.Equal("mine", await File.ReadAllTextAsync(_cli.PathOf("taken/keep.txt"), TestContext.Current.CancellationToken));
    }
}
