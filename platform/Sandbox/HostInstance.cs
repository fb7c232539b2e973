using System.Globalization;

namespace Serverless.Platform.Sandbox;

/// <summary>
/// One host process: machine name, process id and the process's start time (clock ticks since boot, from
/// <c>/proc/{pid}/stat</c>), so a pid the kernel handed to a later process is not mistaken for the owner.
/// Written on every sandbox container as the owner label <c>{machine}/{pid}/{start}</c>.
/// </summary>
public sealed record HostInstance(string Machine, int ProcessId, long StartTicks)
{
    public static HostInstance Current { get; } = new(Environment.MachineName, Environment.ProcessId, StartTicksOf(Environment.ProcessId) ?? 0);

    public string Label => $"{Machine}/{ProcessId.ToString(CultureInfo.InvariantCulture)}/{StartTicks.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The instance an owner label names, or null when the label is not one.</summary>
    public static HostInstance? Parse(string? label)
    {
        var parts = label?.Split('/');
        return parts is [var machine, var pid, var start]
            && machine.Length > 0
            && int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var processId)
            && long.TryParse(start, NumberStyles.None, CultureInfo.InvariantCulture, out var startTicks)
                ? new HostInstance(machine, processId, startTicks)
                : null;
    }

    /// <summary>
    /// True only when this instance is known to have ended: it ran on this machine, and its pid is gone
    /// or now belongs to a process that started at another time. An instance of another machine (a shared
    /// remote engine) cannot be checked from here, so it never counts as ended.
    /// </summary>
    public bool HasEnded()
    {
        if (!string.Equals(Machine, Environment.MachineName, StringComparison.Ordinal))
        {
            return false;
        }
        if (OperatingSystem.IsLinux())
        {
            return StartTicksOf(ProcessId) is not { } start || (StartTicks != 0 && start != StartTicks);
        }
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(ProcessId);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }

    /// <summary>Field 22 of <c>/proc/{pid}/stat</c> (starttime), or null when there is no such process.</summary>
    internal static long? StartTicksOf(int processId)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // "pid (comm) state ppid …": comm may hold spaces and parentheses, so count from the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 19 && long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var start) ? start : null;
    }
}
