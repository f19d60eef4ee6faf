namespace Hotpath.Tests;

public sealed class CacheKeyTests
{
    [Fact]
    public void InterpolatedValuesAreEscapedAndLiteralsKept()
    {
        var id = 42;
        var user = "a:b*c?[d]\\e f";

        Assert.Equal("product:42:v1", CacheKey.Create($"product:{id}:v1"));
        Assert.Equal("user:a%3Ab%2Ac%3F%5Bd%5D%5Ce%20f:profile:v1", CacheKey.Create($"user:{user}:profile:v1"));
    }

    [Fact]
    public void JoinEscapesEveryPart()
    {
        Assert.Equal("product:42:v1", CacheKey.Join("product", "42", "v1"));
        Assert.Equal("user:alice%40example.com:v1", CacheKey.Join("user", "alice@example.com", "v1"));
        Assert.Throws<ArgumentException>(() => CacheKey.Join());
    }

    [Fact]
    public void EscapingIsInjective()
    {
        string[] parts = ["a:b", "a%3Ab", "a%b", "%", "%25", "é", "e\u0301", "😀", "a b", "a+b"];
        var escaped = parts.Select(CacheKey.Escape).ToArray();

        Assert.Equal(parts.Length, escaped.Distinct(StringComparer.Ordinal).Count());
        Assert.All(escaped, e => Assert.DoesNotContain(e, c => c is ':' or '*' or '?' or '[' or ']' or '\\' or ' '));
    }

    [Fact]
    public void SafePartIsReturnedWithoutCopying()
    {
        var part = "Plain-Part_1.2~";
        Assert.Same(part, CacheKey.Escape(part));
    }

    [Fact]
    public void LongValuesEscapeCompletely()
    {
        var value = new string('*', 500) + "😀";
        var key = CacheKey.Create($"k:{value}");

        Assert.Equal("k:" + string.Concat(Enumerable.Repeat("%2A", 500)) + "%F0%9F%98%80", key);
    }

    [Fact]
    public void PatternKeepsLiteralGlobsAndEscapesValues()
    {
        var user = "*";
        Assert.Equal("user:%2A:*", CacheKey.Pattern($"user:{user}:*"));
    }

    [Fact]
    public void NumbersAndDatesFormatWithTheInvariantCulture()
    {
        var previous = Thread.CurrentThread.CurrentCulture;
        try
        {
            Thread.CurrentThread.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
            var price = 1.5m;
            Assert.Equal("price:1.5", CacheKey.Create($"price:{price}"));
        }
        finally
        {
            Thread.CurrentThread.CurrentCulture = previous;
        }
    }

    [Fact]
    public void AnUnpairedSurrogateEscapesDistinctlyFromTheReplacementCharacter()
    {
        Assert.NotEqual(CacheKey.Escape("x\uD800"), CacheKey.Escape("x\uFFFD"));
        Assert.NotEqual(CacheKey.Escape("x\uDC00"), CacheKey.Escape("x\uD800"));
        Assert.Equal("x%uD800", CacheKey.Escape("x\uD800"));
        Assert.Equal("%F0%9F%98%80", CacheKey.Escape("\U0001F600"));
    }

    [Fact]
    public void EscapingIsInjectiveAndNeverLeavesAGlobOrSeparatorOverRandomText()
    {
        // Seeded: a failure names the seed, and the same strings come back.
        const int seed = 20261202;
        var random = new Random(seed);
        char[] alphabet = ['a', 'Z', '0', '%', ':', '*', '?', '[', ']', '\\', ' ', 'u', 'é', '\uD800', '\uDBFF', '\uDC00', '\uFFFD', '\u0000', '-', '.'];
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < 20_000; i++)
        {
            var chars = new char[random.Next(0, 6)];
            for (var c = 0; c < chars.Length; c++)
            {
                chars[c] = alphabet[random.Next(alphabet.Length)];
            }

            var text = new string(chars);
            var escaped = CacheKey.Escape(text);
            if (seen.TryGetValue(escaped, out var earlier))
            {
                Assert.True(earlier == text, $"seed {seed}: '{Describe(earlier)}' and '{Describe(text)}' both escape to '{escaped}'");
            }

            seen[escaped] = text;
            Assert.True(escaped.AsSpan().IndexOfAny(CacheKey.GlobSpecials) < 0 && !escaped.Contains(':'), $"'{escaped}' keeps a glob or separator");
        }
    }

    private static string Describe(string text) => string.Join(' ', text.Select(static c => ((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture)));
}
