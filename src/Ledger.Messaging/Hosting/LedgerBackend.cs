using Ledger.Messaging.ApiKeys;
using Ledger.Messaging.Notifying;
using Ledger.Messaging.Webhooks;
using Ledger.Projections.ReadModels;
using Ledger.Storage;
using Ledger.Verification;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;

namespace Ledger.Messaging.Hosting;

/// <summary>
/// Where the ledger lives, and what goes with it: the event store, the notification feed, webhooks, API keys, archived sources, the
/// worker's leadership and Wolverine's message store. Each backend's project implements it and owns all it keeps.
/// </summary>
public abstract record LedgerBackend
{
    public abstract Task<IEventStore> OpenStoreAsync(CancellationToken cancellationToken);

    public abstract Task<INotificationFeed> OpenFeedAsync(CancellationToken cancellationToken);

    public abstract Task<IWebhookStore> OpenWebhooksAsync(CancellationToken cancellationToken);

    public abstract IApiKeyStore OpenApiKeys();

    /// <summary>The saved copies of statements' sources, by SHA-256, in the ledger's own store.</summary>
    public abstract Task<ISourceArchive> OpenSourceArchiveAsync(CancellationToken cancellationToken);

    /// <summary>Held by one worker at a time; released when its process dies.</summary>
    public abstract ILeaderLock LeaderLock(string name);

    /// <summary>
    /// The leadership of one of a worker's singleton tasks (checkpoint signing), given the worker's services: by default
    /// <see cref="LeaderLock"/>; a backend whose worker already elects a leader (Marten's daemon) hands out that one.
    /// </summary>
    public virtual ILeaderLock WorkerLeadership(string name, IServiceProvider services) => LeaderLock(name);

    /// <summary>Durable inbox, outbox and scheduled messages, next to the ledger.</summary>
    public abstract void PersistMessages(WolverineOptions options);

    /// <summary>Whether several worker processes may share this backend (otherwise the others wait as standbys).</summary>
    public abstract bool SharedByWorkers { get; }

    /// <summary>Where the ledger is, for people; never a password.</summary>
    public abstract string Description { get; }

    /// <summary>
    /// Whether the backend relays the event log to the notification feed itself (PostgreSQL: a subscription in Marten's
    /// async daemon, whose leadership decides which worker relays); otherwise <see cref="Notifying.NotificationRelay"/>
    /// does, under <see cref="LeaderLock"/>. Live subscribers then follow the feed rather than the log.
    /// </summary>
    public virtual bool RelaysEvents => false;

    /// <summary>What else the long-running worker hosts for this backend.</summary>
    public virtual void AddWorkerServices(IServiceCollection services)
    {
    }

    /// <summary>A file named beside the ledger (as the log key's default place), where the ledger is a file; else null.</summary>
    public virtual string? FileBeside(string suffix) => null;

    /// <summary>Why opening the store failed, when the exception says so in this backend's terms; else null.</summary>
    public virtual OpenFailure? Explain(Exception exception) => null;
}

/// <summary>A store that could not be opened: the caller's mistake (a malformed connection string, wrong credentials), or a store out of reach now.</summary>
public sealed record OpenFailure(bool Unreachable, string Reason);

/// <summary>
/// A backend that can keep the state of a ledger whose events live elsewhere (EventStoreDB keeps events only): the
/// Merkle tree over those events and their read models, in its own tables, and whatever the other backend stores there.
/// </summary>
public interface IStateBackend
{
    StateLocation Location { get; }

    /// <summary>The Merkle tree over <paramref name="events"/>, kept in this state.</summary>
    Task<IProjectedMerkleTree> OpenTreeAsync(IEventStore events, CancellationToken cancellationToken);

    /// <summary>The read models of those events, kept in this state; null where it keeps none.</summary>
    Task<IReadModelWriter?> OpenReadModelWriterAsync(CancellationToken cancellationToken);

    /// <summary>Durable inbox, outbox and scheduled messages, in this state (where <see cref="LedgerBackend.PersistMessages"/> may rely on the backend's own events).</summary>
    void PersistStateMessages(WolverineOptions options);
}

/// <summary>Where a state backend keeps its tables.</summary>
public abstract record StateLocation;

public sealed record StateFile(string Path) : StateLocation;

public sealed record StateDatabase(string ConnectionString, string Schema) : StateLocation;
