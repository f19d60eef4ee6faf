using System.Globalization;
using System.Reflection;
using Hotpath.AspNetCore.Internals;
using Microsoft.Extensions.Configuration;

namespace Hotpath.Tests;

public sealed class OptionsBindingTests
{
    // Set in code only: a serializer instance and System.Text.Json's options are not configuration values.
    private static readonly string[] s_codeOnly = [nameof(HotpathOptions.Serializer), nameof(HotpathOptions.JsonSerializerOptions)];

    /// <summary>
    /// The binder is written out by hand (so it needs no reflection); a property added to the options and not
    /// to the binder would silently stop binding. Every settable property gets a value unlike its default.
    /// </summary>
    [Fact]
    public void EveryPropertyOfTheOptionsAndTheirNestedOptionsBindsFromTheHotpathSection()
    {
        var settings = new Dictionary<string, string?>();
        var expected = new List<(string Path, object Value)>();
        var skipped = new List<string>();
        var seed = 0;
        Plan(new HotpathOptions(), HotpathOptions.SectionName);

        var options = new HotpathOptions();
        HotpathOptionsBinder.Bind(new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(HotpathOptions.SectionName), options);

        Assert.Equal(s_codeOnly.Order(), skipped.Order());
        Assert.True(expected.Count >= 25, $"only {expected.Count} properties were planned");
        foreach (var (path, value) in expected)
        {
            Assert.True(Equals(value, Read(options, path)), $"{path} did not bind: expected {value}, got {Read(options, path)}");
        }

        void Plan(object defaults, string path)
        {
            foreach (var property in defaults.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(static p => p.CanWrite))
            {
                var key = $"{path}:{property.Name}";
                var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
                var n = ++seed;
                object? value = type switch
                {
                    _ when type == typeof(string) => $"value-{n}",
                    _ when type == typeof(TimeSpan) => TimeSpan.FromMilliseconds(123_000 + n),
                    _ when type == typeof(int) => 17 + n,
                    _ when type == typeof(long) => 1_000_000L + n,
                    _ when type == typeof(double) => 0.25 + (n / 1000.0),
                    _ when type == typeof(bool) => !(bool)property.GetValue(defaults)!,
                    _ => null,
                };
                if (value is not null)
                {
                    settings[key] = Convert.ToString(value, CultureInfo.InvariantCulture);
                    expected.Add((key, value));
                }
                else if (type.Namespace == "Hotpath" && property.GetValue(defaults) is { } nested)
                {
                    Plan(nested, key);
                }
                else
                {
                    skipped.Add(property.Name);
                }
            }
        }

        static object? Read(object target, string path)
        {
            object? current = target;
            foreach (var name in path.Split(':').Skip(1))
            {
                current = current!.GetType().GetProperty(name)!.GetValue(current);
            }

            return current;
        }
    }

    [Fact]
    public void AValueThatDoesNotConvertFailsNamingItsKey()
    {
        var section = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Hotpath:L1:MaxEntries"] = "many" })
            .Build().GetSection(HotpathOptions.SectionName);

        var ex = Assert.Throws<InvalidOperationException>(() => HotpathOptionsBinder.Bind(section, new HotpathOptions()));

        Assert.Contains("Hotpath:L1:MaxEntries", ex.Message, StringComparison.Ordinal);
    }
}
