using Ledger.Messaging.Webhooks;
using Ledger.Stores.Postgres;
using Ledger.Store.Marten;
using Ledger.Store.Sqlite;

namespace Ledger.Stores;

/// <summary>What every backend's webhook store must do: keep subscriptions, their delivery cursor and failure state, and the attempt log.</summary>
public abstract class WebhookStoreConformance
{
    private static readonly DateTimeOffset At = new(2026, 3, 4, 5, 6, 7, 890, TimeSpan.Zero);

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
}
