using System.Diagnostics;

namespace Hotpath.Tests;

/// <summary>Polls a condition with a bound, for effects that land asynchronously (expiry, fire-and-forget deletes).</summary>
internal static class Eventually
{
    public static async Task<bool> TrueAsync(Func<Task<bool>> condition, TimeSpan bound)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < bound)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(25);
        }

        return await condition();
    }
}
