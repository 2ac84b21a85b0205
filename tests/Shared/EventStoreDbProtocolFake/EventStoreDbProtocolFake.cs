using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ledger.Store.EventStoreDb.ProtocolFake;

/// <summary>How the fake node behaves towards a caller: which credentials it wants, whether it is a follower that points to a leader.</summary>
internal sealed class FakeNodeOptions
{
    public (string User, string Password)? Credentials { get; init; }

    /// <summary>A follower: calls that require the leader get not-leader naming this port on the loopback.</summary>
    public int? LeaderPort { get; set; }

    /// <summary>What gossip answers; null: this node alone, as leader.</summary>
    public IReadOnlyList<Protocol.Gossip.MemberInfo>? Members { get; set; }

    public int Port { get; set; }

    /// <summary>The next subscription fails as Unavailable after sending this many events, as when a node goes down.</summary>
    public int? DropNextSubscriptionAfter { get; set; }

    public int DroppedSubscriptions { get; set; }

    /// <summary>Appends to this stream wait, once their events have arrived, until the hold is released: a slow writer.</summary>
    public FakeAppendHold? Hold { get; set; }

    private FakeCallBreak? callBreak;
    private int brokenCalls;

    /// <summary>The next BatchAppend batch to this stream ends its whole call (the HTTP/2 stream reset) before or after it is written.</summary>
    public void BreakNextBatchAppend(string stream, FakeBatchBreak when)
    {
        lock (Calls)
        {
            callBreak = new FakeCallBreak(stream, when);
        }
    }

    /// <summary>Whether a batch to this stream is the one to break, and when; taken once.</summary>
    public FakeBatchBreak? TakeBatchAppendBreak(string stream)
    {
        lock (Calls)
        {
            if (callBreak is not { } armed || armed.Stream != stream)
            {
                return null;
            }

            callBreak = null;
            Interlocked.Increment(ref brokenCalls);
            return armed.When;
        }
    }

    /// <summary>BatchAppend calls ended by <see cref="BreakNextBatchAppend"/>.</summary>
    public int BrokenBatchAppendCalls => Volatile.Read(ref brokenCalls);

    /// <summary>What the server-features probe reports: by default BatchAppend, as every node from 21.10 on.</summary>
    public FakeServerFeatures Features { get; set; } = FakeServerFeatures.BatchAppend;

    private int cancelledCalls;
    private int appendsThroughAppend;
    private int appendsThroughBatchAppend;

    /// <summary>Appends the classic Append has written (or refused for their expected version).</summary>
    public int AppendsThroughAppend => Volatile.Read(ref appendsThroughAppend);

    /// <summary>Batches BatchAppend has written (or refused for their expected version).</summary>
    public int AppendsThroughBatchAppend => Volatile.Read(ref appendsThroughBatchAppend);

    public void ServedAppend() => Interlocked.Increment(ref appendsThroughAppend);

    public void ServedBatchAppend() => Interlocked.Increment(ref appendsThroughBatchAppend);
    private long eventsReadFromAll;

    /// <summary>Events the node has sent in answer to reads of $all (not subscriptions): what a client's catch-ups cost it.</summary>
    public long EventsReadFromAll => Interlocked.Read(ref eventsReadFromAll);

    public void ServedFromAll() => Interlocked.Increment(ref eventsReadFromAll);

    /// <summary>Calls the caller cancelled while the node was serving them.</summary>
    public int CancelledCalls => Volatile.Read(ref cancelledCalls);

    /// <summary>A call its caller cancelled ends as the node ends it: status Cancelled.</summary>
    public RpcException Cancelled()
    {
        Interlocked.Increment(ref cancelledCalls);
        return new RpcException(new Status(StatusCode.Cancelled, "Call canceled by the client."));
    }

    /// <summary>Serve TLS with this certificate instead of cleartext HTTP/2.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? Certificate { get; init; }

    public ConcurrentQueue<IReadOnlyDictionary<string, string>> Calls { get; } = new();

