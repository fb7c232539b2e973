using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Serverless.Platform.Packages;
using Serverless.Tests.Packages.Fixtures;

namespace Serverless.Tests.Packages;

public class PackageValidatorTests
{
    private static readonly byte[] Manifest = PluginZip.Utf8(PluginZip.GreetManifest());
    private static readonly byte[] Code = Encoding.UTF8.GetBytes(PluginZip.GreetPlugin);

    static PackageValidatorTests()
    {
        // Warm up JIT and the lazily built Unicode tables so the budgets below measure the validator alone.
        new PackageValidator().Validate(new MemoryStream(PluginZip.Greet(moreFiles: new Dictionary<string, object> { ["é.txt"] = "x" })));
    }

    /// <summary>Validates under the issue's budget: under 1 s and under 100 MB allocated.</summary>
    internal static PackageReport Measure(byte[] zip, PackageLimits? limits = null)
    {
        var validator = new PackageValidator(limits ?? PackageLimits.Default);
        using var stream = new MemoryStream(zip, writable: false);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var report = validator.Validate(stream);
        clock.Stop();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"validation took {clock.Elapsed}");
        Assert.True(allocated < 100L * 1024 * 1024, $"validation allocated {allocated / 1024 / 1024} MB");
        return report;
    }

    private static RawEntry[] WithManifest(params RawEntry[] more) =>
        [new RawEntry("manifest.json", Manifest), new RawEntry("plugin.py", Code), .. more];

    private static void AssertRejected(PackageReport report, string code, string? path = null)
    {
        Assert.False(report.IsValid);
        Assert.True(report.Errors.Any(e => e.Code == code && (path is null || e.Path == path)),
            $"expected {code} at {path ?? "any path"}, got: {string.Join("; ", report.Errors.Select(e => $"{e.Code} {e.Path} {e.Message}"))}");
    }

    [Fact]
    public void Validate_GreetPlugin_ValidWithManifestAndFiles()
    {
        var report = Measure(PluginZip.Greet());
        Assert.True(report.IsValid, string.Join("; ", report.Errors));
        Assert.Equal("my_plugin", report.Manifest!.Id);
        Assert.Equal(["manifest.json", "plugin.py"], report.Files.Select(f => f.Path).Order());
    }

    [Fact]
    public void Validate_RawStoredAndDeflatedEntriesWithDirectories_Valid()
    {
        var report = Measure(RawZip.Write(WithManifest(
            new RawEntry("lib/", []) { Deflate = false },
            new RawEntry("lib/util.py", Encoding.UTF8.GetBytes("x = 1\n")) { Deflate = false },
            new RawEntry("lib/data.json", Encoding.UTF8.GetBytes("{}")))));
        Assert.True(report.IsValid, string.Join("; ", report.Errors));
        Assert.Empty(report.Warnings);
    }

    [Fact]
    public void Validate_NonSeekableStream_BuffersAndValidates()
    {
        var report = new PackageValidator().Validate(new NonSeekableStream(PluginZip.Greet()));
        Assert.True(report.IsValid);
    }

    [Theory]
    [InlineData("../evil.py")]
    [InlineData("lib/../../evil.py")]
    [InlineData("/etc/cron.d/evil")]
    [InlineData("C:/Windows/evil.dll")]
    [InlineData("c:evil")]
    [InlineData("lib\\..\\evil.py")]
    [InlineData("..")]
    public void Validate_PathTraversal_Rejected(string name) =>
        AssertRejected(Measure(RawZip.Write(WithManifest(new RawEntry(name, [1, 2, 3])))), IssueCodes.PathTraversal, name);

    [Theory]
    [InlineData("a\u0001b.py")]
    [InlineData("line\nbreak.py")]
    [InlineData("del\u007f.py")]
    [InlineData("c1\u0085.py")]
    [InlineData("a//b.py")]
    [InlineData("./a.py")]
    public void Validate_BadName_Rejected(string name) =>
        AssertRejected(Measure(RawZip.Write(WithManifest(new RawEntry(name, [1])))), IssueCodes.BadName, name);

    [Fact]
    public void Validate_NameNotUtf8_BadName() =>
        AssertRejected(Measure(RawZip.Write(WithManifest(new RawEntry("x", [1]) { RawName = [0x61, 0xFF, 0x62] }))), IssueCodes.BadName);

    [Theory]
    [InlineData(0xA1FFu, "symbolic links")]
    [InlineData(0x11A4u, "device, pipe or socket")]
    [InlineData(0x21A4u, "device, pipe or socket")]
    [InlineData(0x61A4u, "device, pipe or socket")]
    [InlineData(0xC1A4u, "device, pipe or socket")]
    [InlineData(0x41EDu, "disagrees")]
    public void Validate_NonRegularEntry_Rejected(uint mode, string message)
    {
        var report = Measure(RawZip.Write(WithManifest(new RawEntry("link", Encoding.UTF8.GetBytes("/etc/passwd")) { UnixMode = mode, Deflate = false })));
        AssertRejected(report, IssueCodes.NonRegularEntry, "link");
        Assert.Contains(message, report.Errors.First(e => e.Code == IssueCodes.NonRegularEntry).Message);
    }

    [Fact]
    public void Validate_WindowsReparsePoint_NonRegularEntry() =>
        AssertRejected(Measure(RawZip.Write(WithManifest(new RawEntry("link", [1]) { HostSystem = 0, UnixMode = 0, DosAttributes = 0x400 }))), IssueCodes.NonRegularEntry, "link");

    [Theory]
    [InlineData("dup.py", "dup.py")]
    [InlineData("Plugin.py", "plugin.py")]
    [InlineData("caf\u00e9.py", "cafe\u0301.py")]
    [InlineData("\u212Bngstrom.py", "\u00e5ngstrom.py")]
    [InlineData("\uD55C.txt", "\u1112\u1161\u11AB.txt")]
    [InlineData("\u03A3\u03B1.txt", "\u03C2\u03B1.txt")]
    [InlineData("LIB/x.py", "lib/X.py")]
    [InlineData("data", "data/x.txt")]
    [InlineData("data", "data/")]
    public void Validate_DuplicateAfterNormalizationAndCaseFolding_DuplicateEntry(string first, string second)
    {
        var report = Measure(RawZip.Write(WithManifest(new RawEntry(first, [1]), new RawEntry(second, second.EndsWith('/') ? [] : [2]) { Deflate = !second.EndsWith('/') })));
        AssertRejected(report, IssueCodes.DuplicateEntry);
    }

    [Fact]
    public void Validate_DifferentNames_NoDuplicate() =>
        Assert.True(Measure(RawZip.Write(WithManifest(new RawEntry("caf\u00e9.py", [1]), new RawEntry("cafe.py", [2]), new RawEntry("a/b", [3]), new RawEntry("a/c", [3])))).IsValid);

    [Theory]
    [InlineData((ushort)0x0801)]
    [InlineData((ushort)0x0841)]
    [InlineData((ushort)0x2800)]
    public void Validate_EncryptedFlag_EncryptedEntry(ushort flags) =>
        AssertRejected(Measure(RawZip.Write(WithManifest(new RawEntry("secret.py", [1, 2, 3]) { Flags = flags }))), IssueCodes.EncryptedEntry, "secret.py");

    [Fact]
    public void Validate_AesMethod99_EncryptedEntry() =>
        AssertRejected(Measure(RawZip.Write(WithManifest(new RawEntry("secret.py", [1, 2, 3]) { Method = 99, Deflate = false }))), IssueCodes.EncryptedEntry, "secret.py");

    [Theory]
    [InlineData((ushort)12)]
    [InlineData((ushort)14)]
    [InlineData((ushort)93)]
    [InlineData((ushort)9)]
    public void Validate_OtherCompression_UnsupportedCompression(ushort method) =>
        AssertRejected(Measure(RawZip.Write(WithManifest(new RawEntry("x.bin", [1, 2, 3]) { Method = method, Deflate = false }))), IssueCodes.UnsupportedCompression, "x.bin");

    [Fact]
    public void Validate_TwoEntriesSharingOneLocalHeader_OverlappingEntries() =>
        AssertRejected(Measure(RawZip.Write(WithManifest(new RawEntry("a.txt", new byte[1000]), new RawEntry("b.txt", new byte[1000]) { LocalHeaderOf = 2 }))), IssueCodes.OverlappingEntries);

    [Fact]
    public void Validate_DeclaredTotalOverLimit_TooLarge()
    {
        var limits = new PackageLimits { MaxUncompressedBytes = 4000 };
        AssertRejected(Measure(RawZip.Write(WithManifest(new RawEntry("a.bin", new byte[5000]) { Deflate = false })), limits), IssueCodes.TooLarge);
    }

    [Fact]
    public void Validate_DefaultLimit_SixEntriesDeclaring49MegabytesEach_TooLargeWithoutInflating()
    {
        var entries = Enumerable.Range(0, 6).Select(i => new RawEntry($"big{i}.bin", new byte[10]) { DeclaredUncompressed = 49L * 1024 * 1024 }).ToArray();
        var report = Measure(RawZip.Write(WithManifest(entries)));
        AssertRejected(report, IssueCodes.TooLarge, "");
    }

    [Fact]
    public void Validate_CompressedFileOverLimit_TooLarge()
    {
        var report = Measure(PluginZip.Greet(), new PackageLimits { MaxCompressedBytes = 100 });
        AssertRejected(report, IssueCodes.TooLarge);
    }

    [Fact]
    public void Validate_EntryCountOverLimit_TooManyEntries()
    {
        var entries = Enumerable.Range(0, 9).Select(i => new RawEntry($"f{i}.txt", [1])).ToArray();
        AssertRejected(Measure(RawZip.Write(WithManifest(entries)), new PackageLimits { MaxEntries = 10 }), IssueCodes.TooManyEntries);
    }

    [Fact]
    public void Validate_TenMegabytesOfZeros_CompressionRatio()
    {
        var report = Measure(RawZip.Write(WithManifest(new RawEntry("zeros.bin", new byte[10 * 1024 * 1024]))));
        AssertRejected(report, IssueCodes.CompressionRatio, "zeros.bin");
    }

    [Fact]
    public void Validate_SmallHighlyCompressibleFile_NotARatioProblem() =>
        Assert.True(Measure(RawZip.Write(WithManifest(new RawEntry("spaces.txt", Encoding.ASCII.GetBytes(new string(' ', 500_000)))))).IsValid);

    [Fact]
    public void Validate_FileOverPerFileLimit_FileTooLarge() =>
        AssertRejected(Measure(RawZip.Write(WithManifest(new RawEntry("big.bin", new byte[5000]) { Deflate = false })), new PackageLimits { MaxFileBytes = 4096 }), IssueCodes.FileTooLarge, "big.bin");

    [Fact]
    public void Validate_InflatesBeyondDeclaredSize_SizeMismatchAndStopsAtCap()
    {
        var data = Encoding.ASCII.GetBytes(new string('a', 200_000));
        var report = Measure(RawZip.Write(WithManifest(new RawEntry("liar.txt", data) { DeclaredUncompressed = 100 })));
        AssertRejected(report, IssueCodes.SizeMismatch, "liar.txt");
    }

    [Fact]
    public void Validate_InflatesShortOfDeclaredSize_SizeMismatch() =>
        AssertRejected(Measure(RawZip.Write(WithManifest(new RawEntry("short.txt", new byte[100]) { DeclaredUncompressed = 1000 }))), IssueCodes.SizeMismatch, "short.txt");

    [Fact]
    public void Validate_StoredSizesDisagree_SizeMismatch() =>
        AssertRejected(Measure(RawZip.Write(WithManifest(new RawEntry("s.txt", new byte[100]) { Deflate = false, DeclaredUncompressed = 50 }))), IssueCodes.SizeMismatch, "s.txt");

    [Fact]
    public void Validate_WrongCrc_CrcMismatch() =>
        AssertRejected(Measure(RawZip.Write(WithManifest(new RawEntry("c.txt", [1, 2, 3]) { Crc = 12345 }))), IssueCodes.CrcMismatch, "c.txt");

    [Fact]
    public void Validate_CorruptDeflateData_BadZip() =>
        AssertRejected(Measure(RawZip.Write(WithManifest(new RawEntry("c.txt", [1, 2, 3]) { Compressed = [0xFF, 0xFF, 0xFF, 0xFF] }))), IssueCodes.BadZip, "c.txt");

    [Fact]
    public void Validate_LocalNameDiffersFromCentralName_BadZip() =>
        AssertRejected(Measure(RawZip.Write(WithManifest(new RawEntry("innocent.txt", [1]) { LocalName = "../../evil.sh" }))), IssueCodes.BadZip, "innocent.txt");

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 1, 2, 3 })]
    public void Validate_NotAZip_BadZip(byte[] bytes) => AssertRejected(Measure(bytes), IssueCodes.BadZip);

    [Fact]
    public void Validate_TrailingGarbage_BadZip() =>
        AssertRejected(Measure(RawZip.Write(WithManifest(), appendGarbage: true)), IssueCodes.BadZip);

    [Fact]
    public void Validate_Truncated_BadZip()
    {
        var zip = PluginZip.Greet();
        AssertRejected(Measure(zip[..(zip.Length / 2)]), IssueCodes.BadZip);
    }

    [Fact]
    public void Validate_NoManifest_ManifestMissing() =>
        AssertRejected(Measure(RawZip.Write([new RawEntry("plugin.py", Code)])), IssueCodes.ManifestMissing, "manifest.json");

    [Fact]
    public void Validate_ManifestInsideFolder_ManifestMissingWithHint()
    {
        var report = Measure(RawZip.Write([new RawEntry("my_plugin/manifest.json", Manifest), new RawEntry("my_plugin/plugin.py", Code)]));
        AssertRejected(report, IssueCodes.ManifestMissing);
        Assert.Contains("zip the folder's contents", report.Errors.Single().Message);
    }

    [Fact]
    public void Validate_ManifestLatin1_ManifestEncoding() =>
        AssertRejected(Measure(RawZip.Write([new RawEntry("manifest.json", Encoding.Latin1.GetBytes("""{"id":"a","version":"1","name":"Café"}"""))])), IssueCodes.ManifestEncoding);

    [Fact]
    public void Validate_ManifestNotJson_ManifestJson() =>
        AssertRejected(Measure(RawZip.Write([new RawEntry("manifest.json", "{\"id\":"u8.ToArray())])), IssueCodes.ManifestJson);

    [Fact]
    public void Validate_ManifestOverLimit_ManifestTooLarge() =>
        AssertRejected(Measure(RawZip.Write([new RawEntry("manifest.json", new byte[2 * 1024 * 1024]) { Deflate = false }])), IssueCodes.ManifestTooLarge);

    [Fact]
    public void Validate_EntrypointNotInZip_EntrypointMissing() =>
        AssertRejected(Measure(RawZip.Write([new RawEntry("manifest.json", Manifest)])), IssueCodes.EntrypointMissing, "$.entrypoint");

    [Fact]
    public void Validate_ExecutableHookFileNotInZip_HookExecutableMissing()
    {
        var manifest = PluginZip.Manifest(extra: new JsonObject
        {
            ["hooks"] = new JsonObject
            {
                ["present"] = new JsonObject { ["executable"] = "${PLUGIN_DIR}/bin/run" },
                ["absent"] = new JsonObject { ["executable"] = "${PLUGIN_DIR}/bin/gone" },
            },
        });
        var report = Measure(RawZip.Write([new RawEntry("manifest.json", PluginZip.Utf8(manifest)), new RawEntry("bin/run", [1])]));
        var error = Assert.Single(report.Errors);
        Assert.Equal((IssueCodes.HookExecutableMissing, "$.hooks.absent.executable"), (error.Code, error.Path));
    }

    [Fact]
    public void Validate_ManifestErrors_ReportedWithJsonPaths()
    {
        var manifest = PluginZip.GreetManifest();
        manifest["slash_commands"]![0]!["name"] = "Greet";
        var report = Measure(PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = manifest, ["plugin.py"] = PluginZip.GreetPlugin }));
        AssertRejected(report, IssueCodes.InvalidCommand, "$.slash_commands[0].name");
    }

    [Fact]
    public void Validate_SeveralProblems_CollectsThemAll()
    {
        var report = Measure(RawZip.Write(
        [
            new RawEntry("../a", [1]),
            new RawEntry("b", [1]) { UnixMode = 0xA1FF },
            new RawEntry("c", [1]) { Flags = 0x0801 },
            new RawEntry("d", [1]) { Crc = 7 },
            new RawEntry("D", [1]),
        ]));
        var codes = report.Errors.Select(e => e.Code).ToHashSet();
        Assert.Superset(new HashSet<string> { IssueCodes.PathTraversal, IssueCodes.NonRegularEntry, IssueCodes.EncryptedEntry, IssueCodes.CrcMismatch, IssueCodes.DuplicateEntry, IssueCodes.ManifestMissing }, codes);
    }

    [Fact]
    public void Validate_ThousandsOfBadEntries_ReportStaysShort()
    {
        var entries = Enumerable.Range(0, 5000).Select(i => new RawEntry($"../x{i}", [])).ToArray();
        var report = Measure(RawZip.Write(entries));
        var traversal = report.Errors.Where(e => e.Code == IssueCodes.PathTraversal).ToList();
        Assert.Equal(IssueList.MaxPerCode + 1, traversal.Count);
        Assert.Contains("4980 more", traversal[^1].Message);
    }

    [Fact]
    public void Validate_NestedZip_WarningAndNotExtracted()
    {
        var inner = PluginZip.Greet("inner");
        var report = Measure(PluginZip.Greet(moreFiles: new Dictionary<string, object> { ["vendor/lib.zip"] = inner, ["data.bin"] = inner }));
        Assert.True(report.IsValid);
        Assert.Equal(["data.bin", "vendor/lib.zip"], report.Warnings.Where(w => w.Code == IssueCodes.NestedArchive).Select(w => w.Path).Order());
    }

    [Fact]
    public void ToJson_RejectedReport_HasContractShape()
    {
        var report = Measure(RawZip.Write([new RawEntry("manifest.json", Manifest), new RawEntry("../x", [1])]));
        using var json = JsonDocument.Parse(report.ToJson("rejected"));
        var root = json.RootElement;
        Assert.Equal("rejected", root.GetProperty("status").GetString());
        Assert.Equal("my_plugin", root.GetProperty("plugin").GetProperty("id").GetString());
        Assert.Equal("1.0.0", root.GetProperty("plugin").GetProperty("version").GetString());
        var errors = root.GetProperty("errors").EnumerateArray().ToList();
        Assert.Contains(errors, e => e.GetProperty("code").GetString() == IssueCodes.PathTraversal && e.GetProperty("path").GetString() == "../x" && e.GetProperty("message").GetString()!.Length > 0);
        Assert.Equal(JsonValueKind.Array, root.GetProperty("warnings").ValueKind);
    }

    [Fact]
    public void ToJson_NoManifest_PluginIsNull()
    {
        using var json = JsonDocument.Parse(Measure([1, 2, 3]).ToJson("rejected"));
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("plugin").ValueKind);
    }

    // --- extraction ---

    private static string FreshPath() => Path.Combine(Path.GetTempPath(), "pkgtest-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task ExtractAsync_ValidPlugin_WritesFilesIntoNewFolder()
    {
        var destination = FreshPath();
        try
        {
            var manifest = PluginZip.Manifest(extra: new JsonObject { ["hooks"] = new JsonObject { ["run"] = new JsonObject { ["executable"] = "${PLUGIN_DIR}/bin/run" } } });
            var zip = PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = manifest, ["bin/run"] = "#!/bin/sh\n", ["lib/a/b.txt"] = "deep" });
            var report = await new PackageValidator().ExtractAsync(new MemoryStream(zip), destination, cancellationToken: TestContext.Current.CancellationToken);
            Assert.True(report.IsValid, string.Join("; ", report.Errors));
            Assert.Equal("deep", await File.ReadAllTextAsync(Path.Combine(destination, "lib/a/b.txt"), TestContext.Current.CancellationToken));
            Assert.Equal(["bin/run", "lib/a/b.txt", "manifest.json"],
                Directory.EnumerateFiles(destination, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(destination, f).Replace('\\', '/')).Order());
            if (!OperatingSystem.IsWindows())
            {
                Assert.True(File.GetUnixFileMode(Path.Combine(destination, "bin/run")).HasFlag(UnixFileMode.UserExecute));
            }
        }
        finally
        {
            if (Directory.Exists(destination))
            {
                Directory.Delete(destination, recursive: true);
            }
        }
    }

    [Fact]
    public async Task ExtractAsync_ExistingDestination_Throws()
    {
        var destination = Directory.CreateTempSubdirectory().FullName;
        try
        {
            await Assert.ThrowsAsync<IOException>(() => new PackageValidator().ExtractAsync(new MemoryStream(PluginZip.Greet()), destination, cancellationToken: TestContext.Current.CancellationToken));
        }
        finally
        {
            Directory.Delete(destination, recursive: true);
        }
    }

    [Theory]
    [InlineData("crc")]
    [InlineData("traversal")]
    [InlineData("manifest")]
    public async Task ExtractAsync_InvalidZip_LeavesNothingBehind(string attack)
    {
        var destination = FreshPath();
        var zip = attack switch
        {
            "crc" => RawZip.Write(WithManifest(new RawEntry("z.txt", [1, 2]) { Crc = 1 })),
            "traversal" => RawZip.Write(WithManifest(new RawEntry("../../outside.txt", [1]))),
            _ => RawZip.Write([new RawEntry("manifest.json", "{"u8.ToArray()), new RawEntry("plugin.py", Code)]),
        };
        var report = await new PackageValidator().ExtractAsync(new MemoryStream(zip), destination, cancellationToken: TestContext.Current.CancellationToken);
        Assert.False(report.IsValid);
        Assert.False(Directory.Exists(destination));
        Assert.False(File.Exists(Path.Combine(Path.GetTempPath(), "outside.txt")));
    }

    private static PackageReport ValidateFiles(IReadOnlyDictionary<string, object> files, string? fallbackId = null) =>
        new PackageValidator().Validate(new MemoryStream(PluginZip.Build(files)), fallbackId);

    [Fact]
    public void Validate_PluginPyWithoutDeclaredCommandsCronsOrEvents_EntrypointIsPluginPy()
    {
        var report = ValidateFiles(new Dictionary<string, object> { ["manifest.json"] = PluginZip.Manifest("timed"), ["plugin.py"] = "@plugin.schedule(30)\ndef tick(ctx):\n    pass\n" });

        Assert.True(report.IsValid, string.Join("; ", report.Errors));
        Assert.Equal(PluginManifest.DefaultEntrypoint, report.Manifest!.Entrypoint);
    }

    [Theory]
    [InlineData("""{"executable":"${PLUGIN_DIR}/plugin.py"}""", null)]
    [InlineData("""{"executable":"python3","args":["${PLUGIN_DIR}/plugin.py"]}""", null)]
    [InlineData("""{"constant":"hi"}""", "plugin.py")]
    public void Validate_PluginPyAndHooks_EntrypointUnlessAHookRunsIt(string hook, string? entrypoint)
    {
        var manifest = PluginZip.Manifest("hooked", extra: new JsonObject { ["hooks"] = new JsonObject { ["hi"] = JsonNode.Parse(hook) } });
        var report = ValidateFiles(new Dictionary<string, object> { ["manifest.json"] = manifest, ["plugin.py"] = "print('hi')\n" });

        Assert.True(report.IsValid, string.Join("; ", report.Errors));
        Assert.Equal(entrypoint, report.Manifest!.Entrypoint);
    }

    [Fact]
    public void Validate_EntrypointNullWithPluginPy_StaysWithoutCode()
    {
        var manifest = PluginZip.Manifest("declared", extra: new JsonObject { ["entrypoint"] = null });
        var report = ValidateFiles(new Dictionary<string, object> { ["manifest.json"] = manifest, ["plugin.py"] = "" });

        Assert.Null(report.Manifest!.Entrypoint);
    }

    [Theory]
    [InlineData("message_create")]
    [InlineData("message_edit")]
    public void Validate_ManifestMessageEventWithoutReadContent_WarnsContentWithoutCapability(string eventName)
    {
        var manifest = PluginZip.Manifest("reader", extra: new JsonObject { ["events"] = new JsonArray(eventName, "member_join") });
        var report = ValidateFiles(new Dictionary<string, object> { ["manifest.json"] = manifest, ["plugin.py"] = "" });

        Assert.True(report.IsValid, string.Join("; ", report.Errors));
        var warning = Assert.Single(report.Warnings, w => w.Code == IssueCodes.ContentWithoutCapability);
        Assert.Equal("$.events", warning.Path);
        Assert.Contains($"{eventName} handler will see content: ''", warning.Message);
        Assert.Contains("add \"messages:read_content\" to \"capabilities_required\"", warning.Message);
    }

    [Fact]
    public void Validate_ManifestMessageEventWithReadContent_NoContentWarning()
    {
        var manifest = PluginZip.Manifest("reader", extra: new JsonObject { ["events"] = new JsonArray("message_create"), ["capabilities_required"] = new JsonArray("messages:read_content") });
        var report = ValidateFiles(new Dictionary<string, object> { ["manifest.json"] = manifest, ["plugin.py"] = "" });

        Assert.DoesNotContain(report.Warnings, w => w.Code == IssueCodes.ContentWithoutCapability);
    }

    /// <summary>The manifest-and-hooks document's example: every field optional, no id and no version.</summary>
    [Fact]
    public void Validate_Seed004ShapedManifestWithoutIdOrVersion_ValidWithFallbacks()
    {
        var manifest = JsonNode.Parse("""
            {
              "name": "Exporter",
              "description": "Exports things",
              "mcvm_version": "1.0.0",
              "hooks": { "export": { "executable": "${PLUGIN_DIR}/bin/export", "args": ["--json"] }, "greeting": { "constant": "hi" } },
              "subcommands": { "export": "Export data" },
              "dependencies": ["my_library"],
              "protocol_version": 1,
              "raw_transfer": false
            }
            """)!;
        var report = ValidateFiles(new Dictionary<string, object> { ["manifest.json"] = manifest, ["bin/export"] = "#!/bin/sh\necho '{}'\n" }, fallbackId: "exporter");

        Assert.True(report.IsValid, string.Join("; ", report.Errors));
        Assert.Equal(("exporter", "0.0.0", "Exporter"), (report.Manifest!.Id, report.Manifest.Version.Text, report.Manifest.Name));
        Assert.Equal(["$.id", "$.version"], report.Warnings.Where(w => w.Code == IssueCodes.FieldFallback).Select(w => w.Path).Order());
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
