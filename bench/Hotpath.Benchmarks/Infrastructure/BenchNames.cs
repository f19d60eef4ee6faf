namespace Hotpath.Benchmarks.Infrastructure;

public static class BenchNames
{
    /// <summary>A readable type name with generic arguments, e.g. <c>PeerHitBenchmarks&lt;List&lt;Product&gt;&gt;</c>.</summary>
    public static string TypeName(Type type)
    {
        if (!type.IsGenericType)
        {
            return type.Name;
        }

        var name = type.Name[..type.Name.IndexOf('`')];
        return $"{name}<{string.Join(",", type.GetGenericArguments().Select(TypeName))}>";
    }
}
