using System.Text.Json.Nodes;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Infra;

/// <summary>
/// Every <c>*.bicep</c> of a folder, built and linted once (one <c>bicep build</c> and one <c>bicep lint</c>,
/// side by side): the ARM JSON of each template that built, and what the compiler and the linter said
/// about each file. Keys are paths relative to the folder, with '/' (<c>modules/storage.bicep</c>).
/// </summary>
internal sealed class CompiledTemplates
{
    private readonly IReadOnlyDictionary<string, ArmTemplate> _templates;

    private CompiledTemplates(IReadOnlyList<string> files, IReadOnlyDictionary<string, ArmTemplate> templates,
        IReadOnlyList<BicepDiagnostic> build, IReadOnlyList<BicepDiagnostic> lint, string sourceDirectory)
    {
        Files = files;
        _templates = templates;
        BuildDiagnostics = build;
        LintDiagnostics = lint;
        SourceDirectory = sourceDirectory;
    }

    public string SourceDirectory { get; }

    public IReadOnlyList<string> Files { get; }

    public IReadOnlyList<BicepDiagnostic> BuildDiagnostics { get; }

    public IReadOnlyList<BicepDiagnostic> LintDiagnostics { get; }

    public ArmTemplate this[string file] =>
        _templates.TryGetValue(file, out var template) ? template : throw new KeyNotFoundException($"{file} did not build: {string.Join("; ", BuildOf(file))}");

    public bool Built(string file) => _templates.ContainsKey(file);

    public IReadOnlyList<BicepDiagnostic> BuildOf(string file) => BuildDiagnostics.Where(d => Relative(d.File) == file).ToArray();

    public IReadOnlyList<BicepDiagnostic> LintOf(string file) => LintDiagnostics.Where(d => Relative(d.File) == file).ToArray();

    private string Relative(string path) => Path.GetRelativePath(SourceDirectory, path).Replace('\\', '/');

    public static async Task<CompiledTemplates> CompileAsync(string sourceDirectory)
    {
        sourceDirectory = Path.GetFullPath(sourceDirectory);
        var files = Directory.EnumerateFiles(sourceDirectory, "*.bicep", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(sourceDirectory, path).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToArray();
        var outDirectory = Directory.CreateTempSubdirectory("bicep-build-").FullName;
        try
        {
            var build = Bicep.BuildAsync(sourceDirectory, outDirectory);
            var lint = Bicep.LintAsync(sourceDirectory);
            await Task.WhenAll(build, lint);

            var templates = new Dictionary<string, ArmTemplate>(StringComparer.Ordinal);
            foreach (var file in files)
            {
                var json = Path.Combine(outDirectory, Path.ChangeExtension(file, ".json"));
                if (File.Exists(json))
                {
                    templates[file] = new ArmTemplate(file, JsonNode.Parse(await File.ReadAllTextAsync(json))!.AsObject());
                }
            }
            return new CompiledTemplates(files, templates, await build, await lint, sourceDirectory);
        }
        finally
        {
            Directory.Delete(outDirectory, recursive: true);
        }
    }
}

/// <summary>The templates under <c>infra/</c>, compiled once for every infra test.</summary>
public sealed class InfraTemplates : IAsyncLifetime
{
    public const string Collection = "Infra templates";

    internal CompiledTemplates Compiled { get; private set; } = null!;

    internal ArmTemplate Main => Compiled["main.bicep"];

    internal ArmTemplate Module(string name) => Compiled[$"modules/{name}.bicep"];

    public async ValueTask InitializeAsync() => Compiled = await CompiledTemplates.CompileAsync(Path.Combine(RepoPaths.Root, "infra"));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

[CollectionDefinition(InfraTemplates.Collection)]
public sealed class InfraTemplatesCollection : ICollectionFixture<InfraTemplates>;
