using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Infra;

public sealed class BicepLintTests
{
    public static TheoryData<string> BicepFiles() =>
        [.. Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "infra"), "*.bicep", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(RepoPaths.Root, path).Replace('\\', '/'))
            .Order()];

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public void BicepFile_PassesTheStructuralLint(string file)
    {
        var path = Path.Combine(RepoPaths.Root, file);

        Assert.Empty(BicepLint.Problems(path, File.ReadAllText(path)));
    }

    [Fact]
    public void BicepFiles_AreAllFound()
    {
        var files = BicepFiles().Select(row => row.Data).ToArray();

        Assert.Contains("infra/main.bicep", files);
        Assert.True(files.Length >= 10, $"only {files.Length} Bicep files under infra/");
    }

    [Fact]
    public void MainBicep_IsSubscriptionScopedAndCreatesTheResourceGroup()
    {
        var main = BicepText.WithoutComments(File.ReadAllText(Path.Combine(RepoPaths.Root, "infra", "main.bicep")));

        Assert.Matches(@"(?m)^targetScope = 'subscription'", main);
        Assert.Matches(@"resource rg 'Microsoft\.Resources/resourceGroups@[\d-]+' = \{", main);
    }

    [Fact]
    public void Lint_ReportsEachKindOfProblem()
    {
        const string bad = """
            param undocumented string

            @description('A password.')
            @secure()
            param password string

            resource st 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
              name: 'x'
            }

            var cs = 'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=${st.listKeys().keys[0].value}'
            output leaked string = password
            output storageConnectionString string = cs
            var broken = {
              a: [1, 2)
            """;

        var problems = BicepLint.Problems("bad.bicep", bad);

        Assert.Contains(problems, p => p.Contains("param undocumented has no @description", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains(".listKeys returns keys", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("key material 'AccountKey='", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("output leaked exposes secure parameter password", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("output storageConnectionString is named like a secret", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("')' closes '['", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'{' is never closed", StringComparison.Ordinal));
    }

    [Fact]
    public void Lint_IgnoresDelimitersAndKeywordsInStringsAndComments()
    {
        const string fine = """
            // a comment with { and listKeys( and AccountKey=
            @description('Braces in a string: { [ ( and an interpolation ${'}'} that nests a quote.')
            param name string = '${'{'}'

            /* block comment ] */
            output greeting string = '''
            multi-line { string
            '''
            """;

        Assert.Empty(BicepLint.Problems("fine.bicep", fine));
    }
}
