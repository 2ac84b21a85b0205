using Ledger.Messaging.Webhooks;
using Ledger.Stores.Postgres;
using Ledger.Store.Marten;
using Ledger.Store.Sqlite;

namespace Ledger.Stores;

/// <summary>What every backend's webhook store must do: keep subscriptions, their delivery cursor and failure state, and the attempt log.</summary>
public abstract class WebhookStoreConformance
{
    protected static readonly DateTimeOffset At = new(2026, 3, 4, 5, 6, 7, 890, TimeSpan.Zero);

    protected abstract Task<IWebhookStore> OpenFreshAsync();

    [Fact]
    public async Task A_subscription_round_trips_advances_fails_recovers_and_is_removed_once()
    {
        await using var store = await OpenFreshAsync();
        var subscription = new WebhookSubscription("wh_1", "https://example.org/hook", "whsec_c2VjcmV0", ["acme/x"], [], ["PositionStated"], "curator", At, null, 5, 0, null, null);

        await store.CreateAsync(subscription);
        Assert.Equivalent(subscription, await store.GetAsync("wh_1"), strict: true);
        Assert.Null(await store.GetAsync("wh_2"));

        await store.RecordFailureAsync("wh_1", 2, At.AddSeconds(4), "HTTP 503");
        Assert.Equal((2, At.AddSeconds(4), "HTTP 503"), await StateAsync(store));
        await store.AdvanceAsync("wh_1", 9);
        await store.AdvanceAsync("wh_1", 7);
        var advanced = (await store.GetAsync("wh_1"))!;
        Assert.Equal((9L, 0, (DateTimeOffset?)null, (string?)null), (advanced.DeliveredThrough, advanced.FailedAttempts, advanced.NextAttemptAt, advanced.LastError));

        Assert.True(await store.RemoveAsync("wh_1", At.AddHours(1)));
        Assert.False(await store.RemoveAsync("wh_1", At.AddHours(2)));
        Assert.Equal(At.AddHours(1), Assert.Single(await store.ListAsync()).RemovedAt);
    }

    [Fact]
    public async Task The_attempt_log_lists_a_subscriptions_attempts_newest_first()
    {
        await using var store = await OpenFreshAsync();
        await store.LogAttemptAsync(new WebhookAttempt(0, "wh_1", 3, "wh_1.3", 1, At, null, "connection refused", 1.5));
        await store.LogAttemptAsync(new WebhookAttempt(0, "wh_2", 3, "wh_2.3", 1, At, 200, null, 2));
        await store.LogAttemptAsync(new WebhookAttempt(0, "wh_1", 3, "wh_1.3", 2, At.AddSeconds(2), 200, null, 3.25));

        var attempts = await store.AttemptsAsync("wh_1", 10);

        Assert.Equal([(2, (int?)200, (string?)null), (1, null, "connection refused")], attempts.Select(a => (a.Attempt, a.StatusCode, a.Error)));
        Assert.Equal((At.AddSeconds(2), 3.25, "wh_1.3"), (attempts[0].At, attempts[0].DurationMs, attempts[0].MessageId));
        Assert.Single(await store.AttemptsAsync("wh_1", 1));
    }

    [Fact]
    public async Task One_sender_at_a_time_holds_a_subscriptions_delivery_lock_until_it_lets_go()
    {
        await using var store = await OpenFreshAsync();
        await using var other = await OpenSecondAsync(store);

        var first = await store.TryLockDeliveriesAsync("wh_1");
        var whileHeld = await other.TryLockDeliveriesAsync("wh_1");
        var otherSubscription = await other.TryLockDeliveriesAsync("wh_2");
        Assert.NotNull(first);
        Assert.Null(whileHeld);
        Assert.NotNull(otherSubscription);

        await first.DisposeAsync();
        await otherSubscription.DisposeAsync();
        var afterwards = await other.TryLockDeliveriesAsync("wh_1");
        Assert.NotNull(afterwards);
        await afterwards.DisposeAsync();
    }

    /// <summary>A second store on the same database, as another process would open it.</summary>
    protected abstract Task<IWebhookStore> OpenSecondAsync(IWebhookStore first);

    private static async Task<(int, DateTimeOffset?, string?)> StateAsync(IWebhookStore store)
    {
        var s = (await store.GetAsync("wh_1"))!;
        return (s.FailedAttempts, s.NextAttemptAt, s.LastError);
    }
}

