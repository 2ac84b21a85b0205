using Wolverine;
using Wolverine.Runtime;

namespace Ledger.Messaging.Notifying;

/// <summary>
/// One event's step of the relay: the durable messages the event calls for, and its entry in the feed, which the relay
/// resumes after. A backend whose feed and message store share a database commits both in one transaction.
/// </summary>
public interface IRelayStep
{
    /// <summary>Runs <paramref name="publish"/> on a bus whose messages are stored with <paramref name="entry"/>.</summary>
    Task CommitAsync(NewNotification entry, Func<IMessageBus, ValueTask> publish, CancellationToken cancellationToken);
}

/// <summary>
/// Where the feed and the message store cannot share a transaction: the messages are stored first, the entry last, so
/// that a crash between them repeats only that event's messages, whose effects are idempotent.
/// </summary>
public sealed class PublishThenEnter(IWolverineRuntime runtime, INotificationFeed feed) : IRelayStep
{
    public async Task CommitAsync(NewNotification entry, Func<IMessageBus, ValueTask> publish, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(publish);
        await publish(new MessageBus(runtime));
        await feed.AppendAsync(entry, cancellationToken);
    }
}
