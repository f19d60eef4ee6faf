using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Garnet;
using Hotpath.Internals;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hotpath.Embedded;

/// <summary>
/// Starts Garnet in the process on a loopback port, memory only, with Lua on (each script atomic: it
/// locks its keys) and reads copied to the tail of its log (so entries that are read stay resident when
/// the memory budget evicts in write order).
/// Found by name by the cache when <c>REDIS_URL</c> is unset.
/// </summary>
internal sealed class GarnetServerFactory : IEmbeddedServerFactory
{
    private const int Attempts = 5;

    public IEmbeddedServer Start(EmbeddedServerOptions options, ILoggerFactory loggerFactory)
    {
        Exception? last = null;
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var port = options.Port != 0 ? options.Port : FreeLoopbackPort();

            // Memory only: nothing is written to disk. Garnet's clean-up on dispose would delete its
            // log folder, which defaults to the working directory, so it stays off; checkpoints (never
            // taken here) point at a private temporary folder that we remove ourselves.
            var folder = Directory.CreateTempSubdirectory("hotpath-garnet-").FullName;
            string[] args =
            [
                "--checkpointdir", folder,
                "--bind", "127.0.0.1",
                "--port", port.ToString(CultureInfo.InvariantCulture),
                "--memory", options.MemorySize,
                "--index", options.IndexSize,
                "--lua",
                // Without it Garnet runs scripts without locking their keys, so two sessions' scripts
                // interleave: rate limits overshoot and the cache's lease scripts race.
                "--lua-transaction-mode", "true",
                "--copy-reads-to-tail", "true",
                // Quiet: no start-up banner (ANSI art and a link) on the application's console; the
                // cache logs the server's address itself (event EmbeddedServerStarted).
                "-q",
            ];
            GarnetServer? server = null;
            try
            {
                server = CreateServer(args);
                server.Start();
                return new Running(server, port, folder);
            }
            catch (Exception ex) when (options.Port == 0 && ex is not OutOfMemoryException)
            {
                // Another process took the port between probing and binding: try another.
                server?.Dispose();
                DeleteFolder(folder);
                last = ex;
            }
        }

        throw new InvalidOperationException("The embedded Garnet server could not start on a free loopback port.", last);
    }

    private static GarnetServer CreateServer(string[] args)
    {
        // Garnet's constructor adds a ConsoleTraceListener to the process-wide Trace.Listeners, which
        // would copy every Trace message of the application to its console (once more per server
        // started). The listeners it added are removed again; any the application had stay.
        ConsoleTraceListener[] before = [.. Trace.Listeners.OfType<ConsoleTraceListener>()];
        try
        {
            // Garnet's own logging is not forwarded: it is verbose and says nothing a cache user acts on.
            return new GarnetServer(args, NullLoggerFactory.Instance, cleanupDir: false);
        }
        finally
        {
            foreach (var listener in Trace.Listeners.OfType<ConsoleTraceListener>().ToArray())
            {
                if (Array.IndexOf(before, listener) < 0)
                {
                    Trace.Listeners.Remove(listener);
                    listener.Dispose();
                }
            }
        }
    }

    private static int FreeLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static void DeleteFolder(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover empty temporary folder harms nothing.
        }
    }

    private sealed class Running(GarnetServer server, int port, string folder) : IEmbeddedServer
    {
        public string Host => "127.0.0.1";

        public int Port => port;

        public void Dispose()
        {
            server.Dispose();
            DeleteFolder(folder);
        }
    }
}
