using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.Extensions.Logging;
using Wolverine;
using Wolverine.Marten.Subscriptions;

namespace Ledger.Store.Marten;

/// <summary>
/// The notification relay on PostgreSQL: a subscription in Marten's async daemon. For each page of events the daemon
/// hands over, the events' feed entries go into the daemon's session and their messages into Wolverine's outbox on that
/// session, so the entries, the messages and the subscription's progress commit in one transaction or not at all; a
/// failed page is retried, never skipped. The daemon's leadership (hot/cold) decides which worker relays.
/// </summary>
public sealed class NotificationRelaySubscription : BatchSubscription
{
    private readonly EventRelay relay;
    private readonly ILogger<NotificationRelaySubscription> logger;
    private long? relayedThrough;

    public NotificationRelaySubscription(EventRelay relay, ILogger<NotificationRelaySubscription> logger)
        : base(NotificationRelay.Name)
    {
        this.relay = relay;
        this.logger = logger;

        // A page's entries and messages commit together: pages of a hundred keep a transaction, and a retry, short.
        Options.BatchSize = 100;
    }

    public override async Task ProcessEventsAsync(EventRange page, ISubscriptionController controller, IDocumentOperations operations, IMessageBus bus, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(operations);
        ArgumentNullException.ThrowIfNull(bus);

        // A ledger relayed before the relay was a subscription starts it at 0: what the feed holds was relayed already.
        // Read again only while pages start at or before what was read, so a subscription past it asks nothing more.
        if (relayedThrough is not { } through || page.SequenceFloor <= through)
        {
            relayedThrough = await PostgresNotificationFeed.RelayedThroughAsync(operations, PostgresBackend.Schema, cancellationToken);
        }

        foreach (var e in page.Events.Where(MartenEventStore.IsLedgerEvent))
        {
            if (e.Sequence <= relayedThrough)
            {
                continue;
            }

            var stored = MartenEventStore.ToStored(e);
            var relayed = await relay.PrepareAsync(stored, cancellationToken);
            await relayed.PublishAsync(bus);
            PostgresNotificationFeed.Enter(operations, PostgresBackend.Schema, relayed.Entry);
            logger.LogInformation("notified {Id}: {Type} in {Matter}", relayed.Entry.Id, stored.Type, stored.Stream);
        }
    }
}
