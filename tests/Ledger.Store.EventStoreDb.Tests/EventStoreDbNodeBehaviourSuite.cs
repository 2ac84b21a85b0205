using Ledger.Messaging.Hosting;
using Ledger.Storage;
using Ledger.Stores.Postgres;
using Ledger.Store.EventStoreDb.ProtocolFake;
using Ledger.Store.Marten;
using Ledger.Store.Sqlite;

namespace Ledger.Store.EventStoreDb.Tests;

/// <summary>
/// What a real 24.10 node showed where the protocol fake had differed: each test runs on the fake and, when
/// LEDGER_TEST_ESDB is set at build time, on the real node (RealNode/EventStoreDbRealNodeBehaviourTests.cs).
/// </summary>
public abstract class EventStoreDbNodeBehaviourSuite : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("ledger-esdb-node-").FullName;

    protected abstract string ConnectionString { get; }

    /// <summary>A fresh ledger on the node: a stream prefix of its own.</summary>
    protected async Task<EventStoreDbEventStore> OpenFreshAsync() =>
        await EventStoreDbEventStore.OpenAsync(ConnectionString, FreshPrefix());

    private static string FreshPrefix() => $"ledger-{Guid.NewGuid():N}/";

    [Fact]
    public async Task A_type_filtered_read_returns_every_event_of_its_ledger_when_another_ledgers_events_interleave()
    {
        await using var a = await OpenFreshAsync();
        await using var b = await OpenFreshAsync();

        await a.AppendAsync("m/one", 0, [TestEvents.Event("a1")]);
        await b.AppendAsync("m/one", 0, [TestEvents.Event("b1")]);
        await a.AppendAsync("m/one", 1, [TestEvents.Event("a2")]);

        var read = await TestEvents.ListAsync(a.ReadAllAsync(1, new EventFilter(Types: [TestEvents.Type])));
        Assert.Equal(["a1:1", "a2:2"], read.Select(e => $"{e.StatementId}:{e.Position}"));
    }

    [Fact]
    public async Task A_cancelled_subscription_ends_as_a_cancellation_not_as_an_rpc_error()
    {
        await using var store = await OpenFreshAsync();

        var ended = await FollowUntilCancelledAsync(store);

        Assert.IsAssignableFrom<OperationCanceledException>(ended);
    }

    [Fact]
    public async Task Credentials_over_plain_text_are_refused_before_any_call_without_naming_the_password()
    {
        var host = EventStoreDbConnectionString.Parse(ConnectionString).Hosts[0];

        var refused = await Assert.ThrowsAsync<FormatException>(() => EventStoreDbEventStore.OpenAsync($"esdb://admin:{Password}@{host}?tls=false", "p/"));

        Assert.Contains(EventStoreDbConnectionString.AllowCredentialsWithoutTlsKey, refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_state_store_opened_against_another_log_fails_as_a_store_failure_not_as_tampering()
    {
        var first = new EventStoreDbBackend(ConnectionString, new SqliteBackend(Path.Combine(directory, "state.db"))) { StreamPrefix = FreshPrefix() };
        await using (var store = (EventStoreDbWithTree)await first.OpenStoreAsync(CancellationToken.None))
        {
            await store.AppendAsync("m/one", 0, [TestEvents.Event("s1")]);
            Assert.Equal(1, await store.CatchUpAsync());
        }

        // To the state, another ledger is as another log: its first event differs.
        var another = first with { StreamPrefix = FreshPrefix() };
        var whileEmpty = await Assert.ThrowsAsync<StateOfAnotherLogException>(() => another.OpenStoreAsync(CancellationToken.None));
        await using (var events = await EventStoreDbEventStore.OpenAsync(ConnectionString, another.StreamPrefix))
        {
            await events.AppendAsync("m/one", 0, [TestEvents.Event("s1")]);
        }

        var begun = await Assert.ThrowsAsync<StateOfAnotherLogException>(() => another.OpenStoreAsync(CancellationToken.None));
        await (await first.OpenStoreAsync(CancellationToken.None)).DisposeAsync();
        Assert.Contains("this node's ledger is empty", whileEmpty.Message, StringComparison.Ordinal);
        Assert.Contains("it is another log", begun.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_writers_racing_for_new_statement_ids_in_different_matters_record_each_once()
    {
        await using var first = await OpenFreshAsync();
        await using var second = await EventStoreDbEventStore.OpenAsync(ConnectionString, first.StreamPrefix);

        var outcomes = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            var id = $"race-{i}";
            var raced = await Task.WhenAll(
                OutcomeAsync(first.AppendAsync($"a/{i}", 0, [TestEvents.Event(id)])),
                OutcomeAsync(second.AppendAsync($"b/{i}", 0, [TestEvents.Event(id)])));
            outcomes.Add(string.Join(',', raced.Order(StringComparer.Ordinal)));
        }

        Assert.All(outcomes, outcome => Assert.Equal("appended,conflict", outcome));
        await using var reader = await EventStoreDbEventStore.OpenAsync(ConnectionString, first.StreamPrefix);
        Assert.Equal(10, (await TestEvents.ListAsync(reader.ReadAllAsync())).Count);
    }

    [Fact]
    public async Task A_reserved_statement_id_lets_its_matter_retry_and_refuses_every_other_matter()
    {
        await using var store = await OpenFreshAsync();
        await store.AppendAsync("a/one", 0, [TestEvents.Event("s0")]);

        // A stale expected version: the id is reserved for a/one, but nothing is appended.
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.AppendAsync("a/one", 0, [TestEvents.Event("s1")]));
        var refused = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.AppendAsync("b/two", 0, [TestEvents.Event("s1")]));
        var retried = await store.AppendAsync("a/one", 1, [TestEvents.Event("s1")]);

        Assert.Contains("statement s1 is held by matter a/one", refused.Message, StringComparison.Ordinal);
        Assert.Equal(2, retried.LastPosition);
        Assert.Equal(["a/one"], (await store.ListStreamsAsync()).Select(s => s.Stream));
    }

    private static async Task<string> OutcomeAsync(Task append)
    {
        try
        {
            await append;
            return "appended";
        }
        catch (ConcurrencyConflictException)
        {
            return "conflict";
        }
    }

    protected const string Password = "pw-that-must-not-show";

    /// <summary>Follows the ledger until its first event arrives, then cancels; what the subscription ended with.</summary>
    protected static async Task<Exception?> FollowUntilCancelledAsync(EventStoreDbEventStore store)
    {
        await store.AppendAsync("m/one", 0, [TestEvents.Event("s1")]);
        using var cancel = new CancellationTokenSource();
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var following = Task.Run(async () =>
        {
            await foreach (var e in store.SubscribeAsync(1, null, cancel.Token))
            {
                first.TrySetResult();
            }
        });
        await first.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await cancel.CancelAsync();
        return await Record.ExceptionAsync(() => following.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
        GC.SuppressFinalize(this);
    }
}

/// <summary>The node's behaviour on the protocol fake.</summary>
public sealed class EventStoreDbNodeBehaviourOnTheFakeTests(ProtocolFakeFixture fixture) : EventStoreDbNodeBehaviourSuite, IClassFixture<ProtocolFakeFixture>
{
    protected override string ConnectionString => fixture.Fake.ConnectionString;

    [Fact]
    public async Task A_node_that_wants_credentials_gets_no_call_over_plain_text_unless_the_string_allows_it()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync(new FakeNodeOptions { Credentials = ("admin", Password) });

        await Assert.ThrowsAsync<FormatException>(() => EventStoreDbEventStore.OpenAsync($"esdb://admin:{Password}@127.0.0.1:{fake.Port}?tls=false", "p/"));
        Assert.Empty(fake.Node.Calls);
        await using var allowed = await EventStoreDbEventStore.OpenAsync($"esdb://admin:{Password}@127.0.0.1:{fake.Port}?tls=false&allowCredentialsWithoutTls=true", "p/");
        Assert.NotEmpty(fake.Node.Calls);
    }

    [Fact]
    public async Task A_writer_whose_matter_append_is_slow_keeps_its_statement_id_from_a_faster_writer()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        var hold = new FakeAppendHold("p/a/one");
        fake.Node.Hold = hold;
        await using var slow = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString, "p/");
        await using var fast = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString, "p/");

        var slowAppend = slow.AppendAsync("a/one", 0, [TestEvents.Event("s1")]);
        await hold.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        var refused = await Record.ExceptionAsync(() => fast.AppendAsync("b/two", 0, [TestEvents.Event("s1")]));
        hold.Release();
        await slowAppend;

        Assert.IsType<ConcurrencyConflictException>(refused);
        Assert.Null(fake.Log.Stream("p/b/two"));
        Assert.Single(fake.Log.Stream("p-id/s1")!);
    }

    [Fact]
    public async Task A_subscription_cancelled_by_its_caller_is_cancelled_on_the_node_too()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        await using var store = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString, "p/");

        await FollowUntilCancelledAsync(store);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (fake.Node.CancelledCalls == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(1, fake.Node.CancelledCalls);
    }
}

/// <summary>A PostgreSQL state beside a protocol fake node that restarts empty, as an in-memory node does.</summary>
[Collection(PostgresCollection.Name)]
public sealed class EventStoreDbPostgresStateOriginTests(PostgresCluster cluster)
{
    [Fact]
    public async Task A_postgres_state_refuses_the_log_of_a_node_restarted_empty_and_refilled()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        var backend = new EventStoreDbBackend(fake.ConnectionString, new PostgresBackend(await cluster.CreateDatabaseAsync()));
        await using (var store = (EventStoreDbWithTree)await backend.OpenStoreAsync(CancellationToken.None))
        {
            await store.AppendAsync("m/one", 0, [TestEvents.Event("s1")]);
            Assert.Equal(1, await store.CatchUpAsync());
        }

        await fake.RestartEmptyAsync();
        await using (var events = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString))
        {
            await events.AppendAsync("m/one", 0, [TestEvents.Event("s1")]);
        }

        var refused = await Assert.ThrowsAsync<StateOfAnotherLogException>(() => backend.OpenStoreAsync(CancellationToken.None));
        Assert.Contains("(PostgreSQL) belongs to the EventStoreDB ledger that began with event", refused.Message, StringComparison.Ordinal);
    }
}
