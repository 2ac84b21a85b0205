using Ledger.Messaging.ReadModels;
using Ledger.Storage;
using Ledger.Verification;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;

namespace Ledger.Store.EventStoreDb;

/// <summary>
/// The ledger's events on EventStoreDB / KurrentDB (streams prefixed "ledger/"). EventStoreDB keeps events only, so what
/// the worker and the server keep beside them (the Merkle tree, read models, the catalogue, the notification feed,
/// webhooks, API keys, the worker's leadership and Wolverine's messages) lives in a state store: SQLite or PostgreSQL,
/// named by LEDGER_STATE (the server also reads Ledger:State), by default a SQLite file in the user's data directory.
/// Workers on several machines share a PostgreSQL one.
/// </summary>
public sealed record EventStoreDbBackend(string ConnectionString, LedgerBackend State) : LedgerBackend
{
    public const string StateVariable = "LEDGER_STATE";

    public static string DefaultStatePath => Path.ChangeExtension(LedgerBackends.DefaultPath, null) + ".esdb-state.db";

    /// <summary>The state store named, else LEDGER_STATE, else the default SQLite file; it must be one that keeps state for others.</summary>
    /// <exception cref="InvalidStoreLocationException">It names another EventStoreDB, or no backend.</exception>
    public static LedgerBackend LocateState(LedgerBackends backends, string? named = null)
    {
        ArgumentNullException.ThrowIfNull(backends);
        var location = !string.IsNullOrWhiteSpace(named) ? named
            : Environment.GetEnvironmentVariable(StateVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
            : $"sqlite:{DefaultStatePath}";
        // Another EventStoreDB is refused before it is parsed: it would locate a state of its own the same way.
        var state = EventStoreDbConnectionString.IsEventStoreDb(location) ? null : backends.Parse(location);
        return state is IStateBackend
            ? state
            : throw new InvalidStoreLocationException($"{StateVariable} \"{location}\": the state beside an EventStoreDB ledger goes in sqlite: or postgres:");
    }

    private IStateBackend StateStore => (IStateBackend)State;

    public override bool SharedByWorkers => State.SharedByWorkers;

    public override string Description => $"EventStoreDB, with the worker's state in {State.Description}";

    /// <summary>The ledger's streams: "ledger/" on every node; other prefixes let several ledgers share one node.</summary>
    public string StreamPrefix { get; init; } = EventStoreDbEventStore.DefaultStreamPrefix;

    /// <summary>The node's events, with the Merkle tree the state keeps (the worker extends it).</summary>
    /// <exception cref="StateOfAnotherLogException">The state belongs to another log than this node's.</exception>
    public override async Task<IEventStore> OpenStoreAsync(CancellationToken cancellationToken)
    {
        // The state keeps the ledger's catalogue, which checks the state's origin before it loads.
        var origin = StateLogOrigin.For(StateStore.Location);
        ICatalogStore catalog = StateStore.Location switch
        {
            StateFile file => new SqliteCatalogStore(file.Path),
            StateDatabase database => new PostgresCatalogStore(database.ConnectionString, database.Schema),
            _ => throw new InvalidOperationException($"no catalogue is kept in a {State} state"),
        };
        var events = await EventStoreDbEventStore.OpenAsync(ConnectionString, StreamPrefix, catalog, cancellationToken);
        IProjectedMerkleTree? tree = null;
        ProjectedReadModels? readModels = null;
        try
        {
            tree = await StateStore.OpenTreeAsync(events, cancellationToken);
            await RefuseIfAheadAsync(events, "Merkle tree", await tree.SizeAsync(cancellationToken), cancellationToken);
            readModels = await StateStore.OpenReadModelWriterAsync(cancellationToken) is { } writer ? new ProjectedReadModels(events, writer) : null;
            if (readModels is not null)
            {
                await RefuseIfAheadAsync(events, "read models", await readModels.Writer.PositionAsync(cancellationToken), cancellationToken);
            }

            return new EventStoreDbWithTree(events, new OriginCheckedTree(tree, async token => await origin.CheckAsync(await events.OriginAsync(token), token)), readModels);
        }
        catch
        {
            if (readModels is not null)
            {
                await readModels.DisposeAsync();
            }

            if (tree is not null)
            {
                await tree.DisposeAsync();
            }

            await events.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A tree or read models past the node's ledger follow events the node has lost (the catalogue's own mark can be behind
    /// them, saved less often): extending them on would mix two logs, which would read as tampering.
    /// </summary>
    /// <exception cref="StateOfAnotherLogException">The state counts more events than the node's ledger holds.</exception>
    private static async Task RefuseIfAheadAsync(EventStoreDbEventStore events, string what, long held, CancellationToken cancellationToken)
    {
        // Appended since the store opened, a worker's tree may be ahead of the catalogue as it was then: read on before judging.
        if (held > events.Count && await events.CountAsync(cancellationToken) is var count && held > count)
        {
            throw StateLogOrigin.LostWrites($"'s {what} holds {held} events of the EventStoreDB ledger {events.StreamPrefix}", $"the node's ledger holds only {count}");
        }
    }

    public override Task<INotificationFeed> OpenFeedAsync(CancellationToken cancellationToken) => State.OpenFeedAsync(cancellationToken);

    public override Task<IWebhookStore> OpenWebhooksAsync(CancellationToken cancellationToken) => State.OpenWebhooksAsync(cancellationToken);

    public override IApiKeyStore OpenApiKeys() => State.OpenApiKeys();

    /// <summary>
    /// Archived sources go in the state store, not in EventStoreDB: a source may be 20 MB, beyond a node's default
    /// maximum event size, and the event that names it (SourceArchived, with the hash) is on the node, in the Merkle log.
    /// </summary>
    public override Task<ISourceArchive> OpenSourceArchiveAsync(CancellationToken cancellationToken) => State.OpenSourceArchiveAsync(cancellationToken);

    public override ILeaderLock LeaderLock(string name) => State.LeaderLock(name);

    public override void PersistMessages(WolverineOptions options) => StateStore.PersistStateMessages(options);

    /// <summary>The projections the node's events need beside it: the read models and the Merkle tree, in the state.</summary>
    public override void AddWorkerServices(IServiceCollection services) =>
        services.AddHostedService<ReadModelProjector>().AddHostedService<MerkleTreeProjector>();

    public override OpenFailure? Explain(Exception exception) =>
        IsMisconfiguredNode(exception) ? new OpenFailure(Unreachable: false, $"cannot open EventStoreDB ({Reason(exception)})")
        : IsUnreachableNode(exception) ? new OpenFailure(Unreachable: true, $"cannot open EventStoreDB ({Reason(exception)})")
        : State.Explain(exception);

    /// <summary>Keeps the password out of logs.</summary>
    public override string ToString() => $"EventStoreDbBackend (state: {State})";

    private static string Reason(Exception ex) => ex is Grpc.Core.RpcException rpc
        ? string.Join(": ", new[] { rpc.Status.Detail, rpc.Status.DebugException?.Message }.Where(m => !string.IsNullOrEmpty(m)))
        : ex.Message;

    /// <summary>Wrong credentials, a malformed connection string or certificate: the caller's to fix, not a store that is down.</summary>
    private static bool IsMisconfiguredNode(Exception ex) =>
        ex is Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Unauthenticated or Grpc.Core.StatusCode.PermissionDenied }
            or FormatException or System.Security.Cryptography.CryptographicException;

    private static bool IsUnreachableNode(Exception ex) =>
        ex is Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Unavailable or Grpc.Core.StatusCode.DeadlineExceeded }
            or Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Internal, Status.DebugException: HttpRequestException }
            or IOException;
}

/// <summary>esdb://, esdb+discover://, kurrentdb:// connection strings; the state store comes from LEDGER_STATE or the one named.</summary>
public sealed class EventStoreDbBackendKind : ILedgerBackendKind
{
    public string Usage => "esdb://host:2113";

    public LedgerBackend? ByScheme(string location, string? state, LedgerBackends backends)
    {
        if (!EventStoreDbConnectionString.IsEventStoreDb(location))
        {
            return null;
        }

        try
        {
            EventStoreDbConnectionString.Parse(location);
        }
        catch (FormatException ex)
        {
            throw new InvalidStoreLocationException($"--store: {ex.Message}", ex);
        }

        return new EventStoreDbBackend(location, EventStoreDbBackend.LocateState(backends, state));
    }
}

public static class EventStoreDbModule
{
    /// <summary>Adds the EventStoreDB / KurrentDB backend to the backends a store location may name; its state goes in one of the others.</summary>
    public static LedgerBackends AddLedgerEventStoreDb(this LedgerBackends backends)
    {
        ArgumentNullException.ThrowIfNull(backends);
        return backends.Add(new EventStoreDbBackendKind());
    }
}
