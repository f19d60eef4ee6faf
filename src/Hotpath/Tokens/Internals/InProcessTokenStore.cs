using System.Collections.Concurrent;

namespace Hotpath.Tokens.Internals;

/// <summary>
/// Token payloads in this process, for when the cache is disabled. Taking is a dictionary removal,
/// so it is atomic as in the server; expired entries are swept every few hundred writes.
/// </summary>
internal sealed class InProcessTokenStore(TimeProvider time) : ITokenStore
{
    private const int SweepEvery = 256;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private int _writes;

    public ValueTask StoreAsync(string key, byte[] payload, TimeSpan ttl, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var now = time.GetTimestamp();
        _entries[key] = new Entry(payload, now + (long)(ttl.TotalSeconds * time.TimestampFrequency));
        if (Interlocked.Increment(ref _writes) % SweepEvery == 0)
        {
            foreach (var (k, entry) in _entries)
            {
                if (entry.ExpiresAt <= now)
                {
                    _entries.TryRemove(new KeyValuePair<string, Entry>(k, entry));
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<byte[]?> TakeAsync(string key, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new ValueTask<byte[]?>(
            _entries.TryRemove(key, out var entry) && entry.ExpiresAt > time.GetTimestamp() ? entry.Payload : null);
    }

    public ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new ValueTask<bool>(_entries.TryRemove(key, out var entry) && entry.ExpiresAt > time.GetTimestamp());
    }

    private readonly record struct Entry(byte[] Payload, long ExpiresAt);
}
