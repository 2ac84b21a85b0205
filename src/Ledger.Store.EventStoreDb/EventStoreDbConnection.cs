using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Ledger.Store.EventStoreDb.Protocol;
using Ledger.Store.EventStoreDb.Protocol.Gossip;
using Ledger.Store.EventStoreDb.Protocol.ServerFeatures;
using Ledger.Store.EventStoreDb.Protocol.Streams;

namespace Ledger.Store.EventStoreDb;

/// <summary>
/// One gRPC channel to the node that serves this client, the headers every call carries (basic auth, requires-leader,
/// connection-name), and the move to another node: to the leader a not-leader error names, or, when a node is unreachable,
/// to the node the cluster's gossip offers (several hosts or +discover) or the next host. Appends go through the node's
/// BatchAppend when its server-features probe offers it, else through the classic Append.
/// </summary>
internal sealed class EventStoreDbConnection : IDisposable
{
    private readonly EventStoreDbConnectionString settings;
    private readonly Metadata headers = [];
    private readonly Lock gate = new();
    private Node node;
    private int seed;

    private EventStoreDbConnection(EventStoreDbConnectionString settings)
    {
        this.settings = settings;
        if (settings.SendsCredentials)
        {
            var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.UserName}:{settings.Password}"));
            headers.Add("authorization", "Basic " + credentials);
        }

        headers.Add("requires-leader", settings.NodePreference == NodePreference.Leader ? "true" : "false");
        if (settings.ConnectionName is not null)
        {
            headers.Add("connection-name", settings.ConnectionName);
        }

