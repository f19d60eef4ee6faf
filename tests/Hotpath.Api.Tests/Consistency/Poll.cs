using System.Diagnostics;

namespace Hotpath.Api.Tests.Consistency;

/// <summary>Polls a condition with a bound, for effects that land asynchronously.</summary>
internal static class Poll
{
    public static async Task<bool> UntilAsync(Func<bool> condition, TimeSpan bound)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < bound)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(25);
        }

        return condition();
    }

    public static async Task<bool> UntilAsync(Func<Task<bool>> condition, TimeSpan bound)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < bound)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(10);
        }

        return await condition();
    }
}
