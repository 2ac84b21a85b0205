using Google.Protobuf;
using Ledger.Storage;
using Ledger.Store.EventStoreDb.Protocol;
using Ledger.Store.EventStoreDb.Protocol.Streams;
using Ledger.Store.EventStoreDb.ProtocolFake;
using Ledger.Stores;

namespace Ledger.Store.EventStoreDb.Tests;

public class ProtocolFakeFixture : IAsyncLifetime
{
    internal EventStoreDbProtocolFake Fake { get; private set; } = null!;

    public virtual async Task InitializeAsync() => Fake = await EventStoreDbProtocolFake.StartAsync();

    public async Task DisposeAsync() => await Fake.DisposeAsync();
}

/// <summary>A fake node that another ledger shares: its events interleave with every append in $all.</summary>
public sealed class SharedNodeFixture : ProtocolFakeFixture
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Fake.Log.Neighbour = "neighbour/";
    }
}

/// <summary>
/// The conformance suite against the client talking to the protocol fake: shows the client handles the protocol as the
/// notes describe. One fake node serves every test; each store is a fresh ledger (its own stream prefix), so the ledgers'
/// events interleave in $all as on a shared real node.
/// </summary>
public sealed class EventStoreDbProtocolFakeTests(ProtocolFakeFixture fixture) : EventStoreConformance, IClassFixture<ProtocolFakeFixture>
{
    protected override async Task<IEventStore> OpenFreshAsync() =>
        await EventStoreDbEventStore.OpenAsync(fixture.Fake.ConnectionString, $"ledger-{Guid.NewGuid():N}/");
}

/// <summary>The conformance suite on a node another ledger shares, whose events of the same types interleave with ours in $all.</summary>
public sealed class EventStoreDbSharedNodeConformanceTests(SharedNodeFixture fixture) : EventStoreConformance, IClassFixture<SharedNodeFixture>
{
    protected override async Task<IEventStore> OpenFreshAsync() =>
        await EventStoreDbEventStore.OpenAsync(fixture.Fake.ConnectionString, $"ledger-{Guid.NewGuid():N}/");
}

/// <summary>
/// The fake repeats a write as the node does, which is what makes an append sent again after a lost answer safe: the node
/// checks the event ids of an append at an expected revision it has passed against the events right after that revision.
/// </summary>
public sealed class ProtocolFakeRepeatedAppendTests
{
    private static AppendReq.Types.ProposedMessage Message()
    {
        var message = new AppendReq.Types.ProposedMessage { Id = new UUID { String = Guid.NewGuid().ToString() }, Data = ByteString.CopyFromUtf8("{}") };
        message.Metadata.Add("type", "Something");
        message.Metadata.Add("content-type", "application/json");
        return message;
    }

    private static AppendReq.Types.Options NoStream => new() { StreamIdentifier = Identifier, NoStream = new Empty() };

    private static AppendReq.Types.Options After(ulong revision) => new() { StreamIdentifier = Identifier, Revision = revision };

    private static AppendReq.Types.Options Any => new() { StreamIdentifier = Identifier, Any = new Empty() };

    private static StreamIdentifier Identifier => new() { StreamName = ByteString.CopyFromUtf8("s") };

    private static string Outcome(AppendResp response) =>
        response.ResultCase == AppendResp.ResultOneofCase.Success ? $"at {response.Success.CurrentRevision}" : "wrong expected version";

    [Fact]
    public void The_same_event_ids_at_the_same_expected_revision_are_answered_as_the_first_write_and_not_written_again()
    {
        var log = new FakeLog();
        var (a, b, c) = (Message(), Message(), Message());

        var outcomes = new[]
        {
            log.Append("s", NoStream, [a, b]),
            log.Append("s", NoStream, [a, b]),
            log.Append("s", After(1), [c]),
            log.Append("s", After(1), [c]),
            log.Append("s", NoStream, [a]),
        }.Select(Outcome);

        Assert.Equal(["at 1", "at 1", "at 2", "at 2", "at 0"], outcomes);
        Assert.Equal(3, log.Stream("s")!.Count);
    }

    [Fact]
    public void Other_ids_or_a_partial_repeat_at_a_passed_revision_are_a_wrong_expected_version()
    {
        var log = new FakeLog();
        var (a, b, c) = (Message(), Message(), Message());
        log.Append("s", NoStream, [a, b, c]);

        var outcomes = new[]
        {
            log.Append("s", NoStream, [Message()]),
            log.Append("s", NoStream, [a, Message()]),
            log.Append("s", After(0), [b, c, Message()]),
            log.Append("s", After(0), [c]),
        }.Select(Outcome);

        Assert.Equal(Enumerable.Repeat("wrong expected version", 4), outcomes);
        Assert.Equal(3, log.Stream("s")!.Count);
    }

    [Fact]
    public void With_any_revision_ids_the_node_remembers_in_the_stream_are_a_repeat_and_a_partial_repeat_is_refused()
    {
        var log = new FakeLog();
        var (a, b, c) = (Message(), Message(), Message());
        log.Append("s", NoStream, [a, b, c]);

        var outcomes = new[]
        {
            log.Append("s", Any, [a, b]),
            log.Append("s", Any, [c, Message()]),
            log.Append("s", Any, [Message()]),
        }.Select(Outcome);

        Assert.Equal(["at 1", "wrong expected version", "at 3"], outcomes);
        Assert.Equal(4, log.Stream("s")!.Count);
    }
}
