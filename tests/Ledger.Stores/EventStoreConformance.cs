using Ledger.Events;
using Ledger.Importing;
using Ledger.Projections;
using Ledger.Storage;

namespace Ledger.Stores;

/// <summary>
/// The behaviour every backend must show. Each backend's test class derives from this and says how to open a fresh store.
/// </summary>
public abstract class EventStoreConformance
{
    private static readonly DateTimeOffset Now = new(2026, 1, 10, 12, 0, 0, TimeSpan.Zero);

    protected abstract Task<IEventStore> OpenFreshAsync();

    /// <summary>A real event in its stored form; ActionTaken or PositionStated by <paramref name="type"/>.</summary>
    public static EventToAppend Event(string id, string type = EventTypes.PositionStated, string organization = "Acme")
    {
        var source = new Source("https://example.org/" + id, null, null, null, null, null);
        Statement statement = type == EventTypes.ActionTaken
            ? new ActionTaken(id, "a/one", Now.AddDays(-1), Now, "spec", null, source, "Quote.", Hashing.Sha256Hex("Quote."), ActionKind.Terminated, ["storage"], null, [])
            : new PositionStated(id, "a/one", Now.AddDays(-1), Now, "spec", null, source, "Quote.", Hashing.Sha256Hex("Quote."), "topic", "position");
        return EventEnvelope.ToAppend(statement, organization);
    }

    private static async Task<List<T>> ListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    [Fact]
    public async Task The_last_position_is_zero_when_empty_then_that_of_the_last_event_appended()
    {
        await using var store = await OpenFreshAsync();
        var empty = await store.LastPositionAsync();
        await store.AppendAsync("a/one", 0, [Event("last-1"), Event("last-2")]);
        var appended = await store.AppendAsync("b/two", 0, [Event("last-3")]);

        Assert.Equal(0, empty);
        Assert.Equal(appended.LastPosition, await store.LastPositionAsync());
        Assert.Equal((await ListAsync(store.ReadAllAsync()))[^1].Position, await store.LastPositionAsync());
    }

    [Fact]
    public async Task Appends_are_read_back_in_stream_and_global_order()
    {
        await using var store = await OpenFreshAsync();

        var first = await store.AppendAsync("a/one", 0, [Event("s1"), Event("s2")]);
        await store.AppendAsync("b/two", 0, [Event("s3", organization: "Beta")]);
        await store.AppendAsync("a/one", 2, [Event("s4")]);

        Assert.Equal((2L, 1L, 2L), (first.NextExpectedVersion, first.FirstPosition, first.LastPosition));
        var stream = await ListAsync(store.ReadStreamAsync("a/one"));
        Assert.Equal(["s1:1:1", "s2:2:2", "s4:3:4"], stream.Select(e => $"{e.StatementId}:{e.Version}:{e.Position}"));
        Assert.Equal(["s3", "s4"], (await ListAsync(store.ReadAllAsync(3))).Select(e => e.StatementId));
        Assert.Empty(await ListAsync(store.ReadStreamAsync("no/such")));
        Assert.Equal(["a/one:3", "b/two:1"], (await store.ListStreamsAsync()).Select(s => $"{s.Stream}:{s.Version}"));
        var stored = stream[0];
        Assert.Equal((Now, Now.AddDays(-1), "spec", "Acme"), (stored.RecordedAt, stored.PublishedAt!.Value, stored.RecordedBy, stored.Organization));
        Assert.Equal(Event("s1").Data, stored.Data);
        Assert.Equal(EventTypes.PositionStated, stored.Type);
    }

