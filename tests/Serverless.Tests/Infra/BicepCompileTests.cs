using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Infra;

/// <summary>
/// Every template under <c>infra/</c> builds with the real Bicep compiler, and neither the compiler nor
/// <c>bicep lint</c> has anything to say about it: a warning counts as an error. Then the house rules the
/// linter does not have (<see cref="TemplateChecks"/>) hold on the compiled ARM JSON.
/// </summary>
[Collection(InfraTemplates.Collection)]
public sealed class BicepCompileTests(InfraTemplates infra)
{
    public static TheoryData<string> BicepFiles() =>
        [.. Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "infra"), "*.bicep", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(Path.Combine(RepoPaths.Root, "infra"), path).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)];

    [Fact]
    public void BicepFiles_AreAllFound()
    {
        var files = BicepFiles().Select(row => row.Data).ToArray();

        Assert.Contains("main.bicep", files);
        Assert.True(files.Length >= 10, $"only {files.Length} Bicep files under infra/");
        Assert.Equal(files, infra.Compiled.Files);
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public void Template_BuildsWithoutDiagnostics(string file)
    {
        Assert.Empty(infra.Compiled.BuildOf(file).Select(d => d.ToString()));
        Assert.True(infra.Compiled.Built(file), $"{file} produced no ARM JSON");
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public void Template_LintsWithoutWarnings(string file)
    {
        Assert.Empty(infra.Compiled.LintOf(file).Select(d => d.ToString()));
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public void Template_FollowsTheHouseRules(string file)
    {
        Assert.Empty(TemplateChecks.Problems(infra.Compiled[file]));
    }

    [Fact]
    public void MainBicep_IsSubscriptionScopedAndCreatesTheResourceGroup()
    {
        Assert.Contains("subscriptionDeploymentTemplate.json", infra.Main.Schema);
        infra.Main.SingleResource("Microsoft.Resources/resourceGroups");
    }
}

/// <summary>
/// The checks above can fail: a folder with one template that breaks every rule and one that does not
/// parse goes through the same compiler, linter and checks.
/// </summary>
public sealed class BicepCompileNegativeTests : IAsyncLifetime
{
    private const string Bad = """
        param undocumented string

        @description('A password.')
        @secure()
        param password string

        resource st 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
          name: 'stbad'
        }

        resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
          name: 'crbad'
          location: 'westeurope'
          sku: {
            name: 'Basic'
          }
          properties: {
            anonymousPullEnabled: false
          }
        }

        @description('The password, leaked.')
        output leaked string = password
        output storageConnectionString string = 'DefaultEndpointsProtocol=https;AccountName=stbad;AccountKey=${st.listKeys().keys[0].value}'
        """;

    private const string Broken = """
        var broken = {
          a: [1, 2)
        """;

    private string _directory = null!;
    private CompiledTemplates _compiled = null!;

    public async ValueTask InitializeAsync()
    {
        _directory = Directory.CreateTempSubdirectory("bicep-negative-").FullName;
        await File.WriteAllTextAsync(Path.Combine(_directory, "bad.bicep"), Bad);
        await File.WriteAllTextAsync(Path.Combine(_directory, "broken.bicep"), Broken);
        _compiled = await CompiledTemplates.CompileAsync(_directory);
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return ValueTask.CompletedTask;
    }

    [Fact]
    public void Build_SyntaxError_IsAnErrorAndNoTemplate()
    {
        Assert.Contains(_compiled.BuildOf("broken.bicep"), d => d.Level == "Error" && d.Code == "BCP018");
        Assert.False(_compiled.Built("broken.bicep"));
    }

    [Fact]
    public void Lint_UnknownPropertyUnusedParameterAndSecretOutputs_AreReported()
    {
        var lint = _compiled.LintOf("bad.bicep");

        Assert.Contains(lint, d => d.Code == "BCP037" && d.Message.Contains("anonymousPullEnabled", StringComparison.Ordinal));
        Assert.Contains(lint, d => d.Code == "no-unused-params" && d.Message.Contains("undocumented", StringComparison.Ordinal));
        Assert.Contains(lint, d => d.Code == "outputs-should-not-contain-secrets" && d.Message.Contains("'password'", StringComparison.Ordinal));
        Assert.Contains(lint, d => d.Code == "outputs-should-not-contain-secrets" && d.Message.Contains("listKeys", StringComparison.Ordinal));
        Assert.All(lint, d => Assert.Equal("Warning", d.Level));
    }

    [Fact]
    public void HouseRules_ReportEachKindOfProblem()
    {
        var problems = TemplateChecks.Problems(_compiled["bad.bicep"]);

        Assert.Contains(problems, p => p.Contains("param undocumented has no @description", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("listKeys() returns keys", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("key material 'AccountKey='", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("output leaked exposes secure parameter password", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("output storageConnectionString is named like a secret", StringComparison.Ordinal));
        Assert.DoesNotContain(problems, p => p.Contains("param password", StringComparison.Ordinal));
    }
}
