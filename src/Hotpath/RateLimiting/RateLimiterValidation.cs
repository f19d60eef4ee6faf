namespace Hotpath.RateLimiting;

internal static class RateLimiterValidation
{
    // Longer periods would overflow the millisecond arithmetic of the scripts' 53-bit numbers long
    // before anyone needs them; a year is plenty.
    internal static readonly TimeSpan MaxDuration = TimeSpan.FromDays(366);

    public static void Positive(int value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be greater than zero.");
        }
    }

    public static void Duration(TimeSpan value, string name)
    {
        if (value < TimeSpan.FromMilliseconds(1) || value > MaxDuration)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be between 1 millisecond and {MaxDuration.TotalDays} days.");
        }
    }

    public static void Mode(RateLimiterFailureMode mode)
    {
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException("FailureMode", mode, "FailureMode must be FailOpen or FailClosed.");
        }
    }

    public static void Name(string policyName, string parameterName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(policyName, parameterName);
    }
}
