using System.Data.Common;
using Ledger.Storage;

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

    /// <summary>The promise notices (every kind but recorded events) after a sequence number, in feed order.</summary>
    IAsyncEnumerable<Notification> ReadNoticesAsync(long afterSequence = 0, CancellationToken cancellationToken = default);

    /// <summary>
    /// The promise notices decided at or after a log position, in log order (by position, then feed order): an index
    /// read, so that a subscriber resuming near the end of a large log reads only what it has not seen.
    /// </summary>
    IAsyncEnumerable<Notification> ReadNoticesFromAsync(long fromPosition, CancellationToken cancellationToken = default);

    /// <summary>
    /// The log position of the recorded event entered last (0: none). The relay enters events in log order, each after
    /// the messages it calls for, so it resumes after this one.
    /// </summary>
    Task<long> RelayedThroughAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Completes when an entry may have been entered since the call, and after <paramref name="atMost"/> at the latest.
    /// Called before reading, so that an entry made during the read is not waited for. A feed that cannot tell just waits.
    /// </summary>
    Task NextEntryAsync(TimeSpan atMost, CancellationToken cancellationToken = default) => Task.Delay(atMost, cancellationToken);
}

public static class NotificationKinds
{
    public const string EventRecorded = "event-recorded";
    public const string PromiseOverdue = "promise-overdue";
    public const string PromiseDeliveredLate = "promise-delivered-late";
    public const string PromiseDueSoon = "promise-due-soon";

    public static IReadOnlyList<string> Notices { get; } = [PromiseOverdue, PromiseDeliveredLate, PromiseDueSoon];
}

/// <summary>
/// A notification to enter. <paramref name="Data"/> is JSON: the event as recorded, or the promise notice. A notice's
/// <paramref name="Position"/> is the log position it was decided at: it follows that event in every channel.
/// </summary>
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
    string Data)
{
    /// <summary>A recorded event's entry, noticed at <paramref name="notifiedAt"/>: its data is the event as stored.</summary>
    public static NewNotification ForEvent(StoredEvent e, DateTimeOffset notifiedAt)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new($"event:{e.Position}", NotificationKinds.EventRecorded, e.Stream, e.Organization, e.Position, e.Type, e.StatementId, e.RecordedAt, notifiedAt, e.Data);
    }
}

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

/// <summary>A feed row as both backends select it: sequence, id, kind, matter, organization, position, event_type, statement_id, occurred_at, notified_at, data.</summary>
public static class NotificationRows
{
    public static Notification Read(DbDataReader reader, Func<DbDataReader, int, DateTimeOffset> time) => new(
        reader.GetInt64(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetString(4),
        reader.IsDBNull(5) ? null : reader.GetInt64(5),
        reader.IsDBNull(6) ? null : reader.GetString(6),
        reader.IsDBNull(7) ? null : reader.GetString(7),
        time(reader, 8),
        time(reader, 9),
        reader.GetString(10));
}
