using Ledger.Messaging.Notifying;
using Ledger.Messaging.ReadModels;
using Ledger.Projections.ReadModels;
using Ledger.Server.Subscriptions;
using Ledger.Storage;

namespace Ledger.Server.Telemetry;

/// <summary>Every few seconds, how far the notification relay and the read models are behind the end of the log, as the projection-lag gauge.</summary>
internal sealed class ProjectionLagReporter(EventBroadcaster broadcaster, INotificationFeed feed, IEventStore store, ILogger<ProjectionLagReporter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var relayed = await feed.RelayedThroughAsync(stoppingToken);
                // A broadcaster that follows the relay is never ahead of it: the log's end is read instead.
                var head = broadcaster.FollowRelay ? await store.LastPositionAsync(stoppingToken) : broadcaster.Head;
                LedgerMetrics.ProjectionLag.Record(Math.Max(0, head - relayed), new KeyValuePair<string, object?>("projection", NotificationRelay.Name));

                // A projector-fed store's saved position: reading through it would first catch it up.
                var folded = store.Feature<ProjectedReadModels>() is { } projected ? await projected.Writer.PositionAsync(stoppingToken)
                    : store.Feature<IReadModelSource>() is { } source ? await source.ReadModels.PositionAsync(stoppingToken)
                    : broadcaster.Head;
                LedgerMetrics.ProjectionLag.Record(Math.Max(0, broadcaster.Head - folded), new KeyValuePair<string, object?>("projection", "read-models"));
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or IOException)
            {
                logger.LogWarning("could not read how far the relay got: {Message}", ex.Message);
            }
        }
    }
}