        node = new Node(Open(settings.Hosts[0]));
    }

    /// <summary>Connects to the one host given, or to the node gossip discovery picks by the node preference.</summary>
    public static async Task<EventStoreDbConnection> ConnectAsync(EventStoreDbConnectionString settings, CancellationToken cancellationToken)
    {
        var connection = new EventStoreDbConnection(settings);
        if (settings.Discover)
        {
            try
            {
                connection.Replace(await connection.DiscoverAsync(cancellationToken));
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        return connection;
    }

    public Streams.StreamsClient Streams => Current.Streams;

    private Node Current
    {
        get
        {
            lock (gate)
            {
                return node;
            }
        }
    }

    public CallOptions Options(CancellationToken cancellationToken, bool withDeadline = true) =>
        new(headers, withDeadline && settings.DefaultDeadline is { } deadline ? DateTime.UtcNow + deadline : null, cancellationToken);

    /// <summary>Runs a call; on not-leader it reconnects to the named leader, on an unreachable node to the next seed, and tries again.</summary>
    public Task<T> RunAsync<T>(Func<Streams.StreamsClient, Task<T>> call, CancellationToken cancellationToken) =>
        RunOnNodeAsync(target => call(target.Streams), cancellationToken);

    private async Task<T> RunOnNodeAsync<T>(Func<Node, Task<T>> call, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var target = Current;
            try
            {
                return await call(target);
            }
            catch (RpcException error) when (IsCancelled(error, cancellationToken))
            {
                throw Cancelled(error, cancellationToken);
            }
            catch (RpcException error) when (attempt < Math.Max(3, settings.Hosts.Count + 1))
            {
                // Cut off because another call moved the connection meanwhile (ending the shared BatchAppend call): try where it went.
                if (!ReferenceEquals(target, Current) && error.StatusCode is StatusCode.Unavailable or StatusCode.Cancelled)
                {
                    continue;
                }

                if (!await ReconnectAsync(error, CancellationToken.None))
                {
                    throw;
                }
            }
        }
    }

    /// <summary>
    /// One append, atomic: through the node's shared BatchAppend call when it offers one, else a classic Append; either way
    /// a wrong expected version is the server's answer, not an error.
    /// </summary>
    public Task<AppendResp> AppendAsync(AppendReq.Types.Options options, IReadOnlyList<AppendReq.Types.ProposedMessage> proposed, CancellationToken cancellationToken) =>
        RunOnNodeAsync(
            async target =>
            {
                var offered = await AppendMethodsAsync(target, cancellationToken);
                if (offered.BatchAppend)
                {
                    return await BatchAppendAsync(target, offered, options, proposed, cancellationToken);
                }

                using var call = target.Streams.Append(Options(cancellationToken));
                await call.RequestStream.WriteAsync(new AppendReq { Options = options }, cancellationToken);
                foreach (var message in proposed)
                {
                    await call.RequestStream.WriteAsync(new AppendReq { ProposedMessage = message }, cancellationToken);
                }

                await call.RequestStream.CompleteAsync();
                return await call.ResponseAsync;
            },
            cancellationToken);

    /// <summary>
    /// An append through the node's kept-open BatchAppend call. When the call dies with the append on it (a connection
    /// reset, the node closing it), the append may or may not have been written: it is sent again on a new call with the
    /// same event ids and expected revision, which the node writes once (a repeat whose ids are already in the stream right
    /// after the expected revision is answered as the first write was). Only appends with an exact expected revision or
    /// "no stream" are sent again: for "any" the node's check is best-effort. A not-leader error is not a lost call; it goes
    /// to the caller's move to the leader.
    /// </summary>
    private async Task<AppendResp> BatchAppendAsync(Node target, AppendMethods offered, AppendReq.Types.Options options, IReadOnlyList<AppendReq.Types.ProposedMessage> proposed, CancellationToken cancellationToken)
    {
        for (var lost = 0; ; lost++)
        {
            var call = target.BatchAppend(headers, offered.DeadlineAsDuration);
            try
            {
                return await call.AppendAsync(options, proposed, settings.DefaultDeadline, cancellationToken);
            }
            catch (RpcException error) when (lost < EventStoreDbEventStore.MaxLostAppendCalls && IsLost(call, error, cancellationToken) && IsRepeatable(options))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100 << lost), cancellationToken);
            }
        }
    }

    /// <summary>Whether the append failed because its call ended under it, not because the node answered it so.</summary>
    private static bool IsLost(BatchAppendCall call, RpcException error, CancellationToken cancellationToken) =>
        ReferenceEquals(call.EndedWith, error)
        && !cancellationToken.IsCancellationRequested
        && (error.StatusCode is StatusCode.Unavailable or StatusCode.Cancelled
            || (error.StatusCode == StatusCode.Internal && error.Status.DebugException is HttpRequestException or IOException));

    private static bool IsRepeatable(AppendReq.Types.Options options) =>
        options.ExpectedStreamRevisionCase is AppendReq.Types.Options.ExpectedStreamRevisionOneofCase.Revision
            or AppendReq.Types.Options.ExpectedStreamRevisionOneofCase.NoStream;

    /// <summary>What the node offers for appends, asked once per node; a node without the probe (before 21.10) offers no BatchAppend.</summary>
    private async Task<AppendMethods> AppendMethodsAsync(Node target, CancellationToken cancellationToken)
    {
        if (target.Appends is { } known)
        {
            return known;
        }

        AppendMethods found;
        try
        {
            var supported = await new ServerFeatures.ServerFeaturesClient(target.Channel).GetSupportedMethodsAsync(new Empty(), Options(cancellationToken));

            // 24.10 names services and methods in lower case; the official clients compare without case.
            var batchAppend = supported.Methods.FirstOrDefault(m =>
                string.Equals(m.ServiceName, "event_store.client.streams.streams", StringComparison.OrdinalIgnoreCase)
                && string.Equals(m.MethodName, "batchappend", StringComparison.OrdinalIgnoreCase));
            found = new AppendMethods(batchAppend is not null, batchAppend?.Features.Contains("deadline_duration", StringComparer.OrdinalIgnoreCase) == true);
        }
        catch (RpcException error) when (error.StatusCode == StatusCode.Unimplemented)
        {
            found = new AppendMethods(BatchAppend: false, DeadlineAsDuration: false);
        }

        target.Appends = found;
        return found;
    }

    /// <summary>Whether the call ended because its caller cancelled it.</summary>
    private static bool IsCancelled(RpcException error, CancellationToken cancellationToken) =>
        error.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested;

    /// <summary>The caller's cancellation as every other backend reports it, not as RpcException(Cancelled).</summary>
    private static OperationCanceledException Cancelled(RpcException error, CancellationToken cancellationToken) =>
        new(error.Status.Detail, error, cancellationToken);

    /// <summary>The next message of a read, or the caller's cancellation.</summary>
    public static async Task<bool> MoveNextAsync<T>(IAsyncStreamReader<T> responses, CancellationToken cancellationToken)
    {
        try
        {
            return await responses.MoveNext(cancellationToken);
        }
        catch (RpcException error) when (IsCancelled(error, cancellationToken))
        {
            throw Cancelled(error, cancellationToken);
        }
    }

    /// <summary>Whether the error is one another node can answer; if so the channel now points there.</summary>
    public async Task<bool> ReconnectAsync(RpcException error, CancellationToken cancellationToken)
    {
        var leader = LeaderOf(error);
        if (leader is not null)
        {
            Replace(leader);
            return true;
        }

        if (error.StatusCode == StatusCode.Unavailable && settings.Discover)
        {
            try
            {
                Replace(await DiscoverAsync(cancellationToken));
                return true;
            }
            catch (RpcException)
            {
                return false;
            }
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

    /// <summary>Asks each seed's gossip for the cluster until one offers a live member in a usable state.</summary>
    /// <exception cref="RpcException">Unavailable: no seed answered with a usable member within maxDiscoverAttempts rounds.</exception>
    private async Task<EventStoreDbHost> DiscoverAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= settings.MaxDiscoverAttempts; attempt++)
        {
            foreach (var candidate in settings.Hosts)
            {
                try
                {
                    using var gossipChannel = Open(candidate);
                    var cluster = await new Gossip.GossipClient(gossipChannel).ReadAsync(new Empty(), new CallOptions(headers, DateTime.UtcNow + settings.GossipTimeout, cancellationToken));
                    if (Choose(cluster.Members, settings.NodePreference) is { HttpEndPoint: { } endPoint })
                    {
                        return new EventStoreDbHost(endPoint.Address, checked((int)endPoint.Port));
                    }
                }
                catch (RpcException error) when (error.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Unimplemented)
                {
                }
            }

            if (attempt < settings.MaxDiscoverAttempts)
            {
                await Task.Delay(settings.DiscoveryInterval, cancellationToken);
            }
        }

        throw new RpcException(new Status(
            StatusCode.Unavailable,
            $"no node of {string.Join(",", settings.Hosts)} offered a usable cluster member after {settings.MaxDiscoverAttempts} discovery attempt(s)"));
    }

    /// <summary>The preferred state first (any of its members), then leader, follower, read-only replica.</summary>
    internal static MemberInfo? Choose(IEnumerable<MemberInfo> members, NodePreference preference)
    {
        MemberInfo.Types.VNodeState[] order = preference switch
        {
            NodePreference.Follower => [MemberInfo.Types.VNodeState.Follower, MemberInfo.Types.VNodeState.Leader, MemberInfo.Types.VNodeState.ReadOnlyReplica],
            NodePreference.ReadOnlyReplica => [MemberInfo.Types.VNodeState.ReadOnlyReplica, MemberInfo.Types.VNodeState.PreReadOnlyReplica, MemberInfo.Types.VNodeState.ReadOnlyLeaderless, MemberInfo.Types.VNodeState.Leader, MemberInfo.Types.VNodeState.Follower],
            _ => [MemberInfo.Types.VNodeState.Leader, MemberInfo.Types.VNodeState.Follower, MemberInfo.Types.VNodeState.ReadOnlyReplica],
        };
        var alive = members.Where(m => m.IsAlive && m.HttpEndPoint is not null).ToList();
        if (preference == NodePreference.Random)
        {
            var usable = alive.Where(m => order.Contains(m.State)).ToList();
            return usable.Count == 0 ? null : usable[Random.Shared.Next(usable.Count)];
        }

        foreach (var state in order)
        {
            var inState = alive.Where(m => m.State == state).ToList();
            if (inState.Count > 0)
            {
                return inState[Random.Shared.Next(inState.Count)];
            }
        }

        return null;
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
        var next = new Node(Open(host));
        Node previous;
        lock (gate)
        {
            previous = node;
            node = next;
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
            PooledConnectionIdleTimeout = System.Threading.Timeout.InfiniteTimeSpan,
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
            node.Dispose();
        }
    }

    private sealed record AppendMethods(bool BatchAppend, bool DeadlineAsDuration);

    /// <summary>The channel to one node, with what the node offers for appends and the BatchAppend call kept open to it.</summary>
    private sealed class Node(GrpcChannel channel) : IDisposable
    {
        private readonly Lock gate = new();
        private BatchAppendCall? batchAppend;
        private bool disposed;

        public GrpcChannel Channel => channel;

        public Streams.StreamsClient Streams { get; } = new(channel);

        public AppendMethods? Appends { get; set; }

        /// <summary>The open BatchAppend call, or a new one when there is none or the last one has ended.</summary>
        public BatchAppendCall BatchAppend(Metadata headers, bool deadlineAsDuration)
        {
            lock (gate)
            {
                if (disposed)
                {
                    throw new RpcException(new Status(StatusCode.Unavailable, "the connection has closed or moved to another node"));
                }

                if (batchAppend is null || batchAppend.Ended)
                {
                    batchAppend?.Dispose();
                    batchAppend = new BatchAppendCall(Streams, headers, deadlineAsDuration);
                }

                return batchAppend;
            }
        }

        public void Dispose()
        {
            lock (gate)
            {
                disposed = true;
                batchAppend?.Dispose();
            }

            channel.Dispose();
        }
    }
}
