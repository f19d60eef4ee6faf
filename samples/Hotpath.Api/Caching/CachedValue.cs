namespace Hotpath.Api.Caching;

/// <summary>A value from <see cref="CachedReader"/> and whether it was read from the cache.</summary>
internal readonly record struct CachedValue<T>(T Value, bool FromCache);
