using System.Diagnostics;
using Hotpath.Embedded;
using Hotpath.Internals;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Hotpath.Tests;

/// <summary>
/// Tests that swap the process's console writer: they run alone, so no other test's output lands in
/// the capture and none of it is lost.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleOutputCollection
{
    public const string Name = "Console output";
}

[Collection(ConsoleOutputCollection.Name)]
public sealed class EmbeddedServerTests
{
    [Fact]
    public async Task StartingTheEmbeddedServerWritesNothingToTheConsole()
    {
        var consoleListenersBefore = ConsoleTraceListeners();
        var original = Console.Out;
        using var captured = new StringWriter();
        IEmbeddedServer server;
        Console.SetOut(captured);
        try
        {
            server = new GarnetServerFactory().Start(new EmbeddedServerOptions(), NullLoggerFactory.Instance);
        }
        finally
        {
            Console.SetOut(original);
        }

        using (server)
        {
            // The server is up: quiet does not mean not started.
            await using var multiplexer = await ConnectionMultiplexer.ConnectAsync($"{server.Host}:{server.Port}");
            await multiplexer.GetDatabase().PingAsync();
        }

        var written = captured.ToString();
        Assert.DoesNotContain("Garnet", written, StringComparison.Ordinal);
        Assert.DoesNotContain("aka.ms", written, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", written, StringComparison.Ordinal);

        // Nor does it leave a listener behind that copies every Trace message of the application to the console.
        Assert.Equal(consoleListenersBefore, ConsoleTraceListeners());
    }

    private static int ConsoleTraceListeners() => Trace.Listeners.OfType<ConsoleTraceListener>().Count();
}