    [Fact]
    public async Task A_stale_expected_version_is_a_conflict_and_appends_nothing()
    {
        await using var store = await OpenFreshAsync();
        await store.AppendAsync("a/one", 0, [Event("s1")]);

        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.AppendAsync("a/one", 0, [Event("s2"), Event("s3")]));
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.AppendAsync("a/one", 5, [Event("s2")]));

        Assert.Single(await ListAsync(store.ReadAllAsync()));
    }

    [Fact]
    public async Task A_statement_id_recorded_anywhere_in_the_ledger_is_a_conflict_and_the_whole_append_is_rolled_back()
    {
        await using var store = await OpenFreshAsync();
        await store.AppendAsync("a/one", 0, [Event("s1")]);

        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.AppendAsync("b/two", 0, [Event("fresh"), Event("s1")]));

        Assert.Equal(["s1"], (await ListAsync(store.ReadAllAsync())).Select(e => e.StatementId));
        Assert.Equal(["a/one"], (await store.ListStreamsAsync()).Select(s => s.Stream));
    }

    [Fact]
    public async Task Reads_and_subscriptions_filter_by_matter_organization_and_type()
    {
        await using var store = await OpenFreshAsync();
        await store.AppendAsync("a/one", 0, [Event("s1"), Event("s2", EventTypes.ActionTaken)]);
        await store.AppendAsync("b/two", 0, [Event("s3", EventTypes.ActionTaken, "Beta")]);

        Assert.Equal(["s1", "s2"], (await ListAsync(store.ReadAllAsync(1, new EventFilter(Matters: ["a/one"])))).Select(e => e.StatementId));
        Assert.Equal(["s3"], (await ListAsync(store.ReadAllAsync(1, new EventFilter(Organizations: ["Beta"])))).Select(e => e.StatementId));
        Assert.Equal(["s2", "s3"], (await ListAsync(store.ReadAllAsync(1, new EventFilter(Types: [EventTypes.ActionTaken])))).Select(e => e.StatementId));
    }

    [Fact]
    public async Task A_subscription_catches_up_from_a_position_then_receives_new_appends_live()
    {
        await using var store = await OpenFreshAsync();
        await store.AppendAsync("a/one", 0, [Event("s1"), Event("s2")]);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var received = new List<string>();

        var subscription = Task.Run(async () =>
        {
            await foreach (var e in store.SubscribeAsync(2, new EventFilter(Matters: ["a/one"]), cancel.Token))
            {
                received.Add(e.StatementId!);
                if (received.Count == 3)
                {
                    break;
                }
            }
        });
        await Task.Delay(300);
        await store.AppendAsync("b/two", 0, [Event("other")]);
        await store.AppendAsync("a/one", 2, [Event("s3"), Event("s4")]);
        await subscription.WaitAsync(cancel.Token);

        Assert.Equal(["s2", "s3", "s4"], received);
    }

    [Fact]
    public async Task Statements_are_found_by_id_in_any_stream()
    {
        await using var store = await OpenFreshAsync();
        await store.AppendAsync("a/one", 0, [Event("s1")]);
        await store.AppendAsync("b/two", 0, [Event("s2")]);

        var found = await store.FindStatementsAsync(["s2", "s1", "missing"]);

        Assert.Equal(["s1:a/one", "s2:b/two"], found.Values.Select(e => $"{e.StatementId}:{e.Stream}").Order());
    }

    [Fact]
    public async Task Importing_the_same_document_twice_appends_once_and_reports_the_rest_as_already_present()
    {
        await using var store = await OpenFreshAsync();
        var documents = Sample.Documents();

        var first = await new ImportPipeline(store, new FixedClock(Now)).HandleAsync(documents);
        var second = await new ImportPipeline(store, new FixedClock(Now.AddDays(1))).HandleAsync(documents);

        Assert.Equal((7, 0), (first.Appended, first.AlreadyPresent));
        Assert.Equal((0, 7), (second.Appended, second.AlreadyPresent));
        Assert.Equal(8, (await ListAsync(store.ReadAllAsync())).Count);
    }

    [Fact]
    public async Task An_import_stops_at_the_first_refused_document_and_keeps_the_ones_before_it()
    {
        await using var store = await OpenFreshAsync();
        var documents = Sample.Parse("""
            {"matter":"a/one","organization":"Acme","title":"One","statements":[{"id":"x1","type":"ReviewConcluded","publishedAt":"2025-12-01","source":{"title":"t"},"quote":"Done."}]}
            {"matter":"a/two","organization":"Acme","title":"Two","statements":[{"id":"x2","type":"DisclosureDelivered","publishedAt":"2025-12-01","source":{"title":"t"},"quote":"Here.","promise":"never-made"}]}
            {"matter":"a/three","organization":"Acme","title":"Three","statements":[{"id":"x3","type":"ReviewConcluded","publishedAt":"2025-12-01","source":{"title":"t"},"quote":"Done."}]}
            """);

        var result = await new ImportPipeline(store, new FixedClock(Now)).HandleAsync(documents);

        Assert.Equal(["a/one"], result.Documents.Select(d => d.Matter));
        Assert.Equal("promise", Assert.Single(result.Errors).Field);
        Assert.Equal(["a/one"], (await store.ListStreamsAsync()).Select(s => s.Stream));
    }

    [Fact]
    public async Task Two_importers_deciding_on_the_same_version_conflict_and_the_loser_appends_nothing()
    {
        await using var store = await OpenFreshAsync();
        await new ImportPipeline(store, new FixedClock(Now)).HandleAsync(Sample.Documents());
        var a = Sample.Parse("""{"matter":"microsoft/imod-azure","statements":[{"id":"x1","type":"ReviewConcluded","publishedAt":"2025-12-01","source":{"title":"t"},"quote":"Done."}]}""");
        var b = Sample.Parse("""{"matter":"microsoft/imod-azure","statements":[{"id":"x2","type":"ReviewConcluded","publishedAt":"2025-12-02","source":{"title":"t"},"quote":"Done too."}]}""");
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pausing = new PausingStore(store, release.Task);
        var slow = new ImportPipeline(pausing, new FixedClock(Now));

        // The slow importer has decided on the version it read and waits at its append while the fast one appends.
        var racing = slow.HandleAsync(a);
        await pausing.Reached.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var fast = await new ImportPipeline(store, new FixedClock(Now)).HandleAsync(b);
        release.SetResult();
        var lost = await racing;

        Assert.Equal(1, fast.Appended);
        Assert.NotNull(lost.Conflict);
        Assert.Equal(0, lost.Appended);
        Assert.Equal(9, (await ListAsync(store.ReadAllAsync())).Count);
    }

    [Fact]
    public async Task Projections_over_the_store_give_the_sample_status()
    {
        await using var store = await OpenFreshAsync();
        await new ImportPipeline(store, new FixedClock(Now)).HandleAsync(Sample.Documents());

        var events = (await ListAsync(store.ReadStreamAsync("microsoft/imod-azure"))).Select(EventEnvelope.ToRecorded);
        var status = MatterViews.Status(events, Now)!;

        Assert.Equal(("action-taken", "ongoing", "overdue"), (status.Phase, status.Review.Status, status.Promises.Single().Status));
        Assert.Null(MatterViews.Status(events, Now, knownAt: Now.AddSeconds(-1)));
    }

    [Fact]
    public async Task Projections_over_this_store_answer_as_of_known_at_backfill_and_correction_queries()
    {
        await using var store = await OpenFreshAsync();
        var recordedLate = Now.AddDays(30);
        await new ImportPipeline(store, new FixedClock(Now)).HandleAsync(Sample.Documents());
        await new ImportPipeline(store, new FixedClock(recordedLate)).HandleAsync(Sample.Parse("""
            {"matter":"microsoft/imod-azure","statements":[
              {"id":"backfill-2025-07-01","type":"PositionStated","publishedAt":"2025-07-01","source":{"title":"t"},"quote":"Backfilled.","topic":"t","position":"p"},
              {"id":"fix-1","type":"EntryCorrected","corrects":"msft-2025-09-25-more-information","changes":{"promise.dueBy":"2025-12-31"},"reason":"misread"}]}
            """));
        var events = new List<Recorded>();
        await foreach (var e in store.ReadStreamAsync("microsoft/imod-azure"))
        {
            events.Add(EventEnvelope.ToRecorded(e));
        }

        var asOfSeptember = MatterViews.Status(events, new DateTimeOffset(2025, 9, 1, 23, 59, 59, TimeSpan.Zero))!;
        var knownBefore = MatterViews.Status(events, recordedLate.AddDays(1), knownAt: Now)!;
        var knownAfter = MatterViews.Status(events, recordedLate.AddDays(1))!;
        var history = MatterHistory.Build(MatterTimeline.Build(events)!);

        Assert.Equal(("under-review", 0, 5), (asOfSeptember.Phase, asOfSeptember.Actions.Count, asOfSeptember.Statements));
        Assert.Equal(("overdue", new DateOnly(2025, 11, 6)), (knownBefore.Promises.Single().Status, knownBefore.Promises.Single().DueBy));
        Assert.Equal(("overdue", new DateOnly(2025, 12, 31)), (knownAfter.Promises.Single().Status, knownAfter.Promises.Single().DueBy));
        Assert.Equal("backfill-2025-07-01", history[2].StatementId);
        Assert.Equal(["overdue"], PromiseTracker.Track([knownAfter], recordedLate.AddDays(1)).Select(p => p.Status));
        Assert.Equal(1, OrganizationSummaries.Summarize([knownAfter]).Single().Overdue);
    }

    /// <summary>Lets a competitor append between this importer's decision and its append.</summary>
    /// <summary>Holds every append until released, and says when the first one arrived.</summary>
    private sealed class PausingStore(IEventStore inner, Task release) : DelegatingEventStore(inner)
    {
        public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async Task<AppendResult> AppendAsync(string stream, long expectedVersion, IReadOnlyList<EventToAppend> events, CancellationToken cancellationToken = default)
        {
            Reached.TrySetResult();
            await release.WaitAsync(cancellationToken);
            return await base.AppendAsync(stream, expectedVersion, events, cancellationToken);
        }
    }
}

public sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

public static class Sample
{
    public static List<ImportDocument> Documents() =>
        Parse(File.ReadAllText(Ledger.Testing.Checkout.SampleFile));

    public static List<ImportDocument> Parse(string json)
    {
        var errors = new List<InputError>();
        var documents = DisclosureReader.Read("sample.json", json, errors).Select(r => ImportDocument.Read(r, "spec", errors)!).ToList();
        Assert.Empty(errors);
        return documents;
    }
}
