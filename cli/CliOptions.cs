using System.CommandLine;

namespace Serverless.Cli;

/// <summary>Options every verb shares, and where the CLI finds the repository it belongs to.</summary>
public static class CliOptions
{
    /// <summary>Recursive, so every verb takes it and lists it in its --help.</summary>
    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print one JSON document on stdout instead of text (errors too: {\"status\":\"error\",\"message\",\"exitCode\"})",
        Recursive = true,
    };

    /// <summary>
    /// The repository root (the folder holding Serverless.sln) above the CLI's own binaries, which
    /// live in .local/cli or a build folder of the same checkout; null for a copy installed elsewhere.
    /// </summary>
    public static string? RepoRoot(CliConsole console)
    {
        if (console.GetVariable("PLUGIN_REPO_ROOT") is { Length: > 0 } configured)
        {
            return configured;
        }
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Serverless.sln")))
            {
                return directory.FullName;
            }
        }
        return null;
    }
}
