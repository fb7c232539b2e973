using System.IO.Compression;
using Serverless.Cli;
using Serverless.Platform.Packages;

namespace Serverless.Tests.Cli;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PackCommandTests : IDisposable
{
    private readonly CliRun _cli = new();

    public void Dispose() => _cli.Dispose();

    private async Task<string> ScaffoldAsync(string name = "hello-world")
    {
        var created = await _cli.RunAsync("new", name);
        Assert.True(created.ExitCode == ExitCodes.Ok, created.ToString());
        return _cli.PathOf(name);
    }

    private static List<ZipArchiveEntry> Entries(string zip) => [.. new ZipArchive(File.OpenRead(zip)).Entries];

    [Fact]
    public async Task ValidateAndPack_ManifestWithoutIdOrVersion_FolderNameIsTheIdAndZipIsNamedForUpload()
    {
        var root = _cli.PathOf("hello_world");
        Directory.CreateDirectory(root);
        await File.WriteAllTextAsync(Path.Combine(root, "manifest.json"), """{"name":"Hello","hooks":{"hi":{"constant":"hi"}}}""", TestContext.Current.CancellationToken);
        Directory.CreateDirectory(_cli.PathOf("Bad-Name"));
        File.Copy(Path.Combine(root, "manifest.json"), _cli.PathOf("Bad-Name/manifest.json"));

        var validated = await _cli.RunAsync("validate", root, "--json");
        var packed = await _cli.RunAsync("pack", root);
        var zipValidated = await _cli.RunAsync("validate", Path.Combine(root, "dist", "hello_world.zip"), "--json");
        var refused = await _cli.RunAsync("validate", _cli.PathOf("Bad-Name"));

        Assert.True(validated.ExitCode == ExitCodes.Ok, validated.ToString());
        Assert.Equal(("hello_world", "0.0.0"), (validated.Json["plugin"]!["id"]!.GetValue<string>(), validated.Json["plugin"]!["version"]!.GetValue<string>()));
        Assert.Equal(["$.id", "$.version"], validated.Json["warnings"]!.AsArray().Select(w => w!["path"]!.GetValue<string>()).Order());
        Assert.True(packed.ExitCode == ExitCodes.Ok, packed.ToString());
        Assert.Contains($"wrote {Path.Combine(root, "dist", "hello_world.zip")}", packed.Out);
        Assert.Equal("hello_world", zipValidated.Json["plugin"]!["id"]!.GetValue<string>());
        Assert.Equal(ExitCodes.Failed, refused.ExitCode);
        Assert.Contains("the file name 'Bad-Name' is not a plugin id", refused.Out);
    }

    [Fact]
    public async Task Pack_Twice_ByteIdenticalZips()
    {
        var root = await ScaffoldAsync();
        Directory.CreateDirectory(Path.Combine(root, "lib"));
        await File.WriteAllTextAsync(Path.Combine(root, "lib", "words.py"), "WORDS = ['hi'] * 1000\n", TestContext.Current.CancellationToken);

        var first = await _cli.RunAsync("pack", root, "-o", "first.zip");
        // Newer timestamps, other permissions: neither may reach the zip.
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddDays(3));
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        var second = await _cli.RunAsync("pack", root, "-o", "second.zip");

