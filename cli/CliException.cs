namespace Serverless.Cli;

/// <summary>Exit codes, the same for every verb (documented in --help and the README).</summary>
public static class ExitCodes
{
    /// <summary>Done: valid, packed, published, healthy.</summary>
    public const int Ok = 0;

    /// <summary>The verdict is no: invalid package, rejected upload, unhealthy platform.</summary>
    public const int Failed = 1;

    /// <summary>The command could not run as asked: bad arguments, unreadable or missing input.</summary>
    public const int Usage = 2;

    /// <summary>A service did not answer: storage or the app unreachable, no report within --wait, the verdict pending (sandbox unavailable).</summary>
    public const int Unavailable = 3;

    public const string Help = """
        Exit codes:
          0  done (valid, packed, published, healthy)
          1  the answer is no (invalid package, rejected upload, unhealthy platform)
          2  usage error or unreadable input (bad arguments, missing file)
          3  a service did not answer (storage or app unreachable, no report within --wait,
             upload pending because the platform's sandbox is unavailable)
        """;
}

/// <summary>
/// Ends a verb with an exit code and a message that says what to do next. The one exception type
/// of the CLI: anything else escaping a verb is a bug and is reported as such.
/// </summary>
public sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public static CliException Usage(string message) => new(ExitCodes.Usage, message);

    public static CliException Unavailable(string message) => new(ExitCodes.Unavailable, message);
}
