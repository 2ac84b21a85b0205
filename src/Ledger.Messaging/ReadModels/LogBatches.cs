using System.Threading.Channels;
using Ledger.Storage;

namespace Ledger.Messaging.ReadModels;

/// <summary>Follows a store's log for a projection: batches of what has arrived, up to a size, handed over as they fill or the log goes quiet.</summary>
public static class LogBatches
{
    /// <summary>Applies the events from <paramref name="from"/> on, a batch at a time, until cancelled or the subscription fails.</summary>
    public static async Task FollowAsync(IEventStore store, long from, int batchSize, Func<IReadOnlyList<StoredEvent>, CancellationToken, Task> apply, CancellationToken cancellationToken)
    {
        var pending = Channel.CreateBounded<StoredEvent>(new BoundedChannelOptions(batchSize * 4) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pump = PumpAsync(store, from, pending.Writer, stop.Token);
        try
        {
            var batch = new List<StoredEvent>(batchSize);
            while (await pending.Reader.WaitToReadAsync(cancellationToken))
            {
                while (batch.Count < batchSize && pending.Reader.TryRead(out var e))
                {
                    batch.Add(e);
                }

                await apply(batch, cancellationToken);
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

    /// <summary>The next events of the log from <paramref name="from"/> on, at most <paramref name="size"/>; empty at its end.</summary>
    public static async Task<List<StoredEvent>> NextAsync(IEventStore store, long from, int size, CancellationToken cancellationToken)
    {
        var batch = new List<StoredEvent>(size);
        await foreach (var e in store.ReadAllAsync(from, null, cancellationToken))
        {
            batch.Add(e);
            if (batch.Count == size)
            {
                break;
            }
        }

        return batch;
    }

    private static async Task PumpAsync(IEventStore store, long from, ChannelWriter<StoredEvent> writer, CancellationToken cancellationToken)
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
