using Hotpath;
using Microsoft.Extensions.Configuration;

namespace Hotpath.AspNetCore.Internals;

/// <summary>
/// Binds the <c>Hotpath</c> section onto <see cref="HotpathOptions"/> through the configuration binding
/// generator (the <c>GetValue</c> and <c>Bind</c> calls here are intercepted by generated code), so it needs no
/// reflection and works the same in a trimmed or native AOT application. <see cref="HotpathOptions"/> is not
/// handed to the generator whole: it carries code-only members (<c>Serializer</c>, <c>JsonSerializerOptions</c>)
/// the generator would try to bind member by member. A test checks that every bindable property is bound here.
/// A value that does not convert throws <see cref="InvalidOperationException"/> naming its key.
/// </summary>
internal static class HotpathOptionsBinder
{
    public static void Bind(IConfiguration section, HotpathOptions o)
    {
        // A string set to "" is a value ("" disables the cache); only a missing key leaves the default.
        o.RedisUrl = section[nameof(HotpathOptions.RedisUrl)] ?? o.RedisUrl;
        o.KeyPrefix = section[nameof(HotpathOptions.KeyPrefix)] ?? o.KeyPrefix;
        o.DefaultTtl = section.GetValue(nameof(HotpathOptions.DefaultTtl), o.DefaultTtl);
        o.OperationTimeout = section.GetValue(nameof(HotpathOptions.OperationTimeout), o.OperationTimeout);
        o.ConnectTimeout = section.GetValue(nameof(HotpathOptions.ConnectTimeout), o.ConnectTimeout);
        o.MaxKeyLength = section.GetValue(nameof(HotpathOptions.MaxKeyLength), o.MaxKeyLength);
        o.LeaseDuration = section.GetValue(nameof(HotpathOptions.LeaseDuration), o.LeaseDuration);
        o.LeaseWaitTimeout = section.GetValue(nameof(HotpathOptions.LeaseWaitTimeout), o.LeaseWaitTimeout);
        o.PatternBatchSize = section.GetValue(nameof(HotpathOptions.PatternBatchSize), o.PatternBatchSize);
        o.SocketIOOnThreadPool = section.GetValue(nameof(HotpathOptions.SocketIOOnThreadPool), o.SocketIOOnThreadPool);
        o.FaultLogInterval = section.GetValue(nameof(HotpathOptions.FaultLogInterval), o.FaultLogInterval);
        o.ThrowOnWriteErrors = section.GetValue(nameof(HotpathOptions.ThrowOnWriteErrors), o.ThrowOnWriteErrors);
        o.FailSafe = section.GetValue(nameof(HotpathOptions.FailSafe), o.FailSafe);
        o.FailSafeMaxDuration = section.GetValue(nameof(HotpathOptions.FailSafeMaxDuration), o.FailSafeMaxDuration);
        o.FailSafeThrottleDuration = section.GetValue(nameof(HotpathOptions.FailSafeThrottleDuration), o.FailSafeThrottleDuration);
        o.FactorySoftTimeout = section.GetValue(nameof(HotpathOptions.FactorySoftTimeout), o.FactorySoftTimeout);
        o.FactoryHardTimeout = section.GetValue(nameof(HotpathOptions.FactoryHardTimeout), o.FactoryHardTimeout);
        o.EagerRefreshThreshold = section.GetValue(nameof(HotpathOptions.EagerRefreshThreshold), o.EagerRefreshThreshold);
        section.GetSection(nameof(HotpathOptions.Resilience)).Bind(o.Resilience);
        section.GetSection(nameof(HotpathOptions.L1)).Bind(o.L1);
        section.GetSection(nameof(HotpathOptions.Embedded)).Bind(o.Embedded);
    }
}
