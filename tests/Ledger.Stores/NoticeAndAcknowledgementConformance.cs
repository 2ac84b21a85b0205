using Ledger.Messaging.Notifying;
using Ledger.Messaging.Webhooks;
using Ledger.Stores.Postgres;
using Ledger.Store.Marten;
using Ledger.Store.Sqlite;

namespace Ledger.Stores;

/// <summary>
/// The two queries that send promise notices beside the events, on every backend: the notices in a feed after a
/// sequence (what the stream, the webhook sender and the notice sweep read), and whether a webhook receiver
/// acknowledged a message (what keeps a notice from going out twice).
/// </summary>
public abstract class NoticeAndAcknowledgementConformance
{
    private static readonly DateTimeOffset At = new(2026, 5, 6, 7, 8, 9, 123, TimeSpan.Zero);

    protected abstract Task<INotificationFeed> OpenFreshFeedAsync();

    protected abstract Task<IWebhookStore> OpenFreshWebhookStoreAsync();

    [Fact]
    public async Task An_empty_feed_has_no_notices_after_any_sequence()
    {
        await using var feed = await OpenFreshFeedAsync();

        Assert.Empty(await NoticesAsync(feed, 0));
        Assert.Empty(await NoticesAsync(feed, 5));
    }

    [Fact]
    public async Task Notices_leave_out_recorded_events_and_come_in_feed_order_after_the_sequence_asked_for()
    {
        await using var feed = await OpenFreshFeedAsync();
        await AppendEventsAndNoticesAsync(feed);

        var all = await ToListAsync(feed.ReadAsync());
        var notices = all.Where(n => n.Kind != NotificationKinds.EventRecorded).ToList();
        var (dueSoon, secondEvent, overdue, lastEvent) = (notices[0], all[2], notices[1], all[^1]);

        Assert.Equal(
            ["promise-due-soon:acme/x/report@2026-05-20", "promise-overdue:acme/x/audit@2026-05-01", "promise-delivered-late:acme/x/fix@2026-04-01"],
            notices.Select(n => n.Id));
        // Every field as the feed keeps it, not only the ids.
        Assert.Equal(notices, await NoticesAsync(feed, 0));
        Assert.Equal(notices[1..], await NoticesAsync(feed, dueSoon.Sequence));
        Assert.Equal(notices[1..], await NoticesAsync(feed, secondEvent.Sequence));
        Assert.Equal(notices[2..], await NoticesAsync(feed, overdue.Sequence));
        Assert.Empty(await NoticesAsync(feed, notices[^1].Sequence));
        Assert.Empty(await NoticesAsync(feed, lastEvent.Sequence + 100));
    }

    [Fact]
    public async Task Notices_from_a_position_come_in_log_order_then_feed_order_without_recorded_events()
    {
        await using var feed = await OpenFreshFeedAsync();
        await AppendEventsAndNoticesAsync(feed);
        Assert.True(await feed.AppendAsync(Notice(NotificationKinds.PromiseOverdue, "survey@2026-04-15", position: 1)));
        var notices = (await ToListAsync(feed.ReadAsync())).Where(n => n.Kind != NotificationKinds.EventRecorded).ToList();

        string[] ordered = ["promise-overdue:acme/x/audit@2026-05-01", "promise-overdue:acme/x/survey@2026-04-15", "promise-delivered-late:acme/x/fix@2026-04-01", "promise-due-soon:acme/x/report@2026-05-20"];
        var all = await ToListAsync(feed.ReadNoticesFromAsync(0));
        Assert.Equal(ordered, all.Select(n => n.Id));
        // Every field as the feed keeps it.
        Assert.Equal(notices.OrderBy(n => n.Position).ThenBy(n => n.Sequence), all);
        Assert.Equal(ordered, (await ToListAsync(feed.ReadNoticesFromAsync(1))).Select(n => n.Id));
        Assert.Equal(ordered[2..], (await ToListAsync(feed.ReadNoticesFromAsync(2))).Select(n => n.Id));
        Assert.Equal(ordered[3..], (await ToListAsync(feed.ReadNoticesFromAsync(3))).Select(n => n.Id));
        Assert.Empty(await ToListAsync(feed.ReadNoticesFromAsync(4)));
    }

    [Fact]
    public async Task A_notice_entered_again_is_refused_and_read_once_as_first_entered()
    {
        await using var feed = await OpenFreshFeedAsync();
        var overdue = Notice(NotificationKinds.PromiseOverdue, "audit@2026-05-01", position: 1);

        Assert.True(await feed.AppendAsync(overdue));
        Assert.True(await feed.AppendAsync(Event(2)));
        // Another worker deciding the same notice later: same id, later time, other data.
        Assert.False(await feed.AppendAsync(overdue with { NotifiedAt = At.AddHours(1), Position = 2, Data = """{"promiseId":"audit","again":true}""" }));
        Assert.True(await feed.AppendAsync(Notice(NotificationKinds.PromiseDueSoon, "report@2026-05-20", position: 2)));

        var read = await NoticesAsync(feed, 0);
        Assert.Equal(["promise-overdue:acme/x/audit@2026-05-01", "promise-due-soon:acme/x/report@2026-05-20"], read.Select(n => n.Id));
        Assert.Equal((At, 1L, """{"promiseId":"audit"}"""), (read[0].NotifiedAt, read[0].Position, read[0].Data));
        Assert.Equal(["promise-due-soon:acme/x/report@2026-05-20"], (await NoticesAsync(feed, read[0].Sequence)).Select(n => n.Id));
    }

