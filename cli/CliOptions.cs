using System.CommandLine;

namespace Serverless.Cli;

/// <summary>Options every verb shares, and where the CLI finds the repository it belongs to.</summary>
public static class CliOptions
{
    public const string JsonName = "--json";

    /// <summary>
    /// Recursive, so every verb takes it and lists it in its --help. A new instance per root: a symbol
    /// remembers its parents, so a shared one would grow (and race) with every in-process run.
    /// </summary>
    public static Option<bool> NewJsonOption() => new(JsonName)
    {
        Description = "Print one JSON document on stdout instead of text (errors too: {\"status\":\"error\",\"message\",\"exitCode\"})",
        Recursive = true,
    };

    public static bool Json(this ParseResult parse) => parse.GetValue<bool>(JsonName);

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
