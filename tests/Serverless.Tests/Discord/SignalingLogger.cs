using Microsoft.Extensions.Logging;

namespace Serverless.Tests.Discord;

/// <summary>
/// Records log lines and lets a test wait for one: the fake sees a 429 before the client has read
/// it, so "the client knows" is signalled by the client's own log line, not by the fake.
/// </summary>
public sealed class SignalingLogger<T> : ILogger<T>
{
    private readonly Lock gate = new();
    private readonly List<string> lines = [];
    private readonly List<(Func<string, bool> Predicate, TaskCompletionSource Signal)> waiters = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var line = formatter(state, exception);
        lock (gate)
        {
            lines.Add(line);
            foreach (var waiter in waiters.Where(w => w.Predicate(line)).ToList())
            {
                waiter.Signal.TrySetResult();
                waiters.Remove(waiter);
            }
        }
    }

    public Task WaitForAsync(Func<string, bool> predicate, TimeSpan timeout)
    {
        lock (gate)
        {
            if (lines.Any(predicate))
            {
                return Task.CompletedTask;
            }
            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiters.Add((predicate, signal));
            return signal.Task.WaitAsync(timeout);
        }
    }
}
