using System.Text.Json;
using Ledger.Messaging.Notifying;
using Ledger.Messaging.Webhooks;
using Ledger.Projections;
using Ledger.Querying;
using Ledger.Storage;
using Microsoft.Extensions.Logging;

namespace Ledger.Messaging.Deadlines;

/// <summary>
/// What the feed files a promise notice under. Kind and time are implemented explicitly, so that they stay out of the
/// notice's JSON.
/// </summary>
internal interface IPromiseNotice
{
    string NotificationId { get; }

    string Kind { get; }

    string Matter { get; }

    string Organization { get; }

    string PromiseStatementId { get; }

    DateTimeOffset OccurredAt { get; }
}

/// <summary>
/// Decides on a promise from its matter as the ledger knows it now and, when that raises a notice, enters it in the
/// feed once (its id is deterministic), placed after the last event of the log as it is when decided, and wakes the
/// webhook subscriptions it matches.
/// </summary>
public sealed class PromiseNoticeEntry(INotificationFeed feed, IEventStore store, IWebhookStore webhooks, TimeProvider clock, ILoggerFactory loggers)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    internal async Task<IReadOnlyList<DeliverWebhooks>> DecideAndEnterAsync<T>(string matter, Func<MatterStatus?, DateTimeOffset, T?> decide, CancellationToken cancellationToken)
        where T : class, IPromiseNotice
    {
        var now = clock.GetUtcNow();
        var events = await new LedgerQueries(store).MatterEventsAsync(matter, cancellationToken);
        return decide(MatterViews.Status(events, now, now), now) is { } notice ? await EnterAsync(notice, cancellationToken) : [];
    }

    private async Task<IReadOnlyList<DeliverWebhooks>> EnterAsync<T>(T data, CancellationToken cancellationToken)
        where T : IPromiseNotice
    {
        var position = await store.LastPositionAsync(cancellationToken);
        var notice = new NewNotification(data.NotificationId, data.Kind, data.Matter, data.Organization, position, null, data.PromiseStatementId, data.OccurredAt,
            clock.GetUtcNow(), JsonSerializer.Serialize(data, Json));
        if (!await feed.AppendAsync(notice, cancellationToken))
        {
            return [];
        }

        // A log category per notice type, so that each kind can be filtered.
        loggers.CreateLogger<T>().LogInformation("notified {Id} after event {Position}", notice.Id, position);
        var probe = new Notification(0, notice.Id, notice.Kind, notice.Matter, notice.Organization, notice.Position, null, notice.StatementId, notice.OccurredAt, notice.NotifiedAt, notice.Data);
        return (await webhooks.ListAsync(cancellationToken))
            .Where(s => s.Active && PromiseNotices.Matches(s.Filter, probe))
            .Select(s => new DeliverWebhooks(s.Id))
            .ToList();
    }
}
