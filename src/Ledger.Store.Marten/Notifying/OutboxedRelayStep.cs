using Wolverine;
using Wolverine.Marten.Publishing;
using Wolverine.Runtime;

namespace Ledger.Store.Marten;

/// <summary>
/// The relay's step on PostgreSQL: the event's messages go through Wolverine's outbox in a Marten session and its feed
/// entry is written in that session too, so both commit in one transaction or neither does. Wolverine sends the
/// messages once the transaction has committed, and recovers them from its tables if the process dies before.
/// </summary>
public sealed class OutboxedRelayStep(OutboxedSessionFactory sessions, IWolverineRuntime runtime, string schema) : IRelayStep
{
    public async Task CommitAsync(NewNotification entry, Func<IMessageBus, ValueTask> publish, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(publish);
        var bus = new MessageContext(runtime);
        await using var session = sessions.OpenSession(bus);
        await publish(bus);
        PostgresNotificationFeed.Enter(session, schema, entry);
        await session.SaveChangesAsync(cancellationToken);
    }
}
