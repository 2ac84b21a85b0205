using System.Data.Common;
using Ledger.Messaging.Notifying;
using Ledger.Stores.Postgres;
using Npgsql;
using Ledger.Store.Marten;
using Ledger.Store.Sqlite;

namespace Ledger.Stores;

/// <summary>What every backend's notification feed must do: enter each id once, keep order, keep checkpoints, refuse edits.</summary>
public abstract class NotificationFeedConformance
{
    private static readonly DateTimeOffset At = new(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);

    protected abstract Task<(INotificationFeed Feed, Func<string, Task> Execute)> OpenFreshAsync();

    [Fact]
    public async Task An_id_is_entered_once_however_often_it_is_delivered_and_entries_keep_their_order_and_fields()
    {
        var (feed, _) = await OpenFreshAsync();
        await using var disposing = feed;

        Assert.True(await feed.AppendAsync(Event(1)));
        Assert.True(await feed.AppendAsync(Event(2)));
        Assert.False(await feed.AppendAsync(Event(1) with { NotifiedAt = At.AddHours(1) }));
        Assert.True(await feed.AppendAsync(Overdue()));

        var entries = await ReadAsync(feed, 0);
        Assert.Equal(["event:1", "event:2", "promise-overdue:acme/x/report@2026-01-01"], entries.Select(e => e.Id));
        // Sequence numbers only grow; a refused duplicate may leave a gap.
        Assert.True(entries[0].Sequence < entries[1].Sequence && entries[1].Sequence < entries[2].Sequence, string.Join(", ", entries.Select(e => e.Sequence)));
        Assert.Equal(new Notification(entries[0].Sequence, "event:1", NotificationKinds.EventRecorded, "acme/x", "Acme", 1, "PositionStated", "s-1", At, At, """{"statementId":"s-1"}"""), entries[0]);
        Assert.Equal((null, null, "s-p"), (entries[2].Position, entries[2].EventType, entries[2].StatementId));
        Assert.Equal(["event:2", "promise-overdue:acme/x/report@2026-01-01"], (await ReadAsync(feed, entries[0].Sequence)).Select(e => e.Id));
        Assert.Equal(["event:2"], (await ToListAsync(feed.ReadAsync(entries[0].Sequence, 1))).Select(e => e.Id));
    }

    [Fact]
    public async Task The_relay_resumes_after_the_recorded_event_entered_last_whatever_notices_came_after_it()
    {
        var (feed, _) = await OpenFreshAsync();
        await using var disposing = feed;

        Assert.Equal(0, await feed.RelayedThroughAsync());
        await feed.AppendAsync(Event(1));
        await feed.AppendAsync(Event(2));
        Assert.Equal(2, await feed.RelayedThroughAsync());
        await feed.AppendAsync(Overdue());

        Assert.Equal(2, await feed.RelayedThroughAsync());
    }

    [Fact]
    public async Task Entries_cannot_be_updated_or_deleted_through_sql()
    {
        var (feed, execute) = await OpenFreshAsync();
        await using var disposing = feed;
        await feed.AppendAsync(Event(1));

        await Assert.ThrowsAnyAsync<DbException>(() => execute("UPDATE {notifications} SET matter = 'other'"));
        await Assert.ThrowsAnyAsync<DbException>(() => execute("DELETE FROM {notifications}"));
        Assert.Equal("acme/x", Assert.Single(await ReadAsync(feed, 0)).Matter);
    }

    protected static NewNotification Event(long position) =>
        new($"event:{position}", NotificationKinds.EventRecorded, "acme/x", "Acme", position, "PositionStated", $"s-{position}", At, At, $$"""{"statementId":"s-{{position}}"}""");

    private static NewNotification Overdue() =>
        new("promise-overdue:acme/x/report@2026-01-01", NotificationKinds.PromiseOverdue, "acme/x", "Acme", null, null, "s-p", At, At, """{"promiseId":"report"}""");

    private static Task<List<Notification>> ReadAsync(INotificationFeed feed, long after) => ToListAsync(feed.ReadAsync(after));

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

public sealed class SqliteNotificationFeedTests : NotificationFeedConformance, IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("ledger-feed-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    protected override async Task<(INotificationFeed Feed, Func<string, Task> Execute)> OpenFreshAsync()
    {
        var path = Path.Combine(directory, $"{Guid.NewGuid():N}.db");
        var feed = await SqliteNotificationFeed.OpenAsync(path);
        return (feed, async sql =>
        {
            await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = sql.Replace("{notifications}", "notifications", StringComparison.Ordinal);
            await command.ExecuteNonQueryAsync();
        });
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresNotificationFeedTests(PostgresCluster cluster) : NotificationFeedConformance
{
    protected override async Task<(INotificationFeed Feed, Func<string, Task> Execute)> OpenFreshAsync()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        var feed = await PostgresNotificationFeed.OpenAsync(connectionString, "ledger");
        return (feed, async sql =>
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql.Replace("{notifications}", "ledger.notifications", StringComparison.Ordinal), connection);
            await command.ExecuteNonQueryAsync();
        });
    }

    /// <summary>Live streams wait on this rather than poll: an entry another process commits ends the wait at once.</summary>
    [Fact]
    public async Task An_entry_committed_by_another_process_ends_a_wait_for_the_next_entry()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        await using var waiting = await PostgresNotificationFeed.OpenAsync(connectionString, "ledger");
        await using var writer = await PostgresNotificationFeed.OpenAsync(connectionString, "ledger");
        var never = TimeSpan.FromHours(1);
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        // The first wait ends when the feed starts listening (entries may have come before it did).
        await waiting.NextEntryAsync(never, patience.Token);
        var next = waiting.NextEntryAsync(never, patience.Token);
        Assert.False(next.IsCompleted);

        Assert.True(await writer.AppendAsync(Event(1)));
        await next;
        Assert.False(patience.IsCancellationRequested);
    }
}
