using Hotpath.Internals;
using Hotpath.Testing;
using Hotpath.Tokens;
using Hotpath.Tokens.Internals;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using StackExchange.Redis.KeyspaceIsolation;

namespace Hotpath.Tests;

/// <summary>One-time tokens against every RESP server the suite has.</summary>
public sealed class OneTimeTokenTests
{
    public static TheoryData<string> Servers => TestServers.Names;

    public sealed record ResetRequest(int UserId, string Email);

    private static OneTimeTokenService Tokens(string server, string prefix, IConnectionMultiplexer? multiplexer = null)
    {
        var options = new HotpathOptions { RedisUrl = TestServers.Url(server), KeyPrefix = prefix };
        var connection = HotpathConnection.Wrap(multiplexer ?? TestServers.Multiplexer(server), options, NullLogger.Instance);
        return OneTimeTokenService.Create(connection, options, NullLoggerFactory.Instance, TimeProvider.System);
    }

    private static IDatabase Raw(string server, string prefix) =>
        TestServers.Multiplexer(server).GetDatabase().WithKeyPrefix(prefix);

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task ATokenReturnsItsPayloadOnceAndOnlyForItsPurpose(string server)
    {
        var tokens = Tokens(server, TestServers.UniquePrefix(nameof(ATokenReturnsItsPayloadOnceAndOnlyForItsPurpose)));
        var payload = new ResetRequest(7, "alice@example.com");

        var token = await tokens.CreateAsync("password-reset", payload, TimeSpan.FromMinutes(5));
        var wrongPurpose = await tokens.ConsumeAsync<ResetRequest>("email-confirm", token);
        var first = await tokens.ConsumeAsync<ResetRequest>("password-reset", token);
        var second = await tokens.ConsumeAsync<ResetRequest>("password-reset", token);

        Assert.Equal(43, token.Length);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", token);
        Assert.False(wrongPurpose.IsValid);
        Assert.True(first.IsValid);
        Assert.Equal(payload, first.Payload);
        Assert.False(second.IsValid);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task ExactlyOneOfAHundredConcurrentConsumersGetsThePayload(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(ExactlyOneOfAHundredConcurrentConsumersGetsThePayload));
        await using var second = ConnectionMultiplexer.Connect(RedisConnectionSettings.Parse(TestServers.Url(server))
            .ToConfigurationOptions(new HotpathOptions { OperationTimeout = TimeSpan.FromSeconds(5) }));
        var services = new[] { Tokens(server, prefix), Tokens(server, prefix, second) };
        for (var round = 0; round < 5; round++)
        {
            var token = await services[0].CreateAsync("magic-link", round, TimeSpan.FromMinutes(1));
            using var start = new ManualResetEventSlim();
            var consumers = Enumerable.Range(0, 100).Select(i => Task.Run(async () =>
            {
                start.Wait();
                return await services[i % 2].ConsumeAsync<int>("magic-link", token);
            })).ToArray();
            start.Set();
            var results = await Task.WhenAll(consumers);

            var winner = Assert.Single(results, r => r.IsValid);
            Assert.Equal(round, winner.Payload);
        }
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AnExpiredTokenCannotBeConsumed(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(AnExpiredTokenCannotBeConsumed));
        var tokens = Tokens(server, prefix);
        var token = await tokens.CreateAsync("invite", "team-1", TimeSpan.FromMilliseconds(150));
        var key = OneTimeTokenService.Key("invite", token);
        Assert.True(await Raw(server, prefix).KeyExistsAsync(key));

        Assert.True(await Eventually.TrueAsync(async () => !await Raw(server, prefix).KeyExistsAsync(key), TimeSpan.FromSeconds(5)));

        Assert.False((await tokens.ConsumeAsync<string>("invite", token)).IsValid);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task OnlyTheHashOfTheTokenIsStored(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(OnlyTheHashOfTheTokenIsStored));
        var tokens = Tokens(server, prefix);
        var token = await tokens.CreateAsync("password/reset", new ResetRequest(1, "bob@example.com"), TimeSpan.FromMinutes(5));

        var keys = await TestServers.KeysAsync(server, prefix + "*");
        var stored = Assert.Single(keys);
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(token)));
        Assert.Equal(prefix + "_hotpath:otk:password%2Freset:" + hash, stored);
        Assert.DoesNotContain(token, stored, StringComparison.Ordinal);
        var value = (string?)await TestServers.Multiplexer(server).GetDatabase().StringGetAsync(stored);
        Assert.DoesNotContain(token, value, StringComparison.Ordinal);
        Assert.Equal("{\"userId\":1,\"email\":\"bob@example.com\"}", value);
        Assert.True((await tokens.ConsumeAsync<ResetRequest>("password/reset", token)).IsValid);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task ARevokedOrMalformedTokenIsNotValid(string server)
    {
        var tokens = Tokens(server, TestServers.UniquePrefix(nameof(ARevokedOrMalformedTokenIsNotValid)));
        var token = await tokens.CreateAsync("download", 5, TimeSpan.FromMinutes(5));

        Assert.False((await tokens.ConsumeAsync<int>("download", token[..42])).IsValid);
        Assert.False((await tokens.ConsumeAsync<int>("download", token[..42] + "*")).IsValid);
        Assert.False((await tokens.ConsumeAsync<int>("download", "")).IsValid);
        Assert.True(await tokens.RevokeAsync("download", token));
        Assert.False((await tokens.ConsumeAsync<int>("download", token)).IsValid);
        Assert.False(await tokens.RevokeAsync("download", token));
    }

    [Fact]
    public async Task WithTheCacheDisabledTokensWorkInProcess()
    {
        var options = new HotpathOptions { RedisUrl = "none" };
        var clock = new ManualClock();
        var tokens = OneTimeTokenService.Create(HotpathConnection.Create(options, NullLoggerFactory.Instance), options, NullLoggerFactory.Instance, clock);
        var token = await tokens.CreateAsync("confirm", "x", TimeSpan.FromMinutes(1));
        var expiring = await tokens.CreateAsync("confirm", "y", TimeSpan.FromSeconds(30));

        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => Task.Run(async () => await tokens.ConsumeAsync<string>("confirm", token))));
        clock.Advance(TimeSpan.FromSeconds(31));

        Assert.IsType<InProcessTokenStore>(tokens.Store);
        Assert.Single(results, r => r.IsValid);
        Assert.False((await tokens.ConsumeAsync<string>("confirm", expiring)).IsValid);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AnUnreadablePayloadIsRefusedAndLoggedWithoutTheTokenTheHashOrThePayload(string server)
    {
        var logs = new CapturingLoggerProvider();
        var options = new HotpathOptions { RedisUrl = TestServers.Url(server), KeyPrefix = TestServers.UniquePrefix(nameof(AnUnreadablePayloadIsRefusedAndLoggedWithoutTheTokenTheHashOrThePayload)) };
        var tokens = OneTimeTokenService.Create(HotpathConnection.Wrap(TestServers.Multiplexer(server), options, NullLogger.Instance), options, logs, TimeProvider.System);
        var token = await tokens.CreateAsync("invite:secret-purpose", "payload-secret-text", TimeSpan.FromMinutes(5));
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(token)));

        // Read as the wrong type: the token is consumed and refused, and the log says only the type and why.
        Assert.False((await tokens.ConsumeAsync<ResetRequest>("invite:secret-purpose", token)).IsValid);

        var record = Assert.Single(logs.Records, r => r.EventId.Id == 4021);
        Assert.Contains(nameof(ResetRequest), record.Message, StringComparison.Ordinal);
        foreach (var secret in new[] { token, hash, "payload-secret", "secret-purpose" })
        {
            Assert.DoesNotContain(secret, logs.AllText, StringComparison.Ordinal);
        }
    }
}
