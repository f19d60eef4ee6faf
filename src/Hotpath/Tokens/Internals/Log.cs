using Microsoft.Extensions.Logging;

namespace Hotpath.Tokens.Internals;

/// <summary>Log messages of the one-time tokens (event ids 4020-4039). No message carries a token, its hash or a payload.</summary>
internal static partial class Log
{
    [LoggerMessage(4020, LogLevel.Information, "Hotpath one-time tokens are kept in this process because the cache is disabled: a token works only on the instance that created it.")]
    public static partial void TokensInProcess(ILogger logger);

    [LoggerMessage(4021, LogLevel.Warning, "A consumed one-time token's payload could not be read as {Type} ({Reason}); the token was refused.")]
    public static partial void UnreadablePayload(ILogger logger, string type, string reason);
}
