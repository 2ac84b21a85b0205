using Ledger.Messaging.Hosting;
using Ledger.Storage;
using Ledger.Projections;
using Ledger.Projections.ReadModels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ledger.Messaging.ReadModels;

/// <summary>
/// Keeps read models beside a store that keeps none of its own (an EventStoreDB ledger's, in its state): each batch of
/// events refolds the matters it touches with the pure projection (<see cref="MatterReadModel.Of"/>), then saves their
/// models and the batch's last position in one transaction. Restarted, it resumes after that position.
/// </summary>
public sealed class ProjectReadModels(IEventStore store, IReadModelWriter models)
{
    public const int BatchSize = 500;

    /// <summary>Folds a batch into the models and moves the position past it.</summary>
    public async Task ApplyAsync(IReadOnlyList<StoredEvent> batch, CancellationToken cancellationToken)
    {
        var matters = new List<MatterReadModel>();
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

            if (MatterReadModel.Of(events) is { } matter)
            {
                matters.Add(matter);
            }
        }

        await models.SaveAsync(matters, batch[^1].Position, cancellationToken);
    }

    /// <summary>Follows the log from the saved position until cancelled, a batch at a time.</summary>
    public async Task RunAsync(CancellationToken cancellationToken) =>
        await LogBatches.FollowAsync(store, await models.PositionAsync(cancellationToken) + 1, BatchSize, ApplyAsync, cancellationToken);

    /// <summary>Folds whatever the log holds past the saved position now, reporting the position after each batch; the position reached.</summary>
    public async Task<long> CatchUpAsync(CancellationToken cancellationToken, IProgress<long>? progress = null)
    {
        var position = await models.PositionAsync(cancellationToken);
        while (await LogBatches.NextAsync(store, position + 1, BatchSize, cancellationToken) is { Count: > 0 } batch)
        {
            await ApplyAsync(batch, cancellationToken);
            position = batch[^1].Position;
            progress?.Report(position);
        }

        return position;
    }
}

/// <summary>
/// Read models a projector keeps beside a store's events. A read first folds what the log holds past the saved
/// position, so a command reads its own writes even where no worker runs; where one does, nothing is left to fold.
/// </summary>
public sealed class ProjectedReadModels(IEventStore store, IReadModelWriter writer) : IReadModelSource, IReadModelStore, IRebuildsReadModels, IAsyncDisposable
{
    private readonly ProjectReadModels projector = new(store, writer);

    /// <summary>Folds the log again from its start; progress in events. A worker's projector that saves meanwhile only repeats the same folds.</summary>
    public async Task RebuildReadModelsAsync(IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken = default)
    {
        var end = (int)Math.Min(int.MaxValue, await store.LastPositionAsync(cancellationToken));
        await writer.ResetAsync(cancellationToken);
        progress?.Report((0, end));
        await projector.CatchUpAsync(cancellationToken, progress is null ? null : new SynchronousProgress(position => progress.Report(((int)Math.Min(position, end), end))));
    }

    public IReadModelWriter Writer => writer;

    public IReadModelStore ReadModels => this;

    public async Task<long> PositionAsync(CancellationToken cancellationToken = default) => await projector.CatchUpAsync(cancellationToken);

    public Task<StoredMatter?> MatterAsync(string matter, CancellationToken cancellationToken = default) =>
        CaughtUpAsync(reader => reader.MatterAsync(matter, cancellationToken), cancellationToken);

    public Task<Page<MatterRow>> MattersAsync(MatterQuery query, CancellationToken cancellationToken = default) =>
        CaughtUpAsync(reader => reader.MattersAsync(query, cancellationToken), cancellationToken);

    public Task<Page<TrackedPromise>> PromisesAsync(PromiseQuery query, CancellationToken cancellationToken = default) =>
        CaughtUpAsync(reader => reader.PromisesAsync(query, cancellationToken), cancellationToken);

    public Task<Page<OrganizationSummary>> OrganizationsAsync(OrganizationQuery query, CancellationToken cancellationToken = default) =>
        CaughtUpAsync(reader => reader.OrganizationsAsync(query, cancellationToken), cancellationToken);

    public Task<LedgerCounts> CountsAsync(DateOnly today, CancellationToken cancellationToken = default) =>
        CaughtUpAsync(reader => reader.CountsAsync(today, cancellationToken), cancellationToken);

    public ValueTask DisposeAsync() => writer.DisposeAsync();

    private async Task<T> CaughtUpAsync<T>(Func<IReadModelStore, Task<T>> read, CancellationToken cancellationToken)
    {
        await projector.CatchUpAsync(cancellationToken);
        return await read(writer.Reader);
    }

    /// <summary>Reports on the caller's thread, so the last report is seen before the rebuild returns.</summary>
    private sealed class SynchronousProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
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

    /// <summary>Projects until cancelled; returns or throws when it cannot go on.</summary>
    protected abstract Task ProjectAsync(CancellationToken lead);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
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
