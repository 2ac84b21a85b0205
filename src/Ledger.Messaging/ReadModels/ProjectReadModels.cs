using Ledger.Messaging.Hosting;
using Ledger.Storage;
using Ledger.Store.Marten.Projections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ledger.Messaging.ReadModels;

/// <summary>
/// Keeps the cross-matter read models from the store's subscription: each batch of events refolds the matters it
/// touches with the pure timeline and status fold (<see cref="MatterPromises.Of"/>), then saves their documents and the
/// batch's last position in one transaction. Restarted, it resumes after that position; one process projects at a time.
/// </summary>
public sealed class ProjectReadModels(IEventStore store, IMatterReadModels models)
{
    public const int BatchSize = 500;

    /// <summary>Folds a batch into the documents and moves the position past it.</summary>
    public async Task ApplyAsync(IReadOnlyList<StoredEvent> batch, CancellationToken cancellationToken)
    {
        var matters = new List<MatterPromises>();
        foreach (var slice in batch.GroupBy(e => e.Stream, StringComparer.Ordinal))
        {
            var through = slice.Max(e => e.Version);
            var events = new List<Recorded>();
            await foreach (var e in store.ReadStreamAsync(slice.Key, 1, cancellationToken))
            {
                if (e.Version > through)
                {
                    break;
                }

                events.Add(EventEnvelope.ToRecorded(e));
            }

            if (MatterPromises.Of(events, through) is { } matter)
            {
                matters.Add(matter);
            }
        }

        await models.SaveAsync(matters, batch[^1].Position, cancellationToken);
    }

    /// <summary>Follows the log from the saved position until cancelled, a batch at a time.</summary>
    public async Task RunAsync(CancellationToken cancellationToken) =>
        await LogBatches.FollowAsync(store, await models.PositionAsync(cancellationToken) + 1, BatchSize, ApplyAsync, cancellationToken);
}

/// <summary>The projector in the worker, for EventStoreDB ledgers: while this process holds the read-model lock.</summary>
public sealed class ReadModelProjection(IEventStore store, LedgerBackend backend, ILogger<ReadModelProjection> logger)
    : LeaderProjection(backend, ReadModelProjection.LockName, "the read model projection", logger)
{
    public const string LockName = "read-models";

    protected override bool Applies => Backend is EventStoreDbBackend;

    protected override async Task ProjectAsync(CancellationToken lead)
    {
        await using var models = await MatterReadModels.OpenAsync(((EventStoreDbBackend)Backend).State, lead);
        Logger.LogInformation("projecting the read models from position {Position}", await models.PositionAsync(lead) + 1);
        await new ProjectReadModels(store, models).RunAsync(lead);
    }
}

/// <summary>
/// A projection one process runs at a time: it takes the backend's lock of that name, projects until the lock is lost
/// or the host stops, and after a failure starts again from what it saved.
/// </summary>
public abstract class LeaderProjection(LedgerBackend backend, string lockName, string description, ILogger logger) : BackgroundService
{
    protected LedgerBackend Backend => backend;

    protected ILogger Logger => logger;

    /// <summary>Whether this backend needs the projection at all.</summary>
    protected abstract bool Applies { get; }

    /// <summary>Projects until cancelled; returns or throws when it cannot go on.</summary>
    protected abstract Task ProjectAsync(CancellationToken lead);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Applies)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var leadership = await backend.LeaderLock(lockName).AcquireAsync(stoppingToken);
                using var lead = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, leadership.Lost);
                await ProjectAsync(lead.Token);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning("{Projection} stopped ({Message}); resuming from its position", description, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }
}

public static class ReadModelRegistration
{
    /// <summary>
    /// The projections an EventStoreDB ledger needs beside its node (read models, the Merkle tree); no-ops on the other
    /// backends, whose stores project themselves or are read directly.
    /// </summary>
    public static IServiceCollection AddLedgerReadModels(this IServiceCollection services) =>
        services.AddHostedService<ReadModelProjection>().AddHostedService<Verifying.MerkleTreeProjection>();
}
