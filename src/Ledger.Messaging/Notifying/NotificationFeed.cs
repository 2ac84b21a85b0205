namespace Ledger.Messaging.Notifying;

/// <summary>
/// The durable, ordered feed of what watchdogs are told: one entry per recorded event and one per promise gone
/// overdue. Entry ids are deterministic, so a message delivered twice, or by two workers, is entered once.
/// </summary>
public interface INotificationFeed : IAsyncDisposable
{
    /// <summary>Enters a notification unless one with its id is there already; true when entered now.</summary>
    Task<bool> AppendAsync(NewNotification notification, CancellationToken cancellationToken = default);

    /// <summary>Entries after a sequence number, in feed order.</summary>
    IAsyncEnumerable<Notification> ReadAsync(long afterSequence = 0, int limit = int.MaxValue, CancellationToken cancellationToken = default);

    /// <summary>The last event position a named reader of the event log has handled (0: none).</summary>
    Task<long> CheckpointAsync(string name, CancellationToken cancellationToken = default);

    Task SaveCheckpointAsync(string name, long position, CancellationToken cancellationToken = default);
}

public static class NotificationKinds
{
    public const string EventRecorded = "event-recorded";
    public const string PromiseOverdue = "promise-overdue";
}

/// <summary>A notification to enter. <paramref name="Data"/> is JSON: the event as recorded, or the overdue promise.</summary>
public sealed record NewNotification(
    string Id,
    string Kind,
    string Matter,
    string Organization,
    long? Position,
    string? EventType,
    string? StatementId,
    DateTimeOffset OccurredAt,
    DateTimeOffset NotifiedAt,
    string Data);

public sealed record Notification(
    long Sequence,
    string Id,
    string Kind,
    string Matter,
    string Organization,
    long? Position,
    string? EventType,
    string? StatementId,
    DateTimeOffset OccurredAt,
    DateTimeOffset NotifiedAt,
    string Data);
