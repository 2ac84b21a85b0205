using Ledger.Storage;
using Ledger.Store.EventStoreDb.ProtocolFake;

namespace Ledger.Store.EventStoreDb.Tests;

/// <summary>
/// Appends as the node answers them, through BatchAppend where it offers it: each test runs on the protocol fake and, when
/// LEDGER_TEST_ESDB is set at build time, on the real node (RealNode/EventStoreDbRealNodeAppendTests.cs).
/// </summary>
public abstract class EventStoreDbAppendSuite
{
    protected abstract string ConnectionString { get; }

    /// <summary>A fresh ledger on the node: a stream prefix of its own.</summary>
    protected async Task<EventStoreDbEventStore> OpenFreshAsync() =>
        await EventStoreDbEventStore.OpenAsync(ConnectionString, $"ledger-{Guid.NewGuid():N}/");

    [Fact]
    public async Task A_stale_expected_version_is_a_conflict_naming_the_version_found_and_leaves_the_stream_as_it_was()
    {
        await using var store = await OpenFreshAsync();
        await store.AppendAsync("a/one", 0, [TestEvents.Event("s1"), TestEvents.Event("s2")]);

        var stale = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.AppendAsync("a/one", 1, [TestEvents.Event("s3")]));
        var fresh = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.AppendAsync("b/two", 3, [TestEvents.Event("s4")]));
        var next = await store.AppendAsync("a/one", 2, [TestEvents.Event("s3")]);

        Assert.Contains("expected version 1, found 2", stale.Message, StringComparison.Ordinal);
        Assert.Contains("expected version 3, found 0", fresh.Message, StringComparison.Ordinal);
        Assert.Equal((3L, 3L), (next.NextExpectedVersion, next.LastPosition));
        Assert.Equal(["s1", "s2", "s3"], (await TestEvents.ListAsync(store.ReadStreamAsync("a/one"))).Select(e => e.StatementId));
    }

    [Fact]
    public async Task Concurrent_appends_on_one_connection_each_get_their_own_answer()
    {
        await using var store = await OpenFreshAsync();
        const int Streams = 12;
        await Task.WhenAll(Enumerable.Range(0, Streams).Select(i => store.AppendAsync($"m/{i}", 0, [TestEvents.Event($"first-{i}")])));

        // Even streams at their version, odd ones stale: all in flight together.
        var outcomes = await Task.WhenAll(Enumerable.Range(0, Streams).Select(async i =>
        {
            try
            {
                var appended = await store.AppendAsync($"m/{i}", i % 2 == 0 ? 1 : 0, [TestEvents.Event($"second-{i}-a"), TestEvents.Event($"second-{i}-b")]);
                return $"m/{i}:appended:{appended.NextExpectedVersion}";
            }
            catch (ConcurrencyConflictException conflict) when (conflict.Message.Contains("expected version 0, found 1", StringComparison.Ordinal))
            {
                return $"m/{i}:conflict";
            }
        }));

        Assert.Equal(Enumerable.Range(0, Streams).Select(i => i % 2 == 0 ? $"m/{i}:appended:3" : $"m/{i}:conflict"), outcomes);
        for (var i = 0; i < Streams; i++)
        {
            var events = await TestEvents.ListAsync(store.ReadStreamAsync($"m/{i}"));
            Assert.Equal(i % 2 == 0 ? [$"first-{i}", $"second-{i}-a", $"second-{i}-b"] : [$"first-{i}"], events.Select(e => e.StatementId));
        }
    }

    [Fact]
    public async Task A_cancelled_append_ends_as_a_cancellation_and_the_store_appends_on()
    {
        await using var store = await OpenFreshAsync();
        await store.AppendAsync("a/one", 0, [TestEvents.Event("s1")]);
        using var cancel = new CancellationTokenSource();

        var appending = store.AppendAsync("b/two", 0, [TestEvents.Event("s2")], cancel.Token);
        await cancel.CancelAsync();
        var ended = await Record.ExceptionAsync(() => appending);
        var next = await store.AppendAsync("a/one", 1, [TestEvents.Event("s3")]);

        // The node may have answered before the cancellation arrived; never an RPC error.
        Assert.True(ended is null or OperationCanceledException, $"ended with {ended}");
        Assert.Equal(2, next.NextExpectedVersion);
    }

    [Fact]
    public async Task An_append_whose_connection_is_cut_as_it_is_answered_is_sent_again_and_lands_once()
    {
        const int Quote = 48 * 1024;
        var seeds = EventStoreDbConnectionString.Parse(ConnectionString).Hosts.Count;
        for (var seed = 0; seed < seeds; seed++)
        {
            await using var proxy = CuttingProxy.To(ConnectionString, seed, out var throughProxy);
            await using var store = await EventStoreDbEventStore.OpenAsync(throughProxy, $"ledger-{Guid.NewGuid():N}/");
            await store.AppendAsync("a/one", 0, [TestEvents.Event("s1")]);

            // Only the matter's batch is this large: the cut comes with the node's answer to it, or just before the node has it all.
            proxy.CutAtTheAnswerAfter(Quote);
            var appended = await store.AppendAsync("a/one", 1, [TestEvents.Large("s2", Quote)]).WaitAsync(TimeSpan.FromSeconds(60));
            if (proxy.Cuts == 0 && seed < seeds - 1)
            {
                // A follower of a cluster: it sent the client to its leader, past the relay. The leader is another seed.
                continue;
            }

            Assert.Equal((2L, 2L), (appended.NextExpectedVersion, appended.LastPosition));
            Assert.Equal(1, proxy.Cuts);
            Assert.True(proxy.Connections >= 2, $"{proxy.Connections} connection(s): the append was not sent again on a new one");
            Assert.Equal(["s1", "s2"], (await TestEvents.ListAsync(store.ReadStreamAsync("a/one"))).Select(e => e.StatementId));
            Assert.Equal(2, (await TestEvents.ListAsync(store.ReadAllAsync())).Count);
            return;
        }
    }
}

