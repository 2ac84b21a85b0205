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

namespace Ledger.Messaging.Notifying;

/// <summary>
/// Follows the event log and enters each event in the notification feed, in log order, with the durable messages it
/// calls for: its promise's deadline checks and the wake-up of the webhook subscriptions it matches. The relay resumes
/// after the last event entered. On PostgreSQL the entry and the messages commit in one transaction (Wolverine's outbox
/// in the Marten session); elsewhere the entry follows the messages, so a crash repeats at most that event's messages,
/// whose effects are idempotent (deterministic notice ids, deliveries by acknowledged position); see
/// <see cref="IRelayStep"/>. Only the leading worker relays.
/// </summary>
public sealed class NotificationRelay(
    IEventStore store,
    INotificationFeed feed,
    IEnumerable<IWebhookStore> webhookStores,
    ILeaderLock leaderLock,
    IRelayStep step,
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
        var webhooks = webhookStores.SingleOrDefault();
        var from = await feed.RelayedThroughAsync(cancellationToken) + 1;
        await foreach (var stored in store.SubscribeAsync(from, null, cancellationToken))
        {
            var recorded = EventEnvelope.ToEvent(stored);
            var status = recorded is EntryCorrected ? await StatusNowAsync(stored.Stream, cancellationToken) : null;
            IReadOnlyList<DeliverWebhooks> wakes = webhooks is null ? [] : await WebhookTrigger.WakeAsync(stored, webhooks, cancellationToken);
            var entry = NewNotification.ForEvent(stored, clock.GetUtcNow());
            await step.CommitAsync(entry, bus => PublishAsync(bus, recorded, status, wakes), cancellationToken);
            logger.LogInformation("notified {Id}: {Type} in {Matter}", entry.Id, stored.Type, stored.Stream);
        }
    }

    private async ValueTask PublishAsync(IMessageBus bus, ILedgerEvent recorded, MatterStatus? status, IReadOnlyList<DeliverWebhooks> wakes)
    {
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

        foreach (var wake in wakes)
        {
            await bus.PublishAsync(wake);
        }
    }

    private async Task<MatterStatus?> StatusNowAsync(string matter, CancellationToken cancellationToken)
    {
        var events = await new LedgerQueries(store).MatterEventsAsync(matter, cancellationToken);
        var now = clock.GetUtcNow();
        return MatterViews.Status(events, now, now);
    }
}
