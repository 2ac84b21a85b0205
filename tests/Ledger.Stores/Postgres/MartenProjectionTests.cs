using System.Reflection;
using System.Text.Json;
using Ledger.Events;
using Ledger.Importing;
using Ledger.Projections;
using Ledger.Serialization;
using Ledger.Storage;
using Ledger.Store.Marten;
using Ledger.Store.Marten.Projections;

namespace Ledger.Stores.Postgres;

/// <summary>
/// The pure projections inside Marten on a real PostgreSQL: the inline status snapshot and the async cross-matter views
/// answer as the pure projections over the same events do.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class MartenProjectionTests(PostgresCluster cluster)
{
    private const string Matter = "microsoft/imod-azure";
    private const string PromiseStatement = "msft-2025-09-25-more-information";
    private static readonly DateTimeOffset Now = new(2026, 1, 10, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan CatchUp = TimeSpan.FromSeconds(60);

    /// <summary>Publication times around every statement of the scenarios, ties and day boundaries included.</summary>
    private static readonly DateTimeOffset[] AsOfs =
    [
        At("2025-05-01"), At("2025-05-15"), At("2025-07-01"), At("2025-09-01"), At("2025-09-25"), At("2025-09-30"),
        At("2025-10-01"), At("2025-11-06T23:59:59Z"), At("2025-11-07"), At("2025-11-20"), At("2025-12-01"), At("2025-12-15"),
        At("2026-01-01"), Now, Now.AddDays(10), Now.AddDays(400),
    ];

    private static DateTimeOffset At(string text) => Timestamps.TryParse(text, out var at) ? at : throw new ArgumentException(text);

    private static string Json(object value) => JsonSerializer.Serialize(value, value.GetType(), LedgerJson.OutputLine);

    private static string Statement(string id, string type, string publishedAt, string fields) =>
        $$"""{"id":"{{id}}","type":"{{type}}","publishedAt":"{{publishedAt}}","source":{"title":"t"},"quote":"Quote of {{id}}.",{{fields}}}""";

    /// <summary>A document for an Acme matter, which the first one opens, or for the sample's matter once imported.</summary>
    private static string Document(string matter, params string[] statements) => matter == Matter
        ? $$"""{"matter":"{{matter}}","statements":[{{string.Join(",", statements)}}]}"""
        : $$"""{"matter":"{{matter}}","organization":"Acme","title":"{{matter}}","statements":[{{string.Join(",", statements)}}]}""";

    private static string Position(string id, string publishedAt) => Statement(id, "PositionStated", publishedAt, "\"topic\":\"t\",\"position\":\"p\"");

    private static string Promise(string id, string publishedAt, string promise, string dueBy) =>
        Statement(id, "DisclosurePromised", publishedAt, $$"""
            "promise":{"id":"{{promise}}","what":"the report","dueBy":"{{dueBy}}"}
            """);

    private static string Delivery(string id, string publishedAt, string promise) => Statement(id, "DisclosureDelivered", publishedAt, $"\"promise\":\"{promise}\",\"summary\":\"published\"");

    private static string Withdrawal(string id, string publishedAt, string withdraws) => Statement(id, "StatementWithdrawn", publishedAt, $"\"withdraws\":\"{withdraws}\",\"reason\":\"retracted\"");

    private static string Correction(string id, string corrects, string changes) =>
        $$"""{"id":"{{id}}","type":"EntryCorrected","corrects":"{{corrects}}","changes":{{changes}},"reason":"misread"}""";

    private static async Task ImportAsync(IEventStore store, DateTimeOffset recordedAt, params string[] documents)
    {
        var result = await new ImportDocumentHandler(store, new FixedClock(recordedAt)).HandleAsync(documents.SelectMany(d => Sample.Parse(d)).ToList());
        Assert.True(result.Errors.Count == 0 && result.Conflict is null && result.Failure is null, string.Join("\n", result.Errors) + result.Conflict + result.Failure);
    }

    private async Task<MartenEventStore> OpenAsync() => await MartenEventStore.OpenAsync(await cluster.CreateDatabaseAsync());

    private static async Task<List<Recorded>> EventsAsync(MartenEventStore store, string matter)
    {
        var events = new List<Recorded>();
        await foreach (var e in store.ReadStreamAsync(matter))
        {
            events.Add(EventEnvelope.ToRecorded(e));
        }

        return events;
    }

    /// <summary>Every matter's status as the embedded store's queries compute it: the pure projections over all events.</summary>
    private static async Task<List<MatterStatus>> PureStatusesAsync(MartenEventStore store, DateTimeOffset asOf, DateTimeOffset? knownAt)
    {
        var byMatter = new SortedDictionary<string, List<Recorded>>(StringComparer.Ordinal);
        await foreach (var e in store.ReadAllAsync())
        {
            if (!byMatter.TryGetValue(e.Stream, out var list))
            {
                byMatter[e.Stream] = list = [];
            }

            list.Add(EventEnvelope.ToRecorded(e));
        }

        return byMatter.Values.Select(events => MatterViews.Status(events, asOf, knownAt)).OfType<MatterStatus>().ToList();
    }

    /// <summary>The snapshot rendered at every test time equals the pure status over ReadStream, and holds the timeline's statements in its order.</summary>
    private static async Task AssertSnapshotIsThePureFoldAsync(MartenEventStore store, string matter)
    {
        var events = await EventsAsync(store, matter);
        var snapshot = await store.LoadSnapshotAsync(matter);

        Assert.NotNull(snapshot);
        Assert.Equal(events.Count, snapshot.Version);
        Assert.Equal(MatterTimeline.Build(events)!.Entries.Select(e => LedgerJson.Serialize(e.Statement)), snapshot.Fold.Folded.Select(LedgerJson.Serialize));
        foreach (var asOf in AsOfs)
        {
            Assert.Equal(Json(MatterViews.Status(events, asOf)!), Json(snapshot.Render(asOf)));
        }
    }

    /// <summary>The store's status query equals the pure status for every as-of and known-at time.</summary>
    private static async Task AssertStatusQueriesArePureAsync(MartenEventStore store, string matter, IEnumerable<DateTimeOffset?> knownAts)
    {
        var events = await EventsAsync(store, matter);
        foreach (var knownAt in knownAts)
        {
            foreach (var asOf in AsOfs)
            {
                var pure = MatterViews.Status(events, asOf, knownAt);
                var stored = await store.StatusAsync(matter, asOf, knownAt);
                Assert.Equal(pure is null ? "null" : Json(pure), stored is null ? "null" : Json(stored));
            }
        }
    }

    [Fact]
    public async Task The_inline_snapshot_equals_the_pure_fold_through_in_order_backfilled_corrected_and_withdrawn_statements()
    {
        await using var store = await OpenAsync();
        await ImportAsync(store, Now, File.ReadAllText(Ledger.Testing.Checkout.SampleFile));
        await AssertSnapshotIsThePureFoldAsync(store, Matter);

        // In publication order: the snapshot extends its fold.
        await ImportAsync(store, Now.AddDays(1), Document(Matter, Delivery("delivered", "2025-12-01", "lessons-learned")));
        await AssertSnapshotIsThePureFoldAsync(store, Matter);

        // One in order, then one published months before statements recorded earlier, in the same append.
        await ImportAsync(store, Now.AddDays(2), Document(Matter, Position("late-position", "2025-12-15"), Position("backfill-2025-07-01", "2025-07-01")));
        await AssertSnapshotIsThePureFoldAsync(store, Matter);

        // A correction moves the promise's due date, so the delivery becomes on time.
        await ImportAsync(store, Now.AddDays(3), Document(Matter, Correction("fix-due", PromiseStatement, """{"promise.dueBy":"2025-12-31"}""")));
        await AssertSnapshotIsThePureFoldAsync(store, Matter);

        // A withdrawal published before the delivery, recorded last.
        await ImportAsync(store, Now.AddDays(4), Document(Matter, Withdrawal("withdraw-termination", "2025-10-01", "msft-2025-09-25-termination")));
        await AssertSnapshotIsThePureFoldAsync(store, Matter);

        var snapshot = (await store.LoadSnapshotAsync(Matter))!;
        var now = snapshot.Render(Now.AddDays(10));
        Assert.Equal(("findings-disclosed", 0, new DateOnly(2025, 12, 31), "delivered"), (now.Phase, now.Actions.Count, now.Promises.Single().DueBy, now.Promises.Single().Status));
        Assert.Equal("backfill-2025-07-01", snapshot.Fold.Folded[2].StatementId);
        Assert.Equal("action-taken", snapshot.Render(At("2025-09-30")).Phase);
        Assert.Equal(Now.AddDays(4), snapshot.KnownThrough);
        await AssertStatusQueriesArePureAsync(store, Matter, [null, Now.AddSeconds(-1), Now, Now.AddDays(1), Now.AddDays(2).AddHours(1), Now.AddDays(3), Now.AddDays(4)]);
    }

    [Fact]
    public async Task A_new_matter_appended_out_of_publication_order_folds_like_its_timeline_ties_by_recording_order()
    {
        await using var store = await OpenAsync();
        await ImportAsync(store, Now, Document(
            "acme/one",
            Statement("find", "FindingsDisclosed", "2025-09-25", "\"stage\":\"interim\",\"findings\":[{\"allegation\":\"a1\",\"assessment\":\"no-evidence\"}]"),
            Promise("prom", "2025-05-01", "report", "2025-06-01"),
            Statement("act", "ActionTaken", "2025-09-25", "\"action\":\"suspended\""),
            Statement("rep", "AllegationReported", "2025-01-10", "\"allegation\":{\"id\":\"a1\"}"),
            Withdrawal("withdraw-prom", "2025-09-25", "prom")));

        await AssertSnapshotIsThePureFoldAsync(store, "acme/one");
        var snapshot = (await store.LoadSnapshotAsync("acme/one"))!;
        Assert.Equal(["rep", "prom", "find", "act", "withdraw-prom"], snapshot.Fold.Folded.Select(s => s.StatementId));
        Assert.Equal(("action-taken", "withdrawn"), (snapshot.Render(Now).Phase, snapshot.Render(Now).Promises.Single().Status));
        Assert.Equal("overdue", snapshot.Render(At("2025-09-01")).Promises.Single().Status);
    }

    [Fact]
    public async Task An_append_that_fails_a_concurrency_check_leaves_the_snapshot_unchanged()
    {
        await using var store = await OpenAsync();
        await ImportAsync(store, Now, File.ReadAllText(Ledger.Testing.Checkout.SampleFile));
        var version = (await store.ListStreamsAsync()).Single().Version;
        var before = await store.LoadSnapshotAsync(Matter);
        var source = new Source("https://example.org/x", null, null, null, null, null);
        EventToAppend Conclusion(string id) => EventEnvelope.ToAppend(
            new ReviewConcluded(id, Matter, At("2025-12-01"), Now.AddDays(1), "spec", null, source, "Done.", Hashing.Sha256Hex("Done."), "concluded"), "Microsoft");

        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.AppendAsync(Matter, version - 1, [Conclusion("stale")]));
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.AppendAsync(Matter, version, [Conclusion("fresh"), Conclusion(PromiseStatement)]));
        var after = await store.LoadSnapshotAsync(Matter);

        Assert.Equal((before!.Version, before.KnownThrough, Json(before.Render(Now))), (after!.Version, after.KnownThrough, Json(after.Render(Now))));
        Assert.Equal(before.Fold.Folded.Select(LedgerJson.Serialize), after.Fold.Folded.Select(LedgerJson.Serialize));

        await store.AppendAsync(Matter, version, [Conclusion("fresh")]);
        Assert.Equal("concluded", (await store.LoadSnapshotAsync(Matter))!.Render(Now).Phase);
        await AssertSnapshotIsThePureFoldAsync(store, Matter);
    }

    [Fact]
    public async Task The_async_views_after_the_daemon_catches_up_equal_the_pure_promise_tracker_and_organization_summaries()
    {
        await using var store = await OpenAsync();

        // Recorded before the daemon starts: it catches up from the beginning.
        await ImportAsync(store, Now, File.ReadAllText(Ledger.Testing.Checkout.SampleFile), Document(
            "acme/one",
            Promise("p-on-time", "2025-08-01", "audit", "2025-10-01"),
            Promise("p-late", "2025-08-01", "report", "2025-11-01"),
            Delivery("d-on-time", "2025-09-30", "audit")));
        await using var daemon = await store.StartProjectionDaemonAsync();

        // Recorded while it runs: new matters, a backfill, a correction, a withdrawal and a late delivery.
        await ImportAsync(store, Now.AddDays(1), Document("acme/two", Promise("p-withdrawn", "2025-09-01", "survey", "2025-09-15")), Document("acme/three", Position("no-promises", "2025-10-01")));
        await ImportAsync(store, Now.AddDays(2), Document("acme/two", Withdrawal("w-survey", "2025-10-15", "p-withdrawn")), Document(Matter, Position("backfill-2025-07-01", "2025-07-01")));
        await ImportAsync(store, Now.AddDays(3), Document(Matter, Correction("fix-due", PromiseStatement, """{"promise.dueBy":"2025-12-31"}""")), Document("acme/one", Delivery("d-late", "2025-12-01", "report")));
        await daemon.CatchUpAsync(CatchUp);

        DateTimeOffset?[] knownAts = [null, Now.AddSeconds(-1), Now, Now.AddDays(1), Now.AddDays(2), Now.AddDays(3)];
        foreach (var knownAt in knownAts)
        {
            foreach (var asOf in AsOfs)
            {
                var pure = await PureStatusesAsync(store, asOf, knownAt);
                Assert.Equal(Json(PromiseTracker.Track(pure, asOf)), Json(await store.PromiseTrackerAsync(asOf, knownAt)));
                Assert.Equal(Json(OrganizationSummaries.Summarize(pure)), Json(await store.OrganizationSummariesAsync(asOf, knownAt)));
            }
        }

        var trackerViews = await store.LoadViewsAsync<PromiseTrackerView>();
        var summaryViews = await store.LoadViewsAsync<OrganizationSummaryView>();
        Assert.Equal(["Acme:acme/one,acme/two", "Microsoft:" + Matter], trackerViews.Select(v => $"{v.Id}:{string.Join(",", v.Matters.Select(m => m.Matter))}"));
        Assert.Equal(["Acme:acme/one,acme/three,acme/two", "Microsoft:" + Matter], summaryViews.Select(v => $"{v.Id}:{string.Join(",", v.Matters.Select(m => m.Matter))}"));
        Assert.Equal(Now.AddDays(3), summaryViews[1].Matters.Single().KnownThrough);

        var tracked = await store.PromiseTrackerAsync(At("2025-11-20"));
        Assert.Equal(
            ["p-late:overdue", PromiseStatement + ":open", "p-on-time:delivered", "p-withdrawn:withdrawn"],
            tracked.Select(p => $"{p.StatementId}:{p.Status}"));
        var summaries = await store.OrganizationSummariesAsync(Now);
        Assert.Equal(["Acme:3:1:1:1", "Microsoft:1:0:0:0"], summaries.Select(s => $"{s.Organization}:{s.Matters}:{s.DeliveredOnTime}:{s.DeliveredLate}:{s.Withdrawn}"));
        Assert.Equal(1, (await store.OrganizationSummariesAsync(Now, knownAt: Now)).Single(s => s.Organization == "Acme").Matters);
    }

    [Fact]
    public async Task The_projections_run_without_runtime_code_compilation()
    {
        await using var store = await OpenAsync();
        await ImportAsync(store, Now, File.ReadAllText(Ledger.Testing.Checkout.SampleFile));
        await using (var daemon = await store.StartProjectionDaemonAsync())
        {
            await daemon.CatchUpAsync(CatchUp);
        }

        Assert.Equal("action-taken", (await store.StatusAsync(Matter, Now))!.Phase);
        Assert.Single(await store.PromiseTrackerAsync(Now));
        Assert.DoesNotContain(AppDomain.CurrentDomain.GetAssemblies(), a => a.GetName().Name == "JasperFx.RuntimeCompiler");
        Assert.Throws<FileNotFoundException>(() => Assembly.Load("JasperFx.RuntimeCompiler"));
    }
}
