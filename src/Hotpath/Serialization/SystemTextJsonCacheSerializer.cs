using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Hotpath.Serialization;

/// <summary>
/// The default serializer: UTF-8 JSON through System.Text.Json. Give it a source-generated
/// <see cref="JsonSerializerContext"/> (or options whose <see cref="JsonSerializerOptions.TypeInfoResolver"/>
/// is one) and it uses the generated <see cref="JsonTypeInfo{T}"/> for every type, with no reflection.
/// </summary>
public sealed class SystemTextJsonCacheSerializer : ICacheSerializer
{
    private readonly JsonSerializerOptions _options;
    private readonly JsonWriterOptions _writerOptions;

    // One writer per thread, reset for each value: serialization is synchronous, and a writer per call
    // would be the only allocation of a write besides the stored bytes.
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    [ThreadStatic]
    private static SystemTextJsonCacheSerializer? t_writerOwner;

    /// <summary>Creates a serializer with <see cref="JsonSerializerDefaults.Web"/> options and System.Text.Json's reflection-based resolver.</summary>
    /// <exception cref="HotpathConfigurationException">The application turns reflection-based serialization off (the default of trimmed and native AOT applications).</exception>
    public SystemTextJsonCacheSerializer()
        : this(new JsonSerializerOptions(JsonSerializerDefaults.Web))
    {
    }

    /// <summary>Creates a serializer over <paramref name="options"/>.</summary>
    /// <param name="options">The options; they are made read-only.</param>
    /// <exception cref="HotpathConfigurationException">The options have no <see cref="JsonSerializerOptions.TypeInfoResolver"/> and the application turns reflection-based serialization off (the default of trimmed and native AOT applications).</exception>
    public SystemTextJsonCacheSerializer(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.TypeInfoResolver is null)
        {
            // With no context the default is the reflection resolver. IsReflectionEnabledByDefault is a
            // feature switch the trimmer and the AOT compiler fold: a trimmed or AOT application (where it
            // is false unless the application turns it on) drops this branch, so publishing it warns about
            // nothing here; the analyzer of this build does not know the switch, hence the pragma.
            if (!JsonSerializer.IsReflectionEnabledByDefault)
            {
                throw new HotpathConfigurationException(
                    "Reflection-based JSON serialization is disabled in this application (trimmed or native AOT), and the cache's " +
                    "JSON options have no TypeInfoResolver. Set HotpathOptions.JsonSerializerOptions.TypeInfoResolver to a source-generated " +
                    "JsonSerializerContext (or HotpathOptions.Serializer to new SystemTextJsonCacheSerializer(YourJsonContext.Default)).");
            }

#pragma warning disable IL2026, IL3050
            options.TypeInfoResolver = new DefaultJsonTypeInfoResolver();
#pragma warning restore IL2026, IL3050
        }

        options.MakeReadOnly();
        _options = options;
        _writerOptions = new JsonWriterOptions
        {
            Encoder = options.Encoder,
            Indented = options.WriteIndented,
            MaxDepth = options.MaxDepth,
            SkipValidation = true,
        };
    }

    /// <summary>Creates a serializer that resolves every type through a source-generated context.</summary>
    /// <param name="context">The context, e.g. <c>AppJsonContext.Default</c>.</param>
    public SystemTextJsonCacheSerializer(JsonSerializerContext context)
        : this(new JsonSerializerOptions(context.Options) { TypeInfoResolver = context })
    {
    }

    /// <inheritdoc />
    public void Serialize<T>(T value, IBufferWriter<byte> destination)
    {
        var writer = t_writer;
        if (writer is null || !ReferenceEquals(t_writerOwner, this))
        {
            writer = new Utf8JsonWriter(destination, _writerOptions);
            t_writer = writer;
            t_writerOwner = this;
        }
        else
        {
            writer.Reset(destination);
        }

        try
        {
            JsonSerializer.Serialize(writer, value, TypeInfo<T>());
        }
        finally
        {
            // Drop the reference to the destination so a pooled buffer is not kept alive.
            writer.Reset(Stream.Null);
        }
    }

    /// <inheritdoc />
    public T Deserialize<T>(ReadOnlySpan<byte> source) => JsonSerializer.Deserialize(source, TypeInfo<T>())!;

    private JsonTypeInfo<T> TypeInfo<T>()
    {
        // The options are read-only, so the per-type metadata is cached by System.Text.Json itself.
        return (JsonTypeInfo<T>)_options.GetTypeInfo(typeof(T));
    }
}