public sealed class SqliteWebhookStoreTests : WebhookStoreConformance, IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("ledger-webhooks-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string? path;

    protected override async Task<IWebhookStore> OpenFreshAsync() => await SqliteWebhookStore.OpenAsync(path = Path.Combine(directory, $"{Guid.NewGuid():N}.db"));

    protected override async Task<IWebhookStore> OpenSecondAsync(IWebhookStore first) => await SqliteWebhookStore.OpenAsync(path!);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresWebhookStoreTests(PostgresCluster cluster) : WebhookStoreConformance
{
    private string? connectionString;

    protected override async Task<IWebhookStore> OpenFreshAsync() => await PostgresWebhookStore.OpenAsync(connectionString = await cluster.CreateDatabaseAsync(), "ledger");

    protected override async Task<IWebhookStore> OpenSecondAsync(IWebhookStore first) => await PostgresWebhookStore.OpenAsync(connectionString!, "ledger");

    [Fact]
    public async Task Subscriptions_and_attempts_of_the_former_tables_are_copied_once_and_new_attempts_follow_them()
    {
        var database = await cluster.CreateDatabaseAsync();
        var created = new DateTimeOffset(2025, 6, 7, 8, 9, 10, TimeSpan.Zero);
        await using (var dataSource = Npgsql.NpgsqlDataSource.Create(database))
        await using (var former = dataSource.CreateCommand(
            $"""
            CREATE SCHEMA ledger;
            CREATE TABLE ledger.webhook_subscriptions (id text PRIMARY KEY, url text NOT NULL, secret text NOT NULL, matters text NOT NULL, organizations text NOT NULL,
                types text NOT NULL, created_by text NOT NULL, created_at timestamptz NOT NULL, removed_at timestamptz, delivered_through bigint NOT NULL,
                failed_attempts integer NOT NULL DEFAULT 0, next_attempt_at timestamptz, last_error text);
            CREATE TABLE ledger.webhook_attempts (sequence bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, subscription_id text NOT NULL, position bigint NOT NULL,
                message_id text NOT NULL, attempt integer NOT NULL, at timestamptz NOT NULL, status_code integer, error text, duration_ms double precision NOT NULL);
            INSERT INTO ledger.webhook_subscriptions VALUES ('wh_old', 'https://example.org/old', 'whsec_b2xk', '["acme/x"]', '[]', '[]', 'curator', '{created:O}', NULL, 4, 1, '{created.AddMinutes(1):O}', 'HTTP 500');
            INSERT INTO ledger.webhook_attempts (subscription_id, position, message_id, attempt, at, status_code, error, duration_ms) VALUES
                ('wh_old', 4, 'wh_old.4', 1, '{created:O}', 200, NULL, 1.5),
                ('wh_old', 5, 'wh_old.5', 1, '{created.AddSeconds(1):O}', 500, NULL, 2.5);
            """))
        {
            await former.ExecuteNonQueryAsync();
        }

        await using (var first = await PostgresWebhookStore.OpenAsync(database, "ledger"))
        {
            Assert.Equivalent(new WebhookSubscription("wh_old", "https://example.org/old", "whsec_b2xk", ["acme/x"], [], [], "curator", created, null, 4, 1, created.AddMinutes(1), "HTTP 500"),
                await first.GetAsync("wh_old"), strict: true);
            Assert.True(await first.AcknowledgedAsync("wh_old", "wh_old.4"));
            await first.AdvanceAsync("wh_old", 5);
            await first.LogAttemptAsync(new WebhookAttempt(0, "wh_old", 6, "wh_old.6", 1, created.AddSeconds(2), 200, null, 3));
        }

        // Opened again, the store copies nothing over the changed document, and the new attempt's id follows the copied ones.
        await using var again = await PostgresWebhookStore.OpenAsync(database, "ledger");
        var attempts = await again.AttemptsAsync("wh_old", 10);

        Assert.Equal(5L, Assert.Single(await again.ListAsync()).DeliveredThrough);
        Assert.Equal(["wh_old.6", "wh_old.5", "wh_old.4"], attempts.Select(a => a.MessageId));
        Assert.Equal([2L, 1L], attempts.Skip(1).Select(a => a.Sequence));
        Assert.True(attempts[0].Sequence > 2, $"the new attempt took id {attempts[0].Sequence}");
    }

    [Fact]
    public async Task Of_two_concurrent_removals_of_a_subscription_one_wins_and_concurrent_changes_are_all_kept()
    {
        await using var store = await OpenFreshAsync();
        await using var other = await OpenSecondAsync(store);
        await store.CreateAsync(new WebhookSubscription("wh_1", "https://example.org/hook", "whsec_c2VjcmV0", [], [], [], "curator", At, null, 0, 0, null, null));

        var advances = Enumerable.Range(1, 8).Select(p => (p % 2 == 0 ? store : other).AdvanceAsync("wh_1", p));
        await Task.WhenAll(advances);
        var removals = await Task.WhenAll(store.RemoveAsync("wh_1", At.AddHours(1)), other.RemoveAsync("wh_1", At.AddHours(2)));

        Assert.Equal(8L, (await store.GetAsync("wh_1"))!.DeliveredThrough);
        Assert.Equal(1, removals.Count(removed => removed));
        Assert.NotNull((await other.GetAsync("wh_1"))!.RemovedAt);
    }
}
