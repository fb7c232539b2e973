namespace Serverless.Tests.Infrastructure;

public static class RepoPaths
{
    /// <summary>The repository root: the folder above the test binaries that holds Serverless.sln.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no Serverless.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>Under CI a missing service is a failure, never a skip.</summary>
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
}
