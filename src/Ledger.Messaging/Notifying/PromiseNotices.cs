using System.Globalization;
using System.Text;
using System.Text.Json;
using Ledger.Storage;

namespace Ledger.Messaging.Notifying;

/// <summary>
/// Promise notices (overdue, delivered late, due soon) as the channels send them beside the events. A notice is not an
/// event of the Merkle log: it is derived from the log and a date, and follows the event at its position (the log
/// position it was decided at); notices at one position follow each other in feed order.
/// </summary>
public static class PromiseNotices
{
    /// <summary>The kind as a type name, as filters and CloudEvents name it: promise-overdue is promise.overdue.</summary>
    public static string TypeOf(string kind) => kind.StartsWith("promise-", StringComparison.Ordinal) ? "promise." + kind["promise-".Length..] : kind;

    public static IReadOnlyList<string> Types { get; } = [.. NotificationKinds.Notices.Select(TypeOf)];

    public static bool IsType(string type) => Types.Contains(type);

    /// <summary>Matter and organization filters as for events; a type filter lets a notice through when it names its type.</summary>
    public static bool Matches(EventFilter filter, Notification notice) =>
        (filter.Matters is not { Count: > 0 } || filter.Matters.Contains(notice.Matter))
        && (filter.Organizations is not { Count: > 0 } || filter.Organizations.Contains(notice.Organization))
        && (filter.Types is not { Count: > 0 } || filter.Types.Contains(TypeOf(notice.Kind)));

    /// <summary>Where the notice sits in the log order: after the event at this position.</summary>
    public static long PositionOf(Notification notice) => notice.Position ?? 0;

    /// <summary>The notices matching a filter from a position on (those after event <paramref name="afterPosition"/>), in log order.</summary>
    public static async Task<List<Notification>> ReadAsync(INotificationFeed feed, EventFilter filter, long afterPosition, CancellationToken cancellationToken)
    {
        var notices = new List<Notification>();
        await foreach (var n in feed.ReadNoticesFromAsync(afterPosition, cancellationToken))
        {
            if (Matches(filter, n))
            {
                notices.Add(n);
            }
        }

        return notices;
    }

    /// <summary>Events and notices in one log order: each notice after the event at its position.</summary>
    public static async IAsyncEnumerable<LedgerItem> MergeAsync(IAsyncEnumerable<StoredEvent> events, IReadOnlyList<Notification> notices)
    {
        var next = 0;
        await foreach (var e in events)
        {
            while (next < notices.Count && PositionOf(notices[next]) < e.Position)
            {
                yield return new LedgerItem(null, notices[next++]);
            }

            yield return new LedgerItem(e, null);
        }

        while (next < notices.Count)
        {
            yield return new LedgerItem(null, notices[next++]);
        }
    }

    /// <summary>
    /// A notice as a structured CloudEvent: type org.ledger.promise.overdue (.delivered-late, .due-soon), id the notice's
    /// stable id, time when it took effect, subject the matter; extensions organization, ledgerposition (the log position
    /// it was decided at) and promisestatement (the statement that recorded the promise, for `ledger prove`).
    /// </summary>
    public static string ToCloudEvent(Notification notice)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("specversion", "1.0");
            json.WriteString("type", LedgerCloudEvents.TypePrefix + TypeOf(notice.Kind));
            json.WriteString("source", "/matters/" + notice.Matter);
            json.WriteString("id", notice.Id);
            json.WriteString("time", Timestamp(notice.OccurredAt));
            json.WriteString("subject", notice.Matter);
            json.WriteString("datacontenttype", "application/json");
            json.WriteString("notifiedtime", Timestamp(notice.NotifiedAt));
            json.WriteString("organization", notice.Organization);
            json.WriteNumber("ledgerposition", PositionOf(notice));
            if (notice.StatementId is { } statement)
            {
                json.WriteString("promisestatement", statement);
            }

            json.WritePropertyName("data");
            json.WriteRawValue(notice.Data, skipInputValidation: true);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>A notice's cursor in a stream of events and notices: its position and feed sequence ("8.12").</summary>
    public static string CursorOf(Notification notice) =>
        $"{PositionOf(notice).ToString(CultureInfo.InvariantCulture)}.{notice.Sequence.ToString(CultureInfo.InvariantCulture)}";

    private static string Timestamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}

/// <summary>One item of the merged order: an event or a promise notice.</summary>
public sealed record LedgerItem(StoredEvent? Event, Notification? Notice);
