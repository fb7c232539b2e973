using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Serverless.Tests.Gateway;

/// <summary>Keeps every log line for assertions and echoes it to the test's output.</summary>
public sealed class RecordingLogger : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Message)> _lines = new();
    private readonly ITestOutputHelper? _output = TestContext.Current.TestOutputHelper;

    public ILoggerFactory Factory => LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Debug).AddProvider(this));

    public IReadOnlyList<(LogLevel Level, string Message)> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Write(LogLevel level, string category, string message)
    {
        _lines.Enqueue((level, message));
        try
        {
            _output?.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {level} {category.Split('.')[^1]}: {message}");
        }
        catch (InvalidOperationException)
        {
            // The test already finished; background loops may still log while shutting down.
        }
    }

    private sealed class Logger(RecordingLogger owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Write(logLevel, category, formatter(state, exception) + (exception is null ? "" : $" {exception.GetType().Name}: {exception.Message}"));
    }
}
