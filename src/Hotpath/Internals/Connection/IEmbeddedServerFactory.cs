using Microsoft.Extensions.Logging;

namespace Hotpath.Internals;

/// <summary>Starts an in-process RESP server; implemented by Hotpath.Embedded.</summary>
internal interface IEmbeddedServerFactory
{
    IEmbeddedServer Start(EmbeddedServerOptions options, ILoggerFactory loggerFactory);
}

/// <summary>A running in-process RESP server.</summary>
internal interface IEmbeddedServer : IDisposable
{
    string Host { get; }

    int Port { get; }
}
