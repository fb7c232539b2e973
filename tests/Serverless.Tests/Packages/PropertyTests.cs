using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Serverless.Platform.Packages;
using Serverless.Tests.Packages.Fixtures;

namespace Serverless.Tests.Packages;

/// <summary>
/// Fuzzing with FsCheck: whatever bytes arrive, the parser and the validator return a verdict
/// and never throw. A thrown exception fails the property and FsCheck prints the shrunk input.
/// </summary>
public class PropertyTests
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(400).WithQuietOnSuccess(true);

    private static readonly byte[] ValidZip = PluginZip.Build(new Dictionary<string, object>
    {
        ["manifest.json"] = ValidManifests.Everything,
        ["src/plugin.py"] = PluginZip.GreetPlugin,
        ["bin/export"] = "#!/bin/sh\necho ok\n",
        ["assets/readme.txt"] = new string('x', 3000),
    });

    private static readonly byte[] StoredZip = RawZip.Write(
    [
        new RawEntry("manifest.json", Encoding.UTF8.GetBytes(ValidManifests.Seed000)) { Deflate = false },
        new RawEntry("plugin.py", Encoding.UTF8.GetBytes(PluginZip.GreetPlugin)) { Deflate = false },
    ]);

    /// <summary>Between 1 and 8 byte edits (overwrite, insert, delete) at random places, or a truncation.</summary>
    private static Gen<byte[]> Mutations(byte[] original) =>
        from count in Gen.Choose(1, 8)
        from edits in Gen.ArrayOf(Gen.Zip(Gen.Zip(Gen.Choose(0, original.Length - 1), Gen.Choose(0, 255)), Gen.Choose(0, 9)), count)
        from truncate in Gen.Frequency((9, Gen.Constant(-1)), (1, Gen.Choose(0, original.Length)))
        select Mutate(original, edits, truncate);

    private static byte[] Mutate(byte[] original, ((int Position, int Value) Edit, int Kind)[] edits, int truncate)
    {
        var bytes = new List<byte>(original);
        foreach (var ((position, value), kind) in edits)
        {
            var at = Math.Min(position, bytes.Count - 1);
            if (at < 0)
            {
                break;
            }
            switch (kind)
            {
                case 0: bytes.Insert(at, (byte)value); break;
                case 1: bytes.RemoveAt(at); break;
                case 2: bytes[at] = 0xFF; break;
                default: bytes[at] = (byte)value; break;
            }
        }
        return truncate >= 0 && truncate < bytes.Count ? [.. bytes.Take(truncate)] : [.. bytes];
    }

    private static readonly string[] JsonPieces =
    [
        "{", "}", "[", "]", ",", ":", "\"id\"", "\"version\"", "\"slash_commands\"", "\"options\"", "\"choices\"", "\"hooks\"",
        "\"constant\"", "\"executable\"", "\"crons\"", "\"spec\"", "\"response\"", "\"type\"", "\"name\"", "\"description\"",
        "\"dependencies\"", "\"entrypoint\"", "\"1.0.0\"", "\">=1 <2\"", "\"*/5 * * * *\"", "\"my_plugin\"", "1", "2", "11",
        "-1", "1e400", "0.5", "true", "false", "null", "\"\\u0000\"", "\"${PLUGIN_DIR}/../x\"", "\"modal\"", "\"message\"",
    ];

    private static Gen<byte[]> JsonSoup() =>
        Gen.ArrayOf(Gen.Elements(JsonPieces)).Select(pieces => Encoding.UTF8.GetBytes(string.Concat(pieces)));

    private static void NeverThrows(Gen<byte[]> inputs, Action<byte[]> action) =>
        Check.One(Runs, Prop.ForAll(inputs.ToArbitrary(), bytes =>
        {
            action(bytes);
            return true;
        }));

    private static Gen<byte[]> RandomBytes() => ArbMap.Default.GeneratorFor<byte[]>();

    [Fact]
    public void ManifestParser_RandomBytes_NeverThrows() => NeverThrows(RandomBytes(), bytes => ManifestParser.Parse(bytes));

    [Fact]
    public void ManifestParser_JsonSoup_NeverThrows() => NeverThrows(JsonSoup(), bytes => ManifestParser.Parse(bytes));

    [Fact]
    public void ManifestParser_MutatedValidManifest_NeverThrows() =>
        NeverThrows(Mutations(Encoding.UTF8.GetBytes(ValidManifests.Everything)), bytes => ManifestParser.Parse(bytes));

    [Fact]
    public void ManifestParser_StructuredRandomManifest_NeverThrowsAndValidMeansUsable() =>
        Check.One(Runs, Prop.ForAll(ManifestGen().ToArbitrary(), json =>
        {
            var result = ManifestParser.Parse(Encoding.UTF8.GetBytes(json));
            return !result.IsValid || (result.Manifest is not null && result.Errors.Count == 0);
        }));

    /// <summary>Manifests that are mostly right, with fields drawn from plausible and implausible values.</summary>
    private static Gen<string> ManifestGen()
    {
        var ids = Gen.Elements("my_plugin", "MyPlugin", "", "a b", "platform", "x");
        var versions = Gen.Elements("1.0.0", "2.0", "1.2.3-pre4", "1..0", "", "v1");
        var requirements = Gen.Elements(">=1.0.0 <2.0", "*", "1.0.*", "2.7.x", "^1", "~", "1.*.3", "");
        var names = Gen.Elements("greet", "Greet", "", "a-b", "x y", new string('n', 40));
        var types = Gen.Elements("1", "2", "3", "4", "5", "10", "12", "\"3\"");
        var option = from name in names from type in types from required in Gen.Elements("true", "false", "1")
                     select $$"""{"name":"{{name}}","description":"d","type":{{type}},"required":{{required}}}""";
        var command = from name in names from options in Gen.ListOf(option, 3)
                      select $$"""{"name":"{{name}}","description":"d","options":[{{string.Join(',', options)}}]}""";
        return from id in ids
               from version in versions
               from requirement in requirements
               from commands in Gen.ListOf(command, 3)
               from spec in Gen.Elements("* * * * *", "0 9 * * 1", "bad", "0 0 0 0 0")
               select $$"""
                   {"id":"{{id}}","version":"{{version}}","dependencies":{"dep":"{{requirement}}"},
                    "slash_commands":[{{string.Join(',', commands)}}],
                    "crons":[{"id":"c","spec":"{{spec}}","handler":"h"}]}
                   """;
    }

    [Fact]
    public void PackageValidator_RandomBytes_NeverThrows() =>
        NeverThrows(RandomBytes(), bytes => new PackageValidator().Validate(new MemoryStream(bytes)));

    [Fact]
    public void PackageValidator_MutatedDeflatedZip_NeverThrows() =>
        NeverThrows(Mutations(ValidZip), bytes => new PackageValidator().Validate(new MemoryStream(bytes)));

    [Fact]
    public void PackageValidator_MutatedStoredZip_NeverThrows() =>
        NeverThrows(Mutations(StoredZip), bytes => new PackageValidator().Validate(new MemoryStream(bytes)));

    [Fact]
    public void PackageValidator_MutatedZip_AnyAcceptedZipStillExtractsCleanly() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(60).WithQuietOnSuccess(true), Prop.ForAll(Mutations(StoredZip).ToArbitrary(), bytes =>
        {
            var destination = Path.Combine(Path.GetTempPath(), "pkgfuzz-" + Guid.NewGuid().ToString("N"));
            try
            {
                var report = new PackageValidator().ExtractAsync(new MemoryStream(bytes), destination).GetAwaiter().GetResult();
                return report.IsValid == Directory.Exists(destination);
            }
            finally
            {
                if (Directory.Exists(destination))
                {
                    Directory.Delete(destination, recursive: true);
                }
            }
        }));
}
