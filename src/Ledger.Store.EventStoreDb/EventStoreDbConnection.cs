using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Ledger.Store.EventStoreDb.Protocol.Streams;

namespace Ledger.Store.EventStoreDb;

/// <summary>
/// One gRPC channel to the node that serves this client, the headers every call carries (basic auth, requires-leader,
/// connection-name), and the move to another node: to the leader a not-leader error names, or to the next seed when a node is unreachable.
/// </summary>
internal sealed class EventStoreDbConnection : IDisposable
{
    private readonly EventStoreDbConnectionString settings;
    private readonly Metadata headers = [];
    private readonly Lock gate = new();
    private GrpcChannel channel;
    private int seed;

    public EventStoreDbConnection(EventStoreDbConnectionString settings)
    {
        this.settings = settings;
        if (settings.UserName is not null)
        {
            var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.UserName}:{settings.Password}"));
            headers.Add("authorization", "Basic " + credentials);
        }

        headers.Add("requires-leader", settings.NodePreference == NodePreference.Leader ? "true" : "false");
        if (settings.ConnectionName is not null)
        {
            headers.Add("connection-name", settings.ConnectionName);
        }

        channel = Open(settings.Hosts[0]);
    }

    public Streams.StreamsClient Streams
    {
        get
        {
            lock (gate)
            {
                return new Streams.StreamsClient(channel);
            }
        }
    }

    public CallOptions Options(CancellationToken cancellationToken, bool withDeadline = true) =>
        new(headers, withDeadline && settings.DefaultDeadline is { } deadline ? DateTime.UtcNow + deadline : null, cancellationToken);

    /// <summary>Runs a call; on not-leader it reconnects to the named leader, on an unreachable node to the next seed, and tries again.</summary>
    public async Task<T> RunAsync<T>(Func<Streams.StreamsClient, Task<T>> call)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await call(Streams);
            }
            catch (RpcException error) when (attempt < Math.Max(3, settings.Hosts.Count + 1) && Reconnect(error))
            {
            }
        }
    }

    /// <summary>Whether the error is one another node can answer; if so the channel now points there.</summary>
    public bool Reconnect(RpcException error)
    {
        var leader = LeaderOf(error);
        if (leader is not null)
        {
            Replace(leader);
            return true;
        }

        if (error.StatusCode == StatusCode.Unavailable && settings.Hosts.Count > 1)
        {
            lock (gate)
            {
                seed = (seed + 1) % settings.Hosts.Count;
            }

            Replace(settings.Hosts[seed]);
            return true;
        }

        return false;
    }

    private static EventStoreDbHost? LeaderOf(RpcException error)
    {
        if (error.StatusCode != StatusCode.NotFound || error.Trailers.GetValue("exception") != "not-leader")
        {
            return null;
        }

        var host = error.Trailers.GetValue("leader-endpoint-host");
        var port = error.Trailers.GetValue("leader-endpoint-port");
        return host is not null && int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? new EventStoreDbHost(host, number)
            : null;
    }

    private void Replace(EventStoreDbHost host)
    {
        var next = Open(host);
        GrpcChannel previous;
        lock (gate)
        {
            previous = channel;
            channel = next;
        }

        previous.Dispose();
    }

    private GrpcChannel Open(EventStoreDbHost host)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            KeepAlivePingDelay = settings.KeepAliveInterval,
            KeepAlivePingTimeout = settings.KeepAliveTimeout,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        };
        if (settings.Tls)
        {
            handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = Validator() };
        }

        return GrpcChannel.ForAddress(settings.Address(host), new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5359", Justification = "tlsVerifyCert=false is the user's explicit choice, as in the official clients (test clusters with self-signed certificates).")]
    private RemoteCertificateValidationCallback? Validator()
    {
        if (!settings.TlsVerifyCert)
        {
            return (_, _, _, _) => true;
        }

        if (settings.TlsCaFile is null)
        {
            return null;
        }

        var authority = X509CertificateLoader.LoadCertificateFromFile(settings.TlsCaFile);
        return (_, certificate, _, errors) =>
        {
            if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            {
                return false;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(authority);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(new X509Certificate2(certificate));
        };
    }

    public void Dispose()
    {
        lock (gate)
        {
            channel.Dispose();
        }
    }
}