    [Fact]
    public async Task A_message_is_acknowledged_only_by_a_2xx_attempt_logged_for_that_subscription()
    {
        await using var store = await OpenFreshWebhookStoreAsync();
        Assert.False(await store.AcknowledgedAsync("wh_1", "wh_1.n1"));

        await store.LogAttemptAsync(Attempt("wh_1", "wh_1.n1", 1, 503, null));
        await store.LogAttemptAsync(Attempt("wh_1", "wh_1.n1", 2, null, "connection refused"));
        await store.LogAttemptAsync(Attempt("wh_1", "wh_1.n1", 3, 302, null));
        Assert.False(await store.AcknowledgedAsync("wh_1", "wh_1.n1"));

        await store.LogAttemptAsync(Attempt("wh_1", "wh_1.n1", 4, 204, null));
        // A retry that failed after the receiver took the message does not take the acknowledgement back.
        await store.LogAttemptAsync(Attempt("wh_1", "wh_1.n1", 5, 500, null));
        Assert.True(await store.AcknowledgedAsync("wh_1", "wh_1.n1"));
        Assert.False(await store.AcknowledgedAsync("wh_1", "wh_1.n2"));
        Assert.False(await store.AcknowledgedAsync("wh_1", "wh_1.n"));

        await store.LogAttemptAsync(Attempt("wh_2", "shared", 1, 200, null));
        await store.LogAttemptAsync(Attempt("wh_1", "shared", 1, 500, null));
        Assert.True(await store.AcknowledgedAsync("wh_2", "shared"));
        Assert.False(await store.AcknowledgedAsync("wh_1", "shared"));
        Assert.False(await store.AcknowledgedAsync("wh_3", "shared"));
    }

    /// <summary>Feed order differs from the order of ids, kinds and positions, so that a backend sorting by any of them is caught.</summary>
    private static async Task AppendEventsAndNoticesAsync(INotificationFeed feed)
    {
        Assert.True(await feed.AppendAsync(Event(1)));
        Assert.True(await feed.AppendAsync(Notice(NotificationKinds.PromiseDueSoon, "report@2026-05-20", position: 3)));
        Assert.True(await feed.AppendAsync(Event(2)));
        Assert.True(await feed.AppendAsync(Notice(NotificationKinds.PromiseOverdue, "audit@2026-05-01", position: 1)));
        Assert.True(await feed.AppendAsync(Notice(NotificationKinds.PromiseDeliveredLate, "fix@2026-04-01", position: 2)));
        Assert.True(await feed.AppendAsync(Event(3)));
    }

    private static NewNotification Event(long position) =>
        new($"event:{position}", NotificationKinds.EventRecorded, "acme/x", "Acme", position, "PositionStated", $"s-{position}", At, At, $$"""{"statementId":"s-{{position}}"}""");

    private static NewNotification Notice(string kind, string promise, long position)
    {
        var promiseId = promise[..promise.IndexOf('@', StringComparison.Ordinal)];
        return new($"{kind}:acme/x/{promise}", kind, "acme/x", "Acme", position, null, $"s-{promiseId}", At.AddDays(-1), At, $$"""{"promiseId":"{{promiseId}}"}""");
    }

    private static WebhookAttempt Attempt(string subscription, string messageId, int attempt, int? statusCode, string? error) =>
        new(0, subscription, 7, messageId, attempt, At.AddSeconds(attempt), statusCode, error, 12.5);

    private static Task<List<Notification>> NoticesAsync(INotificationFeed feed, long afterSequence) => ToListAsync(feed.ReadNoticesAsync(afterSequence));

    private static async Task<List<Notification>> ToListAsync(IAsyncEnumerable<Notification> entries)
    {
        var list = new List<Notification>();
        await foreach (var entry in entries)
        {
            list.Add(entry);
        }

        return list;
    }
}

public sealed class SqliteNoticeAndAcknowledgementTests : NoticeAndAcknowledgementConformance, IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("ledger-notices-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    protected override async Task<INotificationFeed> OpenFreshFeedAsync() => await SqliteNotificationFeed.OpenAsync(FreshPath());

    protected override async Task<IWebhookStore> OpenFreshWebhookStoreAsync() => await SqliteWebhookStore.OpenAsync(FreshPath());

    private string FreshPath() => Path.Combine(directory, $"{Guid.NewGuid():N}.db");
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresNoticeAndAcknowledgementTests(PostgresCluster cluster) : NoticeAndAcknowledgementConformance
{
    protected override async Task<INotificationFeed> OpenFreshFeedAsync() => await PostgresNotificationFeed.OpenAsync(await cluster.CreateDatabaseAsync(), "ledger");

    protected override async Task<IWebhookStore> OpenFreshWebhookStoreAsync() => await PostgresWebhookStore.OpenAsync(await cluster.CreateDatabaseAsync(), "ledger");
}