/// <summary>Appends on the protocol fake, which also shows which method served them and can hold a write midway.</summary>
public sealed class EventStoreDbAppendOnTheFakeTests(ProtocolFakeFixture fixture) : EventStoreDbAppendSuite, IClassFixture<ProtocolFakeFixture>
{
    protected override string ConnectionString => fixture.Fake.ConnectionString;

    [Theory]
    [InlineData(nameof(FakeServerFeatures.BatchAppend), true)]
    [InlineData(nameof(FakeServerFeatures.WithoutBatchAppend), false)]
    [InlineData(nameof(FakeServerFeatures.None), false)]
    public async Task Appends_go_through_BatchAppend_where_the_probe_offers_it_else_through_Append_with_the_same_results(string features, bool batched)
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync(new FakeNodeOptions { Features = Enum.Parse<FakeServerFeatures>(features) });
        await using var store = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString, "p/");

        var first = await store.AppendAsync("a/one", 0, [TestEvents.Event("s1"), TestEvents.Event("s2")]);
        var stale = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.AppendAsync("a/one", 1, [TestEvents.Event("s3")]));
        var taken = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.AppendAsync("b/two", 0, [TestEvents.Event("s1")]));

        Assert.Equal((2L, 1L, 2L), (first.NextExpectedVersion, first.FirstPosition, first.LastPosition));
        Assert.Contains("expected version 1, found 2", stale.Message, StringComparison.Ordinal);
        Assert.Contains("statement s1 is already recorded", taken.InnerException?.Message, StringComparison.Ordinal);

        // Two statement-id reservations and the matter's append, then s3's reservation and the refused append.
        var (through, other) = batched
            ? (fake.Node.AppendsThroughBatchAppend, fake.Node.AppendsThroughAppend)
            : (fake.Node.AppendsThroughAppend, fake.Node.AppendsThroughBatchAppend);
        Assert.Equal((5, 0), (through, other));
    }

    [Theory]
    [InlineData(nameof(FakeServerFeatures.BatchAppend))]
    [InlineData(nameof(FakeServerFeatures.None))]
    public async Task An_append_the_node_holds_past_the_default_deadline_fails_as_deadline_exceeded_either_way(string features)
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync(new FakeNodeOptions { Features = Enum.Parse<FakeServerFeatures>(features) });
        var hold = new FakeAppendHold("p/a/one");
        fake.Node.Hold = hold;
        await using var store = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString + "&defaultDeadline=500", "p/");

        var late = await Record.ExceptionAsync(() => store.AppendAsync("a/one", 0, [TestEvents.Event("s1")]).WaitAsync(TimeSpan.FromSeconds(30)));
        hold.Release();

        Assert.Equal(Grpc.Core.StatusCode.DeadlineExceeded, Assert.IsType<Grpc.Core.RpcException>(late).StatusCode);
    }

    [Fact]
    public async Task A_cancelled_append_held_by_the_node_is_a_cancellation_while_other_appends_share_the_call()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        var hold = new FakeAppendHold("p/a/one");
        fake.Node.Hold = hold;
        await using var store = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString, "p/");
        using var cancel = new CancellationTokenSource();

        var held = store.AppendAsync("a/one", 0, [TestEvents.Event("s1")], cancel.Token);
        await hold.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        await cancel.CancelAsync();
        var ended = await Record.ExceptionAsync(() => held.WaitAsync(TimeSpan.FromSeconds(30)));
        var meanwhile = await store.AppendAsync("b/two", 0, [TestEvents.Event("s2")]);
        hold.Release();

        Assert.IsAssignableFrom<OperationCanceledException>(ended);
        Assert.Equal(1, meanwhile.NextExpectedVersion);

        // The node wrote the held batch all the same; its late answer found nobody waiting.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (fake.Log.Stream("p/a/one") is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(2, (await store.AppendAsync("a/one", 1, [TestEvents.Event("s3")])).NextExpectedVersion);
        Assert.Equal(0, fake.Node.AppendsThroughAppend);
    }

    [Fact]
    public async Task A_batch_refused_by_a_node_that_lost_its_leadership_is_appended_on_the_leader_it_names()
    {
        var cluster = new FakeLog();
        await using var first = await EventStoreDbProtocolFake.StartAsync(log: cluster);
        await using var second = await EventStoreDbProtocolFake.StartAsync(log: cluster);
        var hold = new FakeAppendHold("p/a/one");
        first.Node.Hold = hold;
        await using var store = await EventStoreDbEventStore.OpenAsync(first.ConnectionString, "p/");

        // The election happens while the matter's batch is on its way: the node refuses it, and ends the call, as a follower.
        var appending = store.AppendAsync("a/one", 0, [TestEvents.Event("s1")]);
        await hold.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        first.Node.LeaderPort = second.Port;
        hold.Release();
        var appended = await appending.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal((1L, 1L), (appended.NextExpectedVersion, appended.LastPosition));
        Assert.Single(cluster.Stream("p/a/one")!);
        Assert.Equal((1, 1), (first.Node.AppendsThroughBatchAppend, second.Node.AppendsThroughBatchAppend));
    }

    [Theory]
    [InlineData("p/a/one", nameof(FakeBatchBreak.AfterWrite))]
    [InlineData("p/a/one", nameof(FakeBatchBreak.BeforeWrite))]
    [InlineData("p-id/s2", nameof(FakeBatchBreak.AfterWrite))]
    public async Task An_append_whose_BatchAppend_call_dies_under_it_is_sent_again_on_a_new_call_and_written_once(string stream, string when)
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        await using var store = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString, "p/");
        await store.AppendAsync("a/one", 0, [TestEvents.Event("s1")]);

        // The node resets the kept-open call as the batch arrives: the node has written it (its answer lost) or not.
        fake.Node.BreakNextBatchAppend(stream, Enum.Parse<FakeBatchBreak>(when));
        var appended = await store.AppendAsync("a/one", 1, [TestEvents.Event("s2"), TestEvents.Event("s3")]).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal((3L, 2L, 3L), (appended.NextExpectedVersion, appended.FirstPosition, appended.LastPosition));
        Assert.Equal(1, fake.Node.BrokenBatchAppendCalls);
        Assert.Equal(["s1", "s2", "s3"], fake.Log.Stream("p/a/one")!.Select(r => TestEvents.StatementIdOf(r.CustomMetadata)));
        Assert.Equal([1, 1], new[] { "p-id/s2", "p-id/s3" }.Select(s => fake.Log.Stream(s)!.Count));
        Assert.Equal(0, fake.Node.AppendsThroughAppend);
    }

    [Fact]
    public async Task A_node_that_keeps_resetting_the_call_fails_the_append_as_unavailable_after_a_few_new_calls()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        await using var store = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString, "p/");
        using var breaking = new CancellationTokenSource();
        var rearm = Task.Run(async () =>
        {
            while (!breaking.IsCancellationRequested)
            {
                fake.Node.BreakNextBatchAppend("p/a/one", FakeBatchBreak.BeforeWrite);
                await Task.Delay(5);
            }
        });

        var failed = await Record.ExceptionAsync(() => store.AppendAsync("a/one", 0, [TestEvents.Event("s1")]).WaitAsync(TimeSpan.FromSeconds(60)));
        await breaking.CancelAsync();
        await rearm;

        Assert.Contains(Assert.IsType<Grpc.Core.RpcException>(failed).StatusCode, new[] { Grpc.Core.StatusCode.Internal, Grpc.Core.StatusCode.Unavailable });
        Assert.Equal(EventStoreDbEventStore.MaxLostAppendCalls + 1, fake.Node.BrokenBatchAppendCalls);
        Assert.Null(fake.Log.Stream("p/a/one"));
    }

    [Fact]
    public async Task Answers_that_overtake_a_held_batch_reach_their_own_appends()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        var hold = new FakeAppendHold("p/a/one");
        fake.Node.Hold = hold;
        await using var store = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString, "p/");

        var held = store.AppendAsync("a/one", 0, [TestEvents.Event("s1"), TestEvents.Event("s2")]);
        await hold.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        var overtaking = await Task.WhenAll(store.AppendAsync("b/two", 0, [TestEvents.Event("s3")]), store.AppendAsync("c/three", 0, [TestEvents.Event("s4"), TestEvents.Event("s5"), TestEvents.Event("s6")]));
        hold.Release();
        var late = await held.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([1L, 3L], overtaking.Select(r => r.NextExpectedVersion));
        Assert.Equal((2L, 5L, 6L), (late.NextExpectedVersion, late.FirstPosition, late.LastPosition));
        Assert.Equal(0, fake.Node.AppendsThroughAppend);
    }
}
