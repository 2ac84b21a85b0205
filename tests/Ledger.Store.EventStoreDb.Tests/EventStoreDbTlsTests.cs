using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Ledger.Storage;
using Ledger.Store.EventStoreDb.ProtocolFake;

namespace Ledger.Store.EventStoreDb.Tests;

/// <summary>TLS towards the protocol fake, its certificate issued by a private CA made here (as es-gencert-cli does for a cluster).</summary>
public sealed class EventStoreDbTlsTests : IAsyncLifetime, IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("ledger-esdb-tls-").FullName;
    private readonly X509Certificate2 authority;
    private readonly X509Certificate2 server;
    private EventStoreDbProtocolFake fake = null!;

    public EventStoreDbTlsTests()
    {
        var now = DateTimeOffset.UtcNow;
        using var authorityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var authorityRequest = new CertificateRequest("CN=Ledger test CA", authorityKey, HashAlgorithmName.SHA256);
        authorityRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        authorityRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        authority = authorityRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=node1", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var issued = serverRequest.Create(authority, now.AddHours(-1), now.AddDays(1), [1, 2, 3, 4]);
        using var withKey = issued.CopyWithPrivateKey(serverKey);
        server = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pfx), null);
        File.WriteAllText(AuthorityFile, authority.ExportCertificatePem());
    }

    private string AuthorityFile => Path.Combine(directory, "ca.crt");

    public async Task InitializeAsync() => fake = await EventStoreDbProtocolFake.StartAsync(new FakeNodeOptions { Certificate = server });

    public async Task DisposeAsync() => await fake.DisposeAsync();

    private string Tls(string settings) => $"esdb://127.0.0.1:{fake.Port}?{settings}";

    [Fact]
    public async Task A_node_certificate_from_the_ca_in_tlsCAFile_is_trusted()
    {
        await using var store = await EventStoreDbEventStore.OpenAsync(Tls($"tlsCAFile={Uri.EscapeDataString(AuthorityFile)}"), "p/");

        var result = await store.AppendAsync("a/one", 0, [new EventToAppend("PositionStated", "s1", "Acme", null, DateTimeOffset.UnixEpoch, "spec", "{}")]);

        Assert.Equal(1, result.LastPosition);
    }

    [Fact]
    public async Task Without_the_ca_the_certificate_is_refused_unless_verification_is_turned_off()
    {
        var refused = await Assert.ThrowsAsync<RpcException>(() => EventStoreDbEventStore.OpenAsync(Tls("tls=true"), "p/"));
        await using var unverified = await EventStoreDbEventStore.OpenAsync(Tls("tlsVerifyCert=false"), "p/");

        AssertRefusedByTls(refused);
        Assert.Empty(await unverified.ListStreamsAsync());
    }

    [Fact]
    public async Task A_certificate_from_another_ca_is_refused()
    {
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var otherRequest = new CertificateRequest("CN=Another CA", otherKey, HashAlgorithmName.SHA256);
        otherRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var other = otherRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var otherFile = Path.Combine(directory, "other.crt");
        await File.WriteAllTextAsync(otherFile, other.ExportCertificatePem());

        var refused = await Assert.ThrowsAsync<RpcException>(() => EventStoreDbEventStore.OpenAsync(Tls($"tlsCAFile={Uri.EscapeDataString(otherFile)}"), "p/"));

        AssertRefusedByTls(refused);
    }

    /// <summary>Grpc.Net.Client reports a failed handshake as Internal, the HttpRequestException kept as the debug exception.</summary>
    private static void AssertRefusedByTls(RpcException refused)
    {
        Assert.Equal(StatusCode.Internal, refused.StatusCode);
        Assert.Contains("SSL connection could not be established", Assert.IsType<HttpRequestException>(refused.Status.DebugException).Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        authority.Dispose();
        server.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}
