using JasperFx.Events.Daemon;
using Ledger.Projections.ReadModels;
using Ledger.Storage;
using Ledger.Store.Marten.Merkle;
using Ledger.Verification;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;
using Wolverine.Marten;
using Wolverine.Postgresql;

namespace Ledger.Store.Marten;

/// <summary>The ledger on Marten and PostgreSQL, with all that goes with it in the schema "ledger" (Wolverine's in "ledger_messages").</summary>
public sealed record PostgresBackend(string ConnectionString) : LedgerBackend, IStateBackend
{
    public const string Schema = "ledger";
    public const string MessagesSchema = "ledger_messages";

    public override bool SharedByWorkers => true;

    public override string Description => "PostgreSQL";

    public StateLocation Location => new StateDatabase(ConnectionString, Schema);

    public override async Task<IEventStore> OpenStoreAsync(CancellationToken cancellationToken) =>
        await MartenEventStore.OpenAsync(ConnectionString, Schema, cancellationToken);

    public override async Task<INotificationFeed> OpenFeedAsync(CancellationToken cancellationToken) =>
        await PostgresNotificationFeed.OpenAsync(ConnectionString, Schema, cancellationToken);

    public override async Task<IWebhookStore> OpenWebhooksAsync(CancellationToken cancellationToken) =>
        await PostgresWebhookStore.OpenAsync(ConnectionString, Schema, cancellationToken);

    public override IApiKeyStore OpenApiKeys() => new PostgresApiKeyStore(ConnectionString, Schema);

    public override async Task<ISourceArchive> OpenSourceArchiveAsync(CancellationToken cancellationToken) =>
        await PostgresSourceArchive.OpenAsync(ConnectionString, Schema, cancellationToken);

    /// <summary>A named advisory lock, for a PostgreSQL state beside EventStoreDB, whose events Marten's daemon does not follow.</summary>
    public override ILeaderLock LeaderLock(string name) => new AdvisoryLeaderLock(ConnectionString, name);

    /// <summary>The daemon's leadership where this worker runs Marten's daemon (<see cref="AddWorkerServices"/>).</summary>
    public override ILeaderLock WorkerLeadership(string name, IServiceProvider services) =>
        services.GetService<global::Marten.Events.Daemon.Coordination.IProjectionCoordinator>() is { } coordinator ? new DaemonLeadership(coordinator) : LeaderLock(name);

    /// <summary>Marten keeps Wolverine's messages here (IntegrateWithWolverine, see <see cref="AddWorkerServices"/>).</summary>
    public override void PersistMessages(WolverineOptions options)
    {
    }

    /// <summary>Wolverine's messages beside another backend's events: no Marten events here, so Wolverine's own PostgreSQL store.</summary>
    public void PersistStateMessages(WolverineOptions options) => options.PersistMessagesWithPostgresql(ConnectionString, MessagesSchema);

    public override bool RelaysEvents => true;

    /// <summary>
    /// Marten integrated with Wolverine: Wolverine's durable messages in Marten's database, so that the relay's
    /// subscription commits an event's messages, its feed entry and its own progress in one transaction
    /// (<see cref="NotificationRelaySubscription"/>). Marten's async daemon runs the relay and keeps the Merkle tree (the
    /// read models are inline); in hot/cold mode one worker runs it, the others stand by and take over when it goes.
    /// </summary>
    public override void AddWorkerServices(IServiceCollection services)
    {
        services.AddMarten(options => MartenEventStore.Configure(options, ConnectionString, Schema))
            .IntegrateWithWolverine(integration => integration.MessageStorageSchemaName = MessagesSchema)
            .AddAsyncDaemon(DaemonMode.HotCold)
            .SubscribeToEventsWithServices<NotificationRelaySubscription>(ServiceLifetime.Singleton);
    }

    public override OpenFailure? Explain(Exception exception) => exception switch
    {
        ArgumentException => new OpenFailure(Unreachable: false, $"cannot open PostgreSQL ({exception.Message})"),
        Npgsql.NpgsqlException or System.Net.Sockets.SocketException or TimeoutException => new OpenFailure(Unreachable: true, $"cannot open PostgreSQL ({exception.Message})"),
        _ => null,
    };

    public async Task<IProjectedMerkleTree> OpenTreeAsync(IEventStore events, CancellationToken cancellationToken) =>
        await MartenMerkleTree.OpenAsync(ConnectionString, Schema, events, cancellationToken);

    /// <summary>A PostgreSQL state keeps no read models yet: queries fold the events.</summary>
    public Task<IReadModelWriter?> OpenReadModelWriterAsync(CancellationToken cancellationToken) => Task.FromResult<IReadModelWriter?>(null);

    /// <summary>Keeps the password out of logs.</summary>
    public override string ToString() => "PostgresBackend";
}

/// <summary>postgres:&lt;connection string&gt;, or a postgresql:// or postgres:// URI.</summary>
public sealed class PostgresBackendKind : ILedgerBackendKind
{
    public string Usage => "postgres:<connection string>, postgresql://user@host:port/database";

    public LedgerBackend? ByScheme(string location, string? state, LedgerBackends backends)
    {
        if (location.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase))
        {
            return new PostgresBackend(PostgresUri.ToConnectionString(location));
        }

        return location.StartsWith("postgres:", StringComparison.OrdinalIgnoreCase) ? new PostgresBackend(location["postgres:".Length..]) : null;
    }
}

public static class PostgresModule
{
    /// <summary>Adds the Marten and PostgreSQL backend to the backends a store location may name.</summary>
    public static LedgerBackends AddLedgerPostgres(this LedgerBackends backends)
    {
        ArgumentNullException.ThrowIfNull(backends);
        return backends.Add(new PostgresBackendKind());
    }
}