    /// <summary>Records the call's headers, checks its credentials and, where <paramref name="leaderOnly"/>, that it may be served here.</summary>
    public void Admit(ServerCallContext context, bool leaderOnly = true)
    {
        var headers = context.RequestHeaders.Where(h => !h.IsBinary).GroupBy(h => h.Key).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
        Calls.Enqueue(headers);
        if (Credentials is var (user, password) && headers.GetValueOrDefault("authorization") != "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "Bad HTTP status code: 401"));
        }

        if (leaderOnly && NotLeader(context) is { } notLeader)
        {
            throw notLeader;
        }
    }

    /// <summary>The not-leader error naming the leader, when this node is a follower and the call requires the leader.</summary>
    public RpcException? NotLeader(ServerCallContext context) =>
        LeaderPort is { } port && context.RequestHeaders.GetValue("requires-leader") == "true"
            ? new RpcException(new Status(StatusCode.NotFound, "Leader info available"), new Metadata
            {
                { "exception", "not-leader" },
                { "leader-endpoint-host", "127.0.0.1" },
                { "leader-endpoint-port", port.ToString(CultureInfo.InvariantCulture) },
            })
            : null;
}

/// <summary>When a broken BatchAppend call ends: before its batch is written (the node never saw it), or after (its answer is lost).</summary>
internal enum FakeBatchBreak
{
    BeforeWrite,
    AfterWrite,
}

internal sealed record FakeCallBreak(string Stream, FakeBatchBreak When);

/// <summary>What the fake's server-features probe answers.</summary>
internal enum FakeServerFeatures
{
    /// <summary>Streams' methods with BatchAppend and its duration deadline, named in lower case as 24.10 does.</summary>
    BatchAppend,

    /// <summary>Streams' methods without BatchAppend, which the node then refuses as unimplemented.</summary>
    WithoutBatchAppend,

    /// <summary>No server-features service at all, as before 21.10: the probe and BatchAppend are unimplemented.</summary>
    None,
}

/// <summary>Holds appends to one stream, to make a race between writers happen in a known order.</summary>
internal sealed class FakeAppendHold(string stream)
{
    private readonly TaskCompletionSource reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Stream => stream;

    /// <summary>Completes when an append to the stream is being held.</summary>
    public Task Reached => reached.Task;

    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        reached.TrySetResult();
        await released.Task.WaitAsync(cancellationToken);
    }

    public void Release() => released.TrySetResult();
}

/// <summary>
/// The protocol fake: an in-process gRPC server (Kestrel on the loopback, HTTP/2 cleartext) serving the Streams service
/// generated from the same .proto files as the client, over an in-memory log. It tests the client's protocol handling in CI;
/// it is never the backend's proof (that is the conformance suite against a real node, LEDGER_TEST_ESDB).
/// </summary>
internal sealed class EventStoreDbProtocolFake : IAsyncDisposable
{
    private WebApplication app;

    private EventStoreDbProtocolFake(WebApplication app, FakeLog log, FakeNodeOptions node)
    {
        this.app = app;
        Log = log;
        Node = node;
    }

    public FakeLog Log { get; private set; }

    public FakeNodeOptions Node { get; }

    public int Port => Node.Port;

    public string ConnectionString => $"esdb://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}?tls=false";

    /// <summary>Starts a node; nodes given the same <paramref name="log"/> show one cluster's log, as replication would.</summary>
    public static async Task<EventStoreDbProtocolFake> StartAsync(FakeNodeOptions? node = null, FakeLog? log = null)
    {
        node ??= new FakeNodeOptions();
        log ??= new FakeLog();
        var app = await ServeAsync(log, node, 0);
        node.Port = new Uri(app.Urls.First()).Port;
        return new EventStoreDbProtocolFake(app, log, node);
    }

    /// <summary>Stops the node and starts it again on the same port with an empty log, as an in-memory node restarts.</summary>
    public async Task RestartEmptyAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        Log = new FakeLog();
        app = await ServeAsync(Log, Node, Port);
    }

    private static async Task<WebApplication> ServeAsync(FakeLog log, FakeNodeOptions node, int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            if (node.Certificate is not null)
            {
                listen.UseHttps(node.Certificate);
            }
        }));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(log);
        builder.Services.AddSingleton(node);
        var app = builder.Build();
        app.MapGrpcService<FakeStreamsService>();
        app.MapGrpcService<FakeGossipService>();
        app.MapGrpcService<FakeServerFeaturesService>();
        await app.StartAsync();
        return app;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