        Assert.True(first.ExitCode == ExitCodes.Ok, first.ToString());
        Assert.Equal(ExitCodes.Ok, second.ExitCode);
        Assert.Equal(await File.ReadAllBytesAsync(_cli.PathOf("first.zip"), TestContext.Current.CancellationToken), await File.ReadAllBytesAsync(_cli.PathOf("second.zip"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Pack_CopyMadeInOtherOrderElsewhere_SameBytes()
    {
        var root = await ScaffoldAsync();
        var copy = _cli.PathOf("elsewhere/copy");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.EnumerateFiles(root).OrderByDescending(path => path, StringComparer.Ordinal))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }

        var a = await _cli.RunAsync("pack", root, "-o", "a.zip", "--json");
        var b = await _cli.RunAsync("pack", copy, "-o", "b.zip", "--json");

        Assert.Equal(a.Json["sha256"]!.GetValue<string>(), b.Json["sha256"]!.GetValue<string>());
    }

    [Fact]
    public async Task Pack_Entries_SortedFixedTimeNormalizedModesDeflated()
    {
        var root = await ScaffoldAsync();
        var hook = Path.Combine(root, "bin", "run.sh");
        Directory.CreateDirectory(Path.GetDirectoryName(hook)!);
        await File.WriteAllTextAsync(hook, "#!/bin/sh\necho hi\n", TestContext.Current.CancellationToken);
        File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var result = await _cli.RunAsync("pack", root);

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        var zip = Path.Combine(root, "dist", "hello_world-0.1.0.zip");
        var entries = Entries(zip);
        var names = entries.Select(entry => entry.FullName).ToList();
        Assert.Equal(["README.md", "bin/run.sh", "manifest.json", "plugin.py"], names);
        Assert.All(entries, entry => Assert.Equal(new DateTime(1980, 1, 1), entry.LastWriteTime.DateTime));
        Assert.Equal(0b111_101_101, (entries.Single(entry => entry.Name == "run.sh").ExternalAttributes >> 16) & 0xFFF);
        Assert.All(entries.Where(entry => entry.Name != "run.sh"), entry => Assert.Equal(0x81A4, (entry.ExternalAttributes >> 16) & 0xFFFF));
        Assert.All(entries.Where(entry => entry.Length > 200), entry => Assert.True(entry.CompressedLength < entry.Length, entry.FullName));
    }

    [Fact]
    public async Task Pack_HiddenCacheTestsAndDist_LeftOut()
    {
        var root = await ScaffoldAsync();
        var extra = new Dictionary<string, string>
        {
            [".git/config"] = "[core]",
            [".env"] = "TOKEN=secret",
            [".DS_Store"] = "x",
            ["__pycache__/plugin.cpython-311.pyc"] = "x",
            ["lib/__pycache__/util.cpython-311.pyc"] = "x",
            ["lib/util.py"] = "X = 1\n",
            ["lib/stale.pyc"] = "x",
            ["dist/old.zip"] = "x",
            ["docs/tests/keep.md"] = "nested tests/ folders are kept",
        };
        foreach (var (path, content) in extra)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(root, path))!);
            await File.WriteAllTextAsync(Path.Combine(root, path), content, TestContext.Current.CancellationToken);
        }

        var result = await _cli.RunAsync("pack", root, "--json");

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        var files = result.Json["files"]!.AsArray().Select(file => file!.GetValue<string>()).ToList();
        Assert.Equal(["README.md", "docs/tests/keep.md", "lib/util.py", "manifest.json", "plugin.py"], files);
        Assert.Equal(files, Entries(result.Json["output"]!.GetValue<string>()).Select(entry => entry.FullName));
    }

    [Fact]
    public async Task Pack_InvalidPlugin_NotWrittenUnlessForce()
    {
        var root = await ScaffoldAsync();
        var manifest = Path.Combine(root, "manifest.json");
        await File.WriteAllTextAsync(manifest, (await File.ReadAllTextAsync(manifest, TestContext.Current.CancellationToken)).Replace("\"0.1.0\"", "\"not.a.version\""), TestContext.Current.CancellationToken);

        var refused = await _cli.RunAsync("pack", root, "-o", "out.zip");
        Assert.Equal(ExitCodes.Failed, refused.ExitCode);
        Assert.Contains(IssueCodes.InvalidVersion, refused.Out);
        Assert.Contains("not written", refused.Out);
        Assert.False(File.Exists(_cli.PathOf("out.zip")));

        var forced = await _cli.RunAsync("pack", root, "-o", "out.zip", "--force");
        Assert.Equal(ExitCodes.Failed, forced.ExitCode);
        Assert.True(File.Exists(_cli.PathOf("out.zip")));
    }

    [Fact]
    public async Task Pack_Symlink_RefusedAndNeverFollowed()
    {
        var root = await ScaffoldAsync();
        File.CreateSymbolicLink(Path.Combine(root, "passwd.txt"), "/etc/passwd");
        Directory.CreateSymbolicLink(Path.Combine(root, "etc"), "/etc");

        var result = await _cli.RunAsync("pack", root, "-o", "out.zip", "--force", "--json");

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        var errors = result.Json["errors"]!.AsArray();
        Assert.Contains(errors, error => error!["code"]!.GetValue<string>() == IssueCodes.NonRegularEntry && error["path"]!.GetValue<string>() == "passwd.txt");
        Assert.Contains(errors, error => error!["code"]!.GetValue<string>() == IssueCodes.NonRegularEntry && error["path"]!.GetValue<string>() == "etc");
        Assert.False(File.Exists(_cli.PathOf("out.zip")));
        Assert.DoesNotContain(result.Json["files"]!.AsArray(), file => file!.GetValue<string>().Contains("passwd"));
    }

    [Fact]
    public async Task Pack_NamedPipe_RefusedWithoutHanging()
    {
        var root = await ScaffoldAsync();
        var fifo = Path.Combine(root, "pipe");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        var result = await _cli.RunAsync("validate", root, "--json").WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.Contains(result.Json["errors"]!.AsArray(), error => error!["code"]!.GetValue<string>() == IssueCodes.NonRegularEntry && error["path"]!.GetValue<string>() == "pipe");
    }

    [Fact]
    public async Task Pack_File_UsageError()
    {
        await File.WriteAllTextAsync(_cli.PathOf("x.zip"), "x", TestContext.Current.CancellationToken);

        var result = await _cli.RunAsync("pack", "x.zip");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("pack takes the plugin folder", result.Error);
    }
}
