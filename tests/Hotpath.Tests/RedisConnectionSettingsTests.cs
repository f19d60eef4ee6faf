namespace Hotpath.Tests;

public sealed class RedisConnectionSettingsTests
{
    [Fact]
    public void UnsetMeansEmbedded() => Assert.Equal(RedisServerMode.Embedded, RedisConnectionSettings.Parse(null).Mode);

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("none")]
    [InlineData("NONE")]
    public void EmptyOrNoneMeansDisabled(string value) => Assert.Equal(RedisServerMode.Disabled, RedisConnectionSettings.Parse(value).Mode);

    [Fact]
    public void PlainUrlDefaultsPortAndDatabase()
    {
        var settings = RedisConnectionSettings.Parse("redis://cache.internal");

        Assert.Equal(RedisServerMode.Server, settings.Mode);
        Assert.Equal("cache.internal", settings.EndPoints.Single().Host);
        Assert.Equal(6379, settings.EndPoints.Single().Port);
        Assert.Equal(0, settings.Database);
        Assert.False(settings.UseTls);
        Assert.False(settings.HasPassword);
    }

    [Fact]
    public void FullUrlCarriesUserPasswordPortAndDatabase()
    {
        var settings = RedisConnectionSettings.Parse("redis://app:s%40cret@10.0.0.5:6380/3");

        Assert.Equal("app", settings.User);
        Assert.Equal("s@cret", settings.Password);
        Assert.Equal(6380, settings.EndPoints.Single().Port);
        Assert.Equal(3, settings.Database);
        var config = settings.ToConfigurationOptions(new HotpathOptions());
        Assert.Equal("app", config.User);
        Assert.Equal("s@cret", config.Password);
        Assert.Equal(3, config.DefaultDatabase);
    }

    [Fact]
    public void PasswordOnlyUrlHasNoUser()
    {
        var settings = RedisConnectionSettings.Parse("redis://:pw@host:1");
        Assert.Null(settings.User);
        Assert.True(settings.HasPassword);
    }

    [Fact]
    public void TlsUrlUsesTlsWithTheHostName()
    {
        var settings = RedisConnectionSettings.Parse("rediss://user:pw@cache.example.com:6380");

        Assert.True(settings.UseTls);
        var config = settings.ToConfigurationOptions(new HotpathOptions());
        Assert.True(config.Ssl);
        Assert.Equal("cache.example.com", config.SslHost);
    }

    [Fact]
    public void Ipv6HostIsAccepted()
    {
        var settings = RedisConnectionSettings.Parse("redis://[::1]:7000");
        Assert.Equal("::1", settings.EndPoints.Single().Host);
        Assert.Equal(7000, settings.EndPoints.Single().Port);
    }

    [Theory]
    [InlineData("redis+cluster://pw-user:pw@a:7000,b:7001,c:7002", 3)]
    [InlineData("redis://a:7000,redis://b:7001", 2)]
    public void ClusterFormsListEveryNode(string url, int nodes)
    {
        var settings = RedisConnectionSettings.Parse(url);

        Assert.Equal(RedisServerMode.Cluster, settings.Mode);
        Assert.Equal(nodes, settings.EndPoints.Count);
    }

    [Fact]
    public void SentinelUrlListsTheSentinelsAndNamesTheService()
    {
        var settings = RedisConnectionSettings.Parse("redis+sentinel://app:s%40cret@10.0.0.1:26380,10.0.0.2,[::1]:26381/my-primary_1.a/2");

        Assert.Equal(RedisServerMode.Sentinel, settings.Mode);
        Assert.Equal(["10.0.0.1:26380", "10.0.0.2:26379", "::1:26381"], settings.EndPoints.Select(static e => $"{e.Host}:{e.Port}"));
        Assert.Equal("my-primary_1.a", settings.ServiceName);
        Assert.Equal(2, settings.Database);
        Assert.Equal("app", settings.User);
        Assert.Equal("s@cret", settings.Password);
        var config = settings.ToConfigurationOptions(new HotpathOptions());
        Assert.Equal("my-primary_1.a", config.ServiceName);
        Assert.Equal(2, config.DefaultDatabase);
        Assert.Equal("s@cret", config.Password);
        Assert.Equal(3, config.EndPoints.Count);
        Assert.Equal("redis+sentinel://app:***@10.0.0.1:26380,10.0.0.2:26379,[::1]:26381/my-primary_1.a/2", settings.ToString());
    }

    [Fact]
    public void OnlyASentinelUrlSetsAServiceName()
    {
        Assert.Equal("mymaster", RedisConnectionSettings.Parse("redis+sentinel://127.0.0.1:26379/mymaster").ServiceName);
        Assert.Equal(0, RedisConnectionSettings.Parse("redis+sentinel://127.0.0.1:26379/mymaster").Database);
        Assert.Null(RedisConnectionSettings.Parse("redis://127.0.0.1:6379").ServiceName);
        Assert.Null(RedisConnectionSettings.Parse("redis://127.0.0.1:6379").ToConfigurationOptions(new HotpathOptions()).ServiceName);
        Assert.Null(RedisConnectionSettings.Parse("redis+cluster://127.0.0.1:7000,127.0.0.1:7001").ServiceName);
    }

    [Theory]
    [InlineData("redis+sentinel://a:26379", "service name as its path")]
    [InlineData("redis+sentinel://a:26379/", "service name as its path")]
    [InlineData("redis+sentinel://a:26379//2", "service name as its path")]
    [InlineData("redis+sentinel://a:26379/my%20primary", "service name may hold only")]
    [InlineData("redis+sentinel://a:26379/mymaster/x", "database number")]
    [InlineData("redis+sentinel://a:26379/mymaster/", "database number")]
    [InlineData("redis+sentinel://a:26379/mymaster/1/2", "only a database number may follow")]
    [InlineData("redis+sentinel://a:0/mymaster", "port")]
    [InlineData("redis+sentinel:///mymaster", "no host")]
    public void ABadSentinelUrlFailsSayingWhatIsWrongAndTheAcceptedForm(string url, string reason)
    {
        var ex = Assert.Throws<HotpathConfigurationException>(() => RedisConnectionSettings.Parse(url));

        Assert.StartsWith("REDIS_URL is not valid", ex.Message);
        Assert.Contains(reason, ex.Message);
        Assert.Contains("redis+sentinel://[user:password@]host:port[,host:port...]/service[/db]", ex.Message);
    }

    [Theory]
    [InlineData("http://host")]
    [InlineData("redis://")]
    [InlineData("redis://host:notaport")]
    [InlineData("redis://host:0")]
    [InlineData("redis://host:70000")]
    [InlineData("redis://host/abc")]
    [InlineData("redis://a:1,b:2")]
    [InlineData("redis+cluster://a:1/2")]
    [InlineData("redis://a:1,rediss://b:2")]
    [InlineData("redis://[::1")]
    [InlineData("redis://ho st")]
    public void AnythingElseFailsNamingTheSettingAndTheAcceptedForms(string url)
    {
        var ex = Assert.Throws<HotpathConfigurationException>(() => RedisConnectionSettings.Parse(url));

        Assert.StartsWith("REDIS_URL is not valid", ex.Message);
        Assert.Contains("redis://[user:password@]host[:port][/db]", ex.Message);
        Assert.Contains("'none'", ex.Message);
    }

    [Theory]
    [InlineData("redis://admin:hunter2@host:1/99999")]
    [InlineData("http://admin:hunter2@host")]
    [InlineData("redis://admin:hunter2@host:1,ftp://b:hunter2@c")]
    public void PasswordNeverAppearsInAnError(string url)
    {
        var ex = Assert.Throws<HotpathConfigurationException>(() => RedisConnectionSettings.Parse(url));
        Assert.DoesNotContain("hunter2", ex.Message);
    }

    [Fact]
    public void PasswordNeverAppearsInToString()
    {
        var text = RedisConnectionSettings.Parse("rediss://admin:hunter2@host:6380/2").ToString();

        Assert.Equal("rediss://admin:***@host:6380/2", text);
        Assert.DoesNotContain("hunter2", RedisConnectionSettings.Parse("redis+cluster://:hunter2@a:1,b:2").ToString());
        Assert.Equal("redis+sentinel://:***@a:1,b:2/mymaster", RedisConnectionSettings.Parse("redis+sentinel://:hunter2@a:1,b:2/mymaster").ToString());
    }

    /// <summary>Passwords holding every character that URL or list syntax gives a meaning to, raw or percent-escaped, and non-ASCII ones.</summary>
    public static TheoryData<string> HostilePasswords =>
        ["S3cr3t,Pa55", "S3cr3t@Pa55", "S3cr3t:Pa55", "S3cr3t%2CPa55", "S3cr3t%40Pa55", "S3cr3t%2FPa55", "Sëcrët,Päss"];

    private static readonly string[] Fragments = ["S3cr3t", "Pa55", "Sëcrët", "Päss", "cr3t", "Pa5"];

    [Theory]
    [MemberData(nameof(HostilePasswords))]
    public void AHostilePasswordParsesWholeAndNeverShowsInToStringOrTheStartUpLine(string password)
    {
        var url = $"redis://app:{password}@127.0.0.1:6390";

        var settings = RedisConnectionSettings.Parse(url);

        Assert.Equal(RedisServerMode.Server, settings.Mode);
        Assert.Equal(Uri.UnescapeDataString(password), settings.Password);
        Assert.Equal("redis://app:***@127.0.0.1:6390", settings.ToString());

        var sentinel = RedisConnectionSettings.Parse($"redis+sentinel://app:{password}@127.0.0.1:26390,127.0.0.1:26391/mymaster/1");
        Assert.Equal(Uri.UnescapeDataString(password), sentinel.Password);
        Assert.Equal("mymaster", sentinel.ServiceName);
        Assert.Equal("redis+sentinel://app:***@127.0.0.1:26390,127.0.0.1:26391/mymaster/1", sentinel.ToString());
    }

    [Theory]
    [MemberData(nameof(HostilePasswords))]
    public void AHostilePasswordNeverShowsInAnyError(string password)
    {
        string[] invalid =
        [
            $"redis://app:{password}@127.0.0.1:99999",
            $"http://app:{password}@127.0.0.1:6390",
            $"redis://app:{password}@127.0.0.1:6390/notanumber",
            $"redis://app:{password}@127.0.0.1:6390,http://other:{password}@h:1",
            $"redis+cluster://app:{password}@127.0.0.1:6390/3",
            $"127.0.0.1:99999,password={password},ssl=false",
            $"127.0.0.1:6390,user=app,password={password},ssl=maybe",
            $"127.0.0.1:6390,password={password},connectTimeout=5",
            $"app:{password}@127.0.0.1:6390",
            $"redis://app:{password},redis://x@127.0.0.1:6390/notanumber",
            $"redis+sentinel://app:{password}@127.0.0.1:26390",
            $"redis+sentinel://app:{password}@127.0.0.1:26390,127.0.0.1:26391/my primary",
            $"redis+sentinel://app:{password}@127.0.0.1:26390/mymaster/notanumber",
            $"redis+sentinel://app:{password}@127.0.0.1:0/mymaster",
        ];
        foreach (var url in invalid)
        {
            var shown = Assert.Throws<HotpathConfigurationException>(() => RedisConnectionSettings.Parse(url)).Message;
            Assert.Contains("REDIS_URL", shown, StringComparison.Ordinal);

            foreach (var fragment in Fragments)
            {
                Assert.False(shown.Contains(fragment, StringComparison.Ordinal), $"'{fragment}' shows in: {shown}");
            }
        }
    }

    [Fact]
    public void AListOfNodesSplitsOnlyWhereANewSchemeBegins()
    {
        var settings = RedisConnectionSettings.Parse("redis://:pa,ss@10.0.0.1:7000, redis://:pa,ss@10.0.0.2:7001");

        Assert.Equal(RedisServerMode.Cluster, settings.Mode);
        Assert.Equal(2, settings.EndPoints.Count);
        Assert.Equal("pa,ss", settings.Password);
    }

    [Fact]
    public void AConfigurationStringCarriesHostUserPasswordTlsAndDatabase()
    {
        var settings = RedisConnectionSettings.Parse("cache.example.com:6380,user=app,password=s3cr3t,ssl=true,abortConnect=false,defaultDatabase=2");

        Assert.Equal(RedisServerMode.Server, settings.Mode);
        Assert.Equal("cache.example.com", settings.EndPoints.Single().Host);
        Assert.Equal(6380, settings.EndPoints.Single().Port);
        Assert.Equal("app", settings.User);
        Assert.Equal("s3cr3t", settings.Password);
        Assert.True(settings.UseTls);
        Assert.Equal(2, settings.Database);
        Assert.Equal("rediss://app:***@cache.example.com:6380/2", settings.ToString());
        var config = settings.ToConfigurationOptions(new HotpathOptions());
        Assert.True(config.Ssl);
        Assert.Equal("cache.example.com", config.SslHost);
        Assert.Equal("s3cr3t", config.Password);
        Assert.Equal(2, config.DefaultDatabase);
        Assert.False(config.AbortOnConnectFail);
    }

    [Fact]
    public void AConfigurationStringKeepsItsOtherOptionsButHotpathSetsTheTimeoutsAndAbortConnect()
    {
        var settings = RedisConnectionSettings.Parse("127.0.0.1:7000,abortConnect=true,name=shop,keepAlive=17,sslHost=other.example.com,ssl=true");

        var config = settings.ToConfigurationOptions(new HotpathOptions { OperationTimeout = TimeSpan.FromMilliseconds(321) });

        Assert.Equal("shop", config.ClientName);
        Assert.Equal(17, config.KeepAlive);
        Assert.Equal("other.example.com", config.SslHost);
        Assert.False(config.AbortOnConnectFail);
        Assert.Equal(321, config.SyncTimeout);
        Assert.Equal(321, config.AsyncTimeout);
        Assert.Equal("hotpath", RedisConnectionSettings.Parse("h:1").ToConfigurationOptions(new HotpathOptions()).ClientName);
    }

    [Theory]
    [InlineData("cache.internal", 6379)]
    [InlineData("cache.internal,ssl=true", 6380)]
    [InlineData(" cache.internal:7001 , password=x ", 7001)]
    public void AConfigurationStringHostWithoutAPortGetsTheDefaultPortOfItsTransport(string value, int port)
    {
        Assert.Equal(port, RedisConnectionSettings.Parse(value).EndPoints.Single().Port);
    }

    [Fact]
    public void AConfigurationStringWithSeveralHostsIsACluster()
    {
        var settings = RedisConnectionSettings.Parse("10.0.0.1:7000,10.0.0.2:7001,[::1]:7002,password=pw");

        Assert.Equal(RedisServerMode.Cluster, settings.Mode);
        Assert.Equal(["10.0.0.1", "10.0.0.2", "::1"], settings.EndPoints.Select(static e => e.Host));
        Assert.Null(settings.ToConfigurationOptions(new HotpathOptions()).DefaultDatabase);
    }

    [Theory]
    [InlineData("host:notaport", "the port must be")]
    [InlineData("host:1,password=pa,ss", "every host:port must come before the options")]
    [InlineData("host:1,serviceName=mymaster", "Sentinel")]
    [InlineData("host:1,connectTimeout=100", "Hotpath:ConnectTimeout")]
    [InlineData("host:1,bogus=1", "an option is not one StackExchange.Redis accepts")]
    [InlineData("host:1,ssl=maybe", "an option is not one StackExchange.Redis accepts")]
    [InlineData("a:1,b:2,defaultDatabase=3", "a cluster has only database 0")]
    [InlineData("password=x,ssl=true", "no host")]
    [InlineData("ho st:1", "the host name is not valid")]
    public void AnInvalidConfigurationStringFailsNamingTheSettingAndTheReason(string value, string reason)
    {
        var ex = Assert.Throws<HotpathConfigurationException>(() => RedisConnectionSettings.Parse(value, "ConnectionStrings:cache"));

        Assert.StartsWith("ConnectionStrings:cache is not valid (", ex.Message, StringComparison.Ordinal);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.Contains("StackExchange.Redis configuration string", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Passwords a configuration string can carry (no ','): they parse whole, taken literally (no percent-decoding).</summary>
    public static TheoryData<string> ConfigurationStringPasswords =>
        ["S3cr3t@Pa55", "S3cr3t:Pa55", "S3cr3t=Pa55", "S3cr3t/Pa55", "S3cr3t%2CPa55", "Sëcrët:Päss", "S3cr3t@Pa55:x=y/z%40"];

    [Theory]
    [MemberData(nameof(ConfigurationStringPasswords))]
    public void AHostilePasswordInAConfigurationStringParsesWholeAndNeverShowsInToString(string password)
    {
        var settings = RedisConnectionSettings.Parse($"127.0.0.1:6390,user=app,password={password},ssl=false,abortConnect=false");

        Assert.Equal(password, settings.Password);
        Assert.Equal("redis://app:***@127.0.0.1:6390", settings.ToString());
    }

    [Theory]
    [InlineData("S3cr3t,Pa55")]
    [InlineData("S3cr3t,Pa55=x")]
    [InlineData("Sëcrët,Päss")]
    public void APasswordHoldingACommaInAConfigurationStringFailsWithoutShowingAnyOfIt(string password)
    {
        var ex = Assert.Throws<HotpathConfigurationException>(() => RedisConnectionSettings.Parse($"127.0.0.1:6390,password={password},ssl=false"));

        foreach (var fragment in Fragments)
        {
            Assert.False(ex.Message.Contains(fragment, StringComparison.Ordinal), $"'{fragment}' shows in: {ex.Message}");
        }
    }
}
