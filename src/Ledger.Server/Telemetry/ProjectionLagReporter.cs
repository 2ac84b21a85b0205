using Ledger.Messaging.Notifying;
using Ledger.Server.Subscriptions;

namespace Ledger.Server.Telemetry;

/// <summary>Every few seconds, how far the notification relay is behind the end of the log, as the projection-lag gauge.</summary>
internal sealed class ProjectionLagReporter(EventBroadcaster broadcaster, INotificationFeed feed, ILogger<ProjectionLagReporter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var relayed = await feed.CheckpointAsync(NotificationRelay.CheckpointName, stoppingToken);
                LedgerMetrics.ProjectionLag.Record(Math.Max(0, broadcaster.Head - relayed), new KeyValuePair<string, object?>("projection", NotificationRelay.CheckpointName));
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or IOException)
            {
                logger.LogWarning("could not read the relay's checkpoint: {Message}", ex.Message);
            }
        }
    }
}
