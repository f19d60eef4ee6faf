using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Hotpath.Testing;

/// <summary>Keeps every log record written through it, with its event id and formatted text, for assertions.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider, ILoggerFactory
{
    public ConcurrentQueue<(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception)> Records { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    /// <summary>All text written: messages and exception texts, to check that a secret never appears.</summary>
    public string AllText => string.Join('\n', Records.Select(r => r.Message + "\n" + r.Exception));

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Records.Enqueue((category, logLevel, eventId, formatter(state, exception), exception));
    }
}
