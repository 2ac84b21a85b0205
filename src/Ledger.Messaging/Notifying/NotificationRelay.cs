using System.Data.Common;
using Ledger.Events;
using Ledger.Messaging.Hosting;
using Ledger.Projections;
using Ledger.Querying;
using Ledger.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Wolverine;
using Wolverine.Runtime;

namespace Ledger.Messaging.Notifying;

/// <summary>
/// Follows the event log from its checkpoint and publishes one durable message per event, and schedules a
/// deadline check per promise. Only the leading worker relays. The checkpoint moves after the messages are stored,
/// so a crash repeats at most the last event's messages, which the feed's deterministic ids absorb.
/// </summary>
public sealed class NotificationRelay(
    IEventStore store,
    INotificationFeed feed,
    ILeaderLock leaderLock,
    IWolverineRuntime runtime,
    LedgerClock clock,
    Deadlines.DeadlineSettings deadlines,
    ILogger<NotificationRelay> logger) : BackgroundService
{
    public const string PositionName = "notification-relay";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await using var leadership = await leaderLock.AcquireAsync(stoppingToken);
            logger.LogInformation("leading: relaying the event log to notifications");
            using var lead = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, leadership.Lost);
            try
            {
                await RelayAsync(lead.Token);
            }
            catch (OperationCanceledException) when (leadership.Lost.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("lost leadership; standing by");
            }
            catch (Exception ex) when (ex is DbException || ex.InnerException is DbException)
            {
                logger.LogWarning("the store failed ({Message}); retrying", ex.InnerException?.Message ?? ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    private async Task RelayAsync(CancellationToken cancellationToken)
    {
        var bus = new MessageBus(runtime);
        var from = await feed.ReaderPositionAsync(PositionName, cancellationToken) + 1;
        await foreach (var stored in store.SubscribeAsync(from, null, cancellationToken))
        {
            await bus.PublishAsync(LedgerEventRecorded.From(stored));
            var recorded = EventEnvelope.ToEvent(stored);
            var status = recorded is EntryCorrected ? await StatusNowAsync(stored.Stream, cancellationToken) : null;
            foreach (var check in Deadlines.Deadlines.ChecksFor(recorded, status))
            {
                var deadline = check.Deadline;
                await bus.ScheduleAsync(check, clock.ToSystemTime(deadline));
                logger.LogInformation("scheduled the deadline check of promise {Promise} in {Matter} for {Deadline:O}", check.PromiseId, check.Matter, deadline);
            }

            foreach (var reminder in Deadlines.Deadlines.RemindersFor(recorded, status, deadlines.ReminderDays))
            {
                await bus.ScheduleAsync(reminder, clock.ToSystemTime(reminder.RemindAt));
                logger.LogInformation("scheduled the reminder of promise {Promise} in {Matter} for {At:O}", reminder.PromiseId, reminder.Matter, reminder.RemindAt);
            }

            foreach (var delivery in Deadlines.Deadlines.DeliveriesFor(recorded))
            {
                await bus.PublishAsync(delivery);
            }

            await feed.SaveReaderPositionAsync(PositionName, stored.Position, cancellationToken);
        }
    }

    private async Task<MatterStatus?> StatusNowAsync(string matter, CancellationToken cancellationToken)
    {
        var events = await new LedgerQueries(store).MatterEventsAsync(matter, cancellationToken);
        var now = clock.GetUtcNow();
        return MatterViews.Status(events, now, now);
    }
}
