using System.Diagnostics;

namespace Hotpath.Testing;

/// <summary>Polls a condition with a bound, for effects that land asynchronously (expiry, fire-and-forget deletes, backplane messages).</summary>
internal static class Eventually
{
    /// <summary>The bound most tests use: long enough for a loaded machine, short enough to fail a broken feature quickly.</summary>
    public static readonly TimeSpan DefaultBound = TimeSpan.FromSeconds(10);

    public static Task<bool> TrueAsync(Func<bool> condition, TimeSpan? bound = null) =>
        TrueAsync(() => Task.FromResult(condition()), bound);

    public static async Task<bool> TrueAsync(Func<Task<bool>> condition, TimeSpan? bound = null)
    {
        var clock = Stopwatch.StartNew();
        var limit = bound ?? DefaultBound;
        while (clock.Elapsed < limit)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(20);
        }

        return await condition();
    }
}
