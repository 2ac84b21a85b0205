using JasperFx.Events.Daemon;
using Ledger.Messaging.Notifying;
using Ledger.Messaging.Webhooks;
using Ledger.Storage;
using Ledger.Store.EventStoreDb;
using Ledger.Store.Marten;
using Ledger.Store.Marten.Merkle;
using Ledger.Store.Sqlite;
using Ledger.Verification;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;
using Wolverine.Postgresql;
using Wolverine.Sqlite;

namespace Ledger.Messaging.Hosting;

/// <summary>Where the ledger lives, and what goes with it: the event store, the notification feed, the worker's leadership and Wolverine's message store.</summary>
public abstract record LedgerBackend
{
    public static string DefaultPath =>
        System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "ledger", "ledger.db");

    /// <summary>The given location, else LEDGER_STORE, else the SQLite file in the user's data directory.</summary>
    public static string Locate(string? location)
    {
        if (!string.IsNullOrWhiteSpace(location))
        {
            return location;
        }

        var fromEnvironment = Environment.GetEnvironmentVariable("LEDGER_STORE");
        return string.IsNullOrWhiteSpace(fromEnvironment) ? $"sqlite:{DefaultPath}" : fromEnvironment;
    }

    /// <summary>sqlite:&lt;path&gt; (or a path ending .db/.sqlite), postgres:&lt;connection string&gt;, postgresql:// or postgres:// URIs, esdb:// or kurrentdb:// connection strings.</summary>
    /// <exception cref="InvalidStoreLocationException">The location names no backend this build has.</exception>
    public static LedgerBackend Parse(string location)
    {
        if (location.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            return new SqliteBackend(location["sqlite:".Length..]);
        }

        if (location.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase))
        {
            return new PostgresBackend(PostgresUri.ToConnectionString(location));
        }

        if (location.StartsWith("postgres:", StringComparison.OrdinalIgnoreCase))
        {
            return new PostgresBackend(location["postgres:".Length..]);
        }

        if (EventStoreDbConnectionString.IsEventStoreDb(location))
        {
            try
            {
                EventStoreDbConnectionString.Parse(location);
            }
            catch (FormatException ex)
            {
                throw new InvalidStoreLocationException($"--store: {ex.Message}", ex);
            }

            return new EventStoreDbBackend(location, EventStoreDbBackend.LocateState());
        }

        if (location.EndsWith(".db", StringComparison.OrdinalIgnoreCase) || location.EndsWith(".sqlite", StringComparison.OrdinalIgnoreCase))
        {
            return new SqliteBackend(location);
        }

        throw new InvalidStoreLocationException($"--store \"{location}\": unknown store; use sqlite:<path>, postgres:<connection string>, postgresql://user@host:port/database or esdb://host:2113");
    }

    public abstract Task<IEventStore> OpenStoreAsync(CancellationToken cancellationToken);

    public abstract Task<INotificationFeed> OpenFeedAsync(CancellationToken cancellationToken);

    public abstract Task<IWebhookStore> OpenWebhooksAsync(CancellationToken cancellationToken);

    /// <summary>Held by one worker at a time; released when its process dies.</summary>
    public abstract ILeaderLock LeaderLock(string name);

    /// <summary>Durable inbox, outbox and scheduled messages, next to the ledger.</summary>
    public abstract void PersistMessages(WolverineOptions options);

    /// <summary>Whether several worker processes may share this backend (otherwise the others wait as standbys).</summary>
    public abstract bool SharedByWorkers { get; }

    /// <summary>What else the long-running worker hosts for this backend.</summary>
    public virtual void AddWorkerServices(IServiceCollection services)
    {
    }
}

public sealed record SqliteBackend(string Path) : LedgerBackend
{
    public string FullPath => System.IO.Path.GetFullPath(Path);

    /// <summary>Wolverine's tables live in their own file, so that its polling never waits on the ledger's writer.</summary>
    public string MessagesPath => System.IO.Path.ChangeExtension(FullPath, null) + ".messages.db";

    public override bool SharedByWorkers => false;

    public override async Task<IEventStore> OpenStoreAsync(CancellationToken cancellationToken) =>
        await SqliteEventStore.OpenAsync(Path, cancellationToken);

    public override async Task<INotificationFeed> OpenFeedAsync(CancellationToken cancellationToken) =>
        await SqliteNotificationFeed.OpenAsync(FullPath, cancellationToken);

    public override async Task<IWebhookStore> OpenWebhooksAsync(CancellationToken cancellationToken) =>
        await SqliteWebhookStore.OpenAsync(FullPath, cancellationToken);

    public override ILeaderLock LeaderLock(string name) => new FileLeaderLock(System.IO.Path.ChangeExtension(FullPath, null) + $".{name}.lock");

    public override void PersistMessages(WolverineOptions options) => options.PersistMessagesWithSqlite($"Data Source={MessagesPath}");
}

public sealed record PostgresBackend(string ConnectionString) : LedgerBackend
{
    public const string Schema = "ledger";
    public const string MessagesSchema = "ledger_messages";

    public override bool SharedByWorkers => true;

    public override async Task<IEventStore> OpenStoreAsync(CancellationToken cancellationToken) =>
        await MartenEventStore.OpenAsync(ConnectionString, Schema, cancellationToken);

    public override async Task<INotificationFeed> OpenFeedAsync(CancellationToken cancellationToken) =>
        await PostgresNotificationFeed.OpenAsync(ConnectionString, Schema, cancellationToken);

