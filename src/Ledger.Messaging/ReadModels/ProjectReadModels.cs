using System.Threading.Channels;
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
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var pending = Channel.CreateBounded<StoredEvent>(new BoundedChannelOptions(BatchSize * 4) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pump = PumpAsync(await models.PositionAsync(cancellationToken) + 1, pending.Writer, stop.Token);
        try
        {
            var batch = new List<StoredEvent>(BatchSize);
            while (await pending.Reader.WaitToReadAsync(cancellationToken))
            {
                while (batch.Count < BatchSize && pending.Reader.TryRead(out var e))
                {
                    batch.Add(e);
                }

                await ApplyAsync(batch, cancellationToken);
                batch.Clear();
            }
        }
        finally
        {
            await stop.CancelAsync();
            await pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await pump;
    }

    private async Task PumpAsync(long from, ChannelWriter<StoredEvent> writer, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var e in store.SubscribeAsync(from, null, cancellationToken))
            {
                await writer.WriteAsync(e, cancellationToken);
            }

            writer.TryComplete();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            writer.TryComplete();
        }
        catch (Exception ex)
        {
            writer.TryComplete(ex);
            throw;
        }
    }
}

/// <summary>The projector in the worker, for EventStoreDB ledgers: while this process holds the read-model lock.</summary>
public sealed class ReadModelProjection(IEventStore store, LedgerBackend backend, ILogger<ReadModelProjection> logger) : BackgroundService
{
    public const string LockName = "read-models";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (backend is not EventStoreDbBackend esdb)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var leadership = await esdb.LeaderLock(LockName).AcquireAsync(stoppingToken);
                using var lead = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, leadership.Lost);
                await using var models = await MatterReadModels.OpenAsync(esdb.State, lead.Token);
                logger.LogInformation("projecting the read models from position {Position}", await models.PositionAsync(lead.Token) + 1);
                await new ProjectReadModels(store, models).RunAsync(lead.Token);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning("the read model projection stopped ({Message}); resuming from its position", ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }
}

public static class ReadModelRegistration
{
    /// <summary>The read-model projection for EventStoreDB ledgers; a no-op on the other backends, whose stores project themselves or are read directly.</summary>
    public static IServiceCollection AddLedgerReadModels(this IServiceCollection services) => services.AddHostedService<ReadModelProjection>();
}
