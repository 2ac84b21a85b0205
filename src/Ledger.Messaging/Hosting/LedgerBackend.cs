using JasperFx.Events.Daemon;
using Ledger.Messaging.Notifying;
using Ledger.Messaging.Webhooks;
using Ledger.Storage;
using Ledger.Store.EventStoreDb;
using Ledger.Store.Marten;
using Ledger.Store.Sqlite;
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

            return new EventStoreDbBackend(location);
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

    /// <summary>Marten's async daemon keeps the cross-matter projections; in hot/cold mode one worker runs it, the others stand by.</summary>
    public override void AddWorkerServices(IServiceCollection services) =>
        services.AddMarten(options => MartenEventStore.Configure(options, ConnectionString, Schema)).AddAsyncDaemon(DaemonMode.HotCold);

    public override string ToString() => "PostgresBackend";
}

/// <summary>
/// The ledger's events on EventStoreDB / KurrentDB (streams prefixed "ledger/"). EventStoreDB keeps events only: the
/// notification feed, webhooks, the worker's leadership and Wolverine's messages have no home there yet, so this backend
/// serves the commands that use the event store alone (import, tail, migrate and the read commands).
/// </summary>
public sealed record EventStoreDbBackend(string ConnectionString) : LedgerBackend
{
    public override bool SharedByWorkers => false;

    public override async Task<IEventStore> OpenStoreAsync(CancellationToken cancellationToken) =>
        await EventStoreDbEventStore.OpenAsync(ConnectionString, EventStoreDbEventStore.DefaultStreamPrefix, cancellationToken);

    public override Task<INotificationFeed> OpenFeedAsync(CancellationToken cancellationToken) => throw EventsOnly("the notification feed");

    public override Task<IWebhookStore> OpenWebhooksAsync(CancellationToken cancellationToken) => throw EventsOnly("webhooks");

    public override ILeaderLock LeaderLock(string name) => throw EventsOnly("the worker");

    public override void PersistMessages(WolverineOptions options) => throw EventsOnly("the worker's messages");

    /// <summary>Keeps the password out of logs.</summary>
    public override string ToString() => "EventStoreDbBackend";

    private static InvalidStoreLocationException EventsOnly(string what) =>
        new($"--store esdb://: EventStoreDB holds the ledger's events only; {what} needs sqlite: or postgres: for now");
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