    public override async Task<IWebhookStore> OpenWebhooksAsync(CancellationToken cancellationToken) =>
        await PostgresWebhookStore.OpenAsync(ConnectionString, Schema, cancellationToken);

    public override ILeaderLock LeaderLock(string name) => new AdvisoryLeaderLock(ConnectionString, name);

    public override void PersistMessages(WolverineOptions options) => options.PersistMessagesWithPostgresql(ConnectionString, MessagesSchema);

    /// <summary>Marten's async daemon keeps the Merkle tree (the read models are inline); in hot/cold mode one worker runs it, the others stand by.</summary>
    public override void AddWorkerServices(IServiceCollection services) =>
        services.AddMarten(options => MartenEventStore.Configure(options, ConnectionString, Schema)).AddAsyncDaemon(DaemonMode.HotCold);

    public override string ToString() => "PostgresBackend";
}

/// <summary>
/// The ledger's events on EventStoreDB / KurrentDB (streams prefixed "ledger/"). EventStoreDB keeps events only, so what
/// the worker and the server keep beside them (the notification feed, webhooks, API keys, the worker's leadership and
/// Wolverine's messages) lives in a state store: SQLite or PostgreSQL, named by LEDGER_STATE (the server also reads
/// Ledger:State), by default a SQLite file in the user's data directory. Workers on several machines share a PostgreSQL one.
/// </summary>
public sealed record EventStoreDbBackend(string ConnectionString, LedgerBackend State) : LedgerBackend
{
    public const string StateVariable = "LEDGER_STATE";

    public static string DefaultStatePath => System.IO.Path.ChangeExtension(DefaultPath, null) + ".esdb-state.db";

    /// <summary>The state store named, else LEDGER_STATE, else the default SQLite file; it must be SQLite or PostgreSQL.</summary>
    /// <exception cref="InvalidStoreLocationException">It names another EventStoreDB, or no backend.</exception>
    public static LedgerBackend LocateState(string? named = null)
    {
        var location = !string.IsNullOrWhiteSpace(named) ? named
            : Environment.GetEnvironmentVariable(StateVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
            : $"sqlite:{DefaultStatePath}";
        return EventStoreDbConnectionString.IsEventStoreDb(location)
            ? throw new InvalidStoreLocationException($"{StateVariable} \"{location}\": the state beside an EventStoreDB ledger goes in sqlite: or postgres:")
            : Parse(location);
    }

    public override bool SharedByWorkers => State.SharedByWorkers;

    /// <summary>The Merkle tree's file beside a SQLite state file (a file of its own: the state's may be anything).</summary>
    public string? TreePath => State is SqliteBackend sqlite ? System.IO.Path.ChangeExtension(sqlite.FullPath, null) + ".merkle.db" : null;

    /// <summary>The ledger's streams: "ledger/" on every node; other prefixes let several ledgers share one node.</summary>
    public string StreamPrefix { get; init; } = EventStoreDbEventStore.DefaultStreamPrefix;

    /// <summary>The node's events, with the Merkle tree the state keeps (the worker extends it).</summary>
    /// <exception cref="StateOfAnotherLogException">The state belongs to another log than this node's.</exception>
    public override async Task<IEventStore> OpenStoreAsync(CancellationToken cancellationToken)
    {
        // A SQLite state keeps the ledger's catalogue (checking the state's origin before it loads it); a PostgreSQL one does not yet.
        var origin = StateLogOrigin.For(State);
        var events = await EventStoreDbEventStore.OpenAsync(ConnectionString, StreamPrefix, State is SqliteBackend sqliteState ? new SqliteCatalogStore(sqliteState.FullPath) : null, cancellationToken);
        try
        {
            if (State is not SqliteBackend)
            {
                await origin.CheckAsync(await events.OriginAsync(cancellationToken), cancellationToken);
            }

            IProjectedMerkleTree tree = State switch
            {
                SqliteBackend => await SqliteMerkleTree.OpenAsync(TreePath!, events, cancellationToken),
                PostgresBackend postgres => await MartenMerkleTree.OpenAsync(postgres.ConnectionString, PostgresBackend.Schema, events, cancellationToken),
                _ => throw new InvalidOperationException($"no Merkle tree is kept in a {State} state"),
            };
            var readModels = State is SqliteBackend state ? new ReadModels.ProjectedReadModels(events, await SqliteReadModelWriter.OpenAsync(state.FullPath, cancellationToken)) : null;
            return new EventStoreDbWithTree(events, new OriginCheckedTree(tree, async token => await origin.CheckAsync(await events.OriginAsync(token), token)), readModels);
        }
        catch
        {
            await events.DisposeAsync();
            throw;
        }
    }

    public override Task<INotificationFeed> OpenFeedAsync(CancellationToken cancellationToken) => State.OpenFeedAsync(cancellationToken);

    public override Task<IWebhookStore> OpenWebhooksAsync(CancellationToken cancellationToken) => State.OpenWebhooksAsync(cancellationToken);

    public override ILeaderLock LeaderLock(string name) => State.LeaderLock(name);

    public override void PersistMessages(WolverineOptions options) => State.PersistMessages(options);

    /// <summary>Keeps the password out of logs.</summary>
    public override string ToString() => $"EventStoreDbBackend (state: {State})";
}

/// <summary>A --store value that names no usable backend (a usage error).</summary>
public sealed class InvalidStoreLocationException : Exception
{
    public InvalidStoreLocationException()
    {
    }

    public InvalidStoreLocationException(string message)
        : base(message)
    {
    }

    public InvalidStoreLocationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
