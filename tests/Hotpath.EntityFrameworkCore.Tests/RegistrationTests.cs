using System.Reflection;
using System.Text.RegularExpressions;
using Hotpath.EntityFrameworkCore.Internals;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Hotpath.EntityFrameworkCore.Tests;

public sealed class RegistrationTests
{
    [Fact]
    public void UseHotpathInvalidationWithoutAddEntityFrameworkCoreSaysWhatToCall()
    {
        using var services = new ServiceCollection().BuildServiceProvider();
        var thrown = Assert.Throws<InvalidOperationException>(() => new DbContextOptionsBuilder<ShopContext>().UseSqlite("Data Source=:memory:").UseHotpathInvalidation(services));
        Assert.Contains("AddEntityFrameworkCore", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DeclaringATypeTwiceAddsToTheFirstDeclaration()
    {
        var services = new ServiceCollection();
        services.AddHotpath()
            .AddEntityFrameworkCore(o => o.Entity<Product>(e => e.Tag("products")))
            .AddEntityFrameworkCore(o => o.Entity<Product>(e => e.Key(p => ShopKeys.Item(p.Id))));
        using var provider = services.BuildServiceProvider();

        var declared = provider.GetRequiredService<IOptions<HotpathEntityFrameworkCoreOptions>>().Value.Entities[typeof(Product)];
        Assert.Equal(["products"], declared.Tags);
        Assert.Single(declared.Keys);
        Assert.Single(services, d => d.ServiceType == typeof(HotpathInvalidationInterceptor));
    }

    [Fact]
    public void PublicClassesAreSealedOrStatic()
    {
        var open = typeof(HotpathEntityFrameworkCoreOptions).Assembly.GetExportedTypes()
            .Where(t => t.IsClass && !t.IsSealed && !t.IsAbstract)
            .Select(t => t.FullName);
        Assert.Empty(open);
    }

    [Fact]
    public void EveryPublicMethodOfTheInterceptorImplementsAnEfCoreInterceptorMember()
    {
        // A signature typo would compile as a plain method and EF would never call it.
        var type = typeof(HotpathInvalidationInterceptor);
        var implementing = type.GetInterfaces().SelectMany(i => type.GetInterfaceMap(i).TargetMethods).ToHashSet();
        var strays = type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => !implementing.Contains(m))
            .Select(m => m.Name);
        Assert.Empty(strays);
    }

    [Fact]
    public void EveryAwaitInTheLibraryUsesConfigureAwaitFalse()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Hotpath.slnx")))
        {
            root = root.Parent;
        }

        Assert.NotNull(root);
        var source = Path.Combine(root.FullName, "src", "Hotpath.EntityFrameworkCore");
        var offenders = new List<string>();
        foreach (var file in Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains("/obj/", StringComparison.Ordinal)))
        {
            var text = File.ReadAllText(file);
            foreach (Match match in Regex.Matches(text, @"\bawait\s+(?!using\b|foreach\b)[^;]*;"))
            {
                if (!match.Value.Contains(".ConfigureAwait(false)", StringComparison.Ordinal))
                {
                    offenders.Add($"{Path.GetFileName(file)}: {match.Value}");
                }
            }
        }

        Assert.Empty(offenders);
    }
}
