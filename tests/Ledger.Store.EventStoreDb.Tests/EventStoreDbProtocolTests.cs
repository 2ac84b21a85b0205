using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Ledger.Storage;
using Ledger.Store.EventStoreDb.Protocol;
using Ledger.Store.EventStoreDb.Protocol.Streams;
using Ledger.Store.EventStoreDb.ProtocolFake;

namespace Ledger.Store.EventStoreDb.Tests;

/// <summary>The client's protocol handling, checked against the protocol fake: what goes on the wire, headers, redirects.</summary>
public sealed class EventStoreDbProtocolTests
{
    private static EventToAppend Event(string id) => TestEvents.Event(id);

    private static Task<List<T>> ListAsync<T>(IAsyncEnumerable<T> items) => TestEvents.ListAsync(items);

    [Fact]
    public async Task An_append_carries_type_json_content_type_data_and_the_envelope_as_custom_metadata()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        await using var store = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString, "p/");

        await store.AppendAsync("a/one", 0, [Event("s1")]);

        var record = Assert.Single(fake.Log.Stream("p/a/one")!);
        Assert.Equal(("PositionStated", "application/json"), (record.Metadata["type"], record.Metadata["content-type"]));
        Assert.Equal("""{"quote":"Q."}""", record.Data.ToStringUtf8());
        using var envelope = JsonDocument.Parse(record.CustomMetadata.Memory);
        Assert.Equal(
            ["statementId=s1", "organization=Acme", "publishedAt=2026-01-09T12:00:00+00:00", "recordedAt=2026-01-10T12:00:00+00:00", "recordedBy=spec"],
            envelope.RootElement.EnumerateObject().Select(p => $"{p.Name}={p.Value.GetString()}"));
    }

    [Fact]
    public async Task A_wrong_expected_version_names_the_version_the_server_reports()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        await using var store = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString, "p/");
        await store.AppendAsync("a/one", 0, [Event("s1"), Event("s2")]);

        var stale = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.AppendAsync("a/one", 1, [Event("s3")]));
        var fresh = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.AppendAsync("b/two", 3, [Event("s4")]));

        Assert.Contains("expected version 1, found 2", stale.Message, StringComparison.Ordinal);
        Assert.Contains("expected version 3, found 0", fresh.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Positions_count_only_this_ledgers_events_in_all()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        await using var other = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString, "other/");
        await using var store = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString, "p/");
        var foreign = new AppendReq.Types.ProposedMessage { Id = new UUID { String = Guid.NewGuid().ToString() }, Data = ByteString.CopyFromUtf8("{}") };
        foreign.Metadata.Add("type", "SomethingElse");
        foreign.Metadata.Add("content-type", "application/json");

        await other.AppendAsync("x/one", 0, [Event("o1")]);
        var first = await store.AppendAsync("a/one", 0, [Event("s1")]);
        fake.Log.Append("p-not-ours", new AppendReq.Types.Options { Any = new Empty() }, [foreign]);
        await other.AppendAsync("x/one", 1, [Event("o2")]);
        var second = await store.AppendAsync("a/one", 1, [Event("s2")]);

        Assert.Equal((1L, 2L), (first.LastPosition, second.LastPosition));
        Assert.Equal(["s1:1", "s2:2"], (await ListAsync(store.ReadAllAsync())).Select(e => $"{e.StatementId}:{e.Position}"));
        Assert.Equal(["o1:1", "o2:2"], (await ListAsync(other.ReadAllAsync())).Select(e => $"{e.StatementId}:{e.Position}"));
    }

    [Fact]
    public async Task A_reopened_store_finds_the_same_positions_streams_and_statements()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        await using (var store = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString, "p/"))
        {
            await store.AppendAsync("a/one", 0, [Event("s1"), Event("s2")]);
            await store.AppendAsync("b/two", 0, [Event("s3")]);
        }

        await using var reopened = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString, "p/");

        Assert.Equal(["a/one:Acme:2", "b/two:Acme:1"], (await reopened.ListStreamsAsync()).Select(s => $"{s.Stream}:{s.Organization}:{s.Version}"));
        Assert.Equal(3, (await reopened.FindStatementsAsync(["s3"]))["s3"].Position);
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => reopened.AppendAsync("c/three", 0, [Event("s2")]));
    }

    [Fact]
    public async Task Every_call_carries_basic_auth_requires_leader_and_the_connection_name()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync(new FakeNodeOptions { Credentials = ("admin", "p@ss") });
        await using var store = await EventStoreDbEventStore.OpenAsync($"esdb://admin:p%40ss@127.0.0.1:{fake.Port}?tls=false&allowCredentialsWithoutTls=true&connectionName=ledger-cli", "p/");

        await store.AppendAsync("a/one", 0, [Event("s1")]);

        Assert.All(fake.Node.Calls, call =>
        {
            Assert.Equal("Basic YWRtaW46cEBzcw==", call["authorization"]);
            Assert.Equal(("true", "ledger-cli"), (call["requires-leader"], call["connection-name"]));
        });
    }

    [Fact]
    public async Task Bad_credentials_fail_to_open_as_unauthenticated()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync(new FakeNodeOptions { Credentials = ("admin", "changeit") });

        var error = await Assert.ThrowsAsync<RpcException>(() => EventStoreDbEventStore.OpenAsync($"esdb://admin:wrong@127.0.0.1:{fake.Port}?tls=false&allowCredentialsWithoutTls=true", "p/"));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task A_follower_answering_not_leader_sends_the_client_to_the_leader()
    {
        await using var leader = await EventStoreDbProtocolFake.StartAsync();
        await using var follower = await EventStoreDbProtocolFake.StartAsync(new FakeNodeOptions { LeaderPort = leader.Port });
        await using var store = await EventStoreDbEventStore.OpenAsync(follower.ConnectionString, "p/");

        await store.AppendAsync("a/one", 0, [Event("s1")]);

        Assert.Single(leader.Log.Stream("p/a/one")!);
        Assert.Null(follower.Log.Stream("p/a/one"));
        Assert.Single(follower.Node.Calls);
    }

    [Fact]
    public async Task An_unreachable_seed_is_skipped_for_the_next_host()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        using var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var deadPort = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();

        await using var store = await EventStoreDbEventStore.OpenAsync($"esdb://127.0.0.1:{deadPort},127.0.0.1:{fake.Port}?tls=false", "p/");
        await store.AppendAsync("a/one", 0, [Event("s1")]);

        Assert.Single(fake.Log.Stream("p/a/one")!);
    }

    [Fact]
    public async Task A_subscription_from_beyond_the_end_delivers_only_from_that_position()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        await using var store = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString, "p/");
        await store.AppendAsync("a/one", 0, [Event("s1")]);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        var subscription = Task.Run(async () =>
        {
            await foreach (var e in store.SubscribeAsync(3, cancellationToken: cancel.Token))
            {
                return e.StatementId;
            }

            return null;
        });
        await Task.Delay(300);
        await store.AppendAsync("a/one", 1, [Event("s2")]);
        await store.AppendAsync("b/two", 0, [Event("s3"), Event("s4")]);

        Assert.Equal("s3", await subscription.WaitAsync(cancel.Token));
    }

    [Theory]
    [InlineData("leader", "leader")]
    [InlineData("follower", "follower")]
    public async Task Gossip_discovery_picks_the_member_the_node_preference_asks_for(string preference, string expected)
    {
        await using var leader = await EventStoreDbProtocolFake.StartAsync();
        await using var follower = await EventStoreDbProtocolFake.StartAsync(new FakeNodeOptions { LeaderPort = leader.Port });
        var members = new[]
        {
            FakeGossipService.Member(follower.Port, Protocol.Gossip.MemberInfo.Types.VNodeState.Follower),
            FakeGossipService.Member(1, Protocol.Gossip.MemberInfo.Types.VNodeState.Leader, alive: false),
            FakeGossipService.Member(leader.Port, Protocol.Gossip.MemberInfo.Types.VNodeState.Leader),
        };
        await using var seed = await EventStoreDbProtocolFake.StartAsync(new FakeNodeOptions { Members = members });

        await using var store = await EventStoreDbEventStore.OpenAsync($"esdb+discover://127.0.0.1:{seed.Port}?tls=false&nodePreference={preference}", "p/");
        await store.AppendAsync("a/one", 0, [Event("s1")]);

        // The fake does not replicate: the event is in the log of the node that was asked.
        var served = expected == "leader" ? leader : follower;
        Assert.Single(served.Log.Stream("p/a/one")!);
        Assert.All(served.Node.Calls, call => Assert.Equal(expected == "leader" ? "true" : "false", call["requires-leader"]));
        Assert.Empty(seed.Node.Calls);
    }

    [Fact]
    public async Task Discovery_with_no_usable_member_fails_as_unavailable_after_its_attempts()
    {
        await using var seed = await EventStoreDbProtocolFake.StartAsync(new FakeNodeOptions { Members = [] });

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            EventStoreDbEventStore.OpenAsync($"esdb+discover://127.0.0.1:{seed.Port}?tls=false&maxDiscoverAttempts=2&discoveryInterval=10", "p/"));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("after 2 discovery attempt(s)", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dropped_subscription_resumes_after_the_last_event_without_gap_or_duplicate()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        await using var store = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString, "p/");
        await store.AppendAsync("a/one", 0, [Event("s1"), Event("s2"), Event("s3")]);
        await store.AppendAsync("b/two", 0, [Event("s4")]);
        fake.Node.DropNextSubscriptionAfter = 2;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var received = new List<string>();

        var subscription = Task.Run(async () =>
        {
            await foreach (var e in store.SubscribeAsync(1, new EventFilter(Matters: ["a/one"]), cancel.Token))
            {
                received.Add($"{e.StatementId}:{e.Position}");
                if (received.Count == 4)
                {
                    break;
                }
            }
        });
        await Task.Delay(300);
        await store.AppendAsync("a/one", 3, [Event("s5")]);
        await subscription.WaitAsync(cancel.Token);

        Assert.Equal(["s1:1", "s2:2", "s3:3", "s5:5"], received);
        Assert.Equal(1, fake.Node.DroppedSubscriptions);
    }

    [Fact]
    public async Task A_projection_taking_a_batch_of_all_has_the_node_send_that_batch_not_what_flow_control_lets_through()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        await using var store = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString, "p/");
        for (var i = 0; i < 30; i++)
        {
            await store.AppendAsync($"m/{i}", 0, [.. Enumerable.Range(0, 100).Select(j => Event($"s{i}-{j}"))]);
        }

        var before = fake.Node.EventsReadFromAll;
        var batch = await Ledger.Messaging.ReadModels.LogBatches.NextAsync(store, 1001, 1000, CancellationToken.None);
        var batchRead = fake.Node.EventsReadFromAll - before;
        before = fake.Node.EventsReadFromAll;
        var all = await ListAsync(store.ReadAllAsync());
        var allRead = fake.Node.EventsReadFromAll - before;

        Assert.Equal((1001L, 2000L), (batch[0].Position, batch[^1].Position));
        Assert.Equal(3000, all.Count);

        // Each read first catches the catalogue up (its last event again), then pages through, each page after the first beginning with the last of the one before.
        Assert.Equal(1 + 500 + 501, batchRead);
        Assert.InRange(allRead, 1 + 3000, 1 + 3000 + 4);
    }
}
