namespace Serverless.Cli;

/// <summary>
/// Where a verb writes and what it may ask of its surroundings. The real process uses the console;
/// tests pass string writers, their own variables and folder, and run the very same code in-process.
/// </summary>
public sealed record CliConsole(
    TextWriter Out,
    TextWriter Error,
    bool OutIsTerminal,
    bool ErrorIsTerminal,
    Func<string, string?> GetVariable,
    string WorkingDirectory)
{
    public static CliConsole FromProcess() => new(
        Console.Out,
        Console.Error,
        !Console.IsOutputRedirected,
        !Console.IsErrorRedirected,
        Environment.GetEnvironmentVariable,
        Environment.CurrentDirectory)
    {
        In = Console.In,
        InIsTerminal = !Console.IsInputRedirected,
    };

    /// <summary>Where answers to questions come from; verbs ask only when <see cref="InIsTerminal"/>.</summary>
    public TextReader In { get; init; } = TextReader.Null;

    public bool InIsTerminal { get; init; }

    /// <summary>Colors only on a terminal, and never when NO_COLOR is set (no-color.org).</summary>
    public bool OutColored => OutIsTerminal && string.IsNullOrEmpty(GetVariable("NO_COLOR"));

    public bool ErrorColored => ErrorIsTerminal && string.IsNullOrEmpty(GetVariable("NO_COLOR"));

    public string FullPath(string path) => Path.GetFullPath(path, WorkingDirectory);
}
