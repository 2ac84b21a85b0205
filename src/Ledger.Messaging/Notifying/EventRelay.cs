using Ledger.Events;
using Ledger.Messaging.Hosting;
using Ledger.Messaging.Webhooks;
using Ledger.Projections;
using Ledger.Querying;
using Ledger.Storage;
using Microsoft.Extensions.Logging;
using Wolverine;

namespace Ledger.Messaging.Notifying;

/// <summary>
/// What one recorded event calls for: its entry in the notification feed, and the durable messages that go with it (its
/// promise's deadline checks and reminders, a delivery's check, the wake-up of the webhook subscriptions it matches).
/// Whoever relays the log (<see cref="NotificationRelay"/>, or a backend's own subscription) stores both.
/// </summary>
public sealed class EventRelay(
    IEventStore store,
    IEnumerable<IWebhookStore> webhookStores,
    LedgerClock clock,
    Deadlines.DeadlineSettings deadlines,
    ILogger<EventRelay> logger)
{
    /// <summary>Reads what the event's messages depend on (a correction's matter status, the webhooks it matches).</summary>
    public async Task<RelayedEvent> PrepareAsync(StoredEvent stored, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var recorded = EventEnvelope.ToEvent(stored);
        var status = recorded is EntryCorrected ? await StatusNowAsync(stored.Stream, cancellationToken) : null;
        var webhooks = webhookStores.SingleOrDefault();
        IReadOnlyList<DeliverWebhooks> wakes = webhooks is null ? [] : await WebhookTrigger.WakeAsync(stored, webhooks, cancellationToken);
        var entry = NewNotification.ForEvent(stored, clock.GetUtcNow());
        return new RelayedEvent(entry, bus => PublishAsync(bus, recorded, status, wakes));
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

/// <summary>An event's feed entry, and how to hand its messages to a bus whose messages commit with that entry.</summary>
public sealed record RelayedEvent(NewNotification Entry, Func<IMessageBus, ValueTask> PublishAsync);
