using System.Diagnostics;

namespace Serverless.Bench;

public static class Stats
{
    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];

    public static (double Median, double P99, double Mean) Summarize(IEnumerable<double> samples)
    {
        var sorted = samples.Order().ToList();
        return (Percentile(sorted, 50), Percentile(sorted, 99), sorted.Count == 0 ? double.NaN : sorted.Average());
    }

    public static double Ms(long startTimestamp) => Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds;

    public static string Machine() =>
        $"{Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024 * 1024 * 1024.0):0.#} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
}
