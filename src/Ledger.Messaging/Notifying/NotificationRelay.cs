using System.Data.Common;
using Ledger.Events;
using Ledger.Messaging.Hosting;
using Ledger.Messaging.Webhooks;
using Ledger.Projections;
using Ledger.Querying;
using Ledger.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Wolverine;
using Wolverine.Runtime;

namespace Ledger.Messaging.Notifying;

/// <summary>
/// Follows the event log and enters each event in the notification feed, in log order, after the durable messages it
/// calls for: its promise's deadline checks and the wake-up of the webhook subscriptions it matches. The feed entry is
/// the step's commit: the relay resumes after the last event entered, so a crash repeats at most that event's
/// messages, whose effects are idempotent (deterministic notice ids, deliveries by acknowledged position). Only the
/// leading worker relays.
/// </summary>
public sealed class NotificationRelay(
    IEventStore store,
    INotificationFeed feed,
    IEnumerable<IWebhookStore> webhookStores,
    ILeaderLock leaderLock,
    IWolverineRuntime runtime,
    LedgerClock clock,
    Deadlines.DeadlineSettings deadlines,
    ILogger<NotificationRelay> logger) : BackgroundService
{
    public const string Name = "notification-relay";

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
        var webhooks = webhookStores.SingleOrDefault();
        var from = await feed.RelayedThroughAsync(cancellationToken) + 1;
        await foreach (var stored in store.SubscribeAsync(from, null, cancellationToken))
        {
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

            if (webhooks is not null)
            {
                foreach (var wake in await WebhookTrigger.WakeAsync(stored, webhooks, cancellationToken))
                {
                    await bus.PublishAsync(wake);
                }
            }

            var entry = NewNotification.ForEvent(stored, clock.GetUtcNow());
            if (await feed.AppendAsync(entry, cancellationToken))
            {
                logger.LogInformation("notified {Id}: {Type} in {Matter}", entry.Id, stored.Type, stored.Stream);
            }
        }
    }

    private async Task<MatterStatus?> StatusNowAsync(string matter, CancellationToken cancellationToken)
    {
        var events = await new LedgerQueries(store).MatterEventsAsync(matter, cancellationToken);
        var now = clock.GetUtcNow();
        return MatterViews.Status(events, now, now);
    }
}
