using System.Diagnostics;

namespace Hotpath.Internals;

/// <summary>
/// The <see cref="ActivitySource"/> named <see cref="HotpathMeter.Name"/>: spans for server round trips
/// and factory runs. Tags carry the key area, never the key.
/// </summary>
internal static class HotpathActivities
{
    public static readonly ActivitySource Source = new(HotpathMeter.Name);

    public static Activity? Start(string name, string area, ActivityKind kind = ActivityKind.Client)
    {
        var activity = Source.StartActivity(name, kind);
        if (activity is not null)
        {
            activity.SetTag("db.system", "redis");
            activity.SetTag("hotpath.key_area", area);
        }

        return activity;
    }
}
