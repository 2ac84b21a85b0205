using System.Text.Json;
using Ledger.Importing;
using Ledger.Messaging.Hosting;
using Ledger.Messaging.ReadModels;
using Ledger.Projections;
using Ledger.Serialization;
using Ledger.Storage;
using Ledger.Store.EventStoreDb.Tests.ProtocolFake;
using Ledger.Stores;

namespace Ledger.Store.EventStoreDb.Tests;

/// <summary>
/// The read models of an EventStoreDB ledger, projected from its $all subscription (the protocol fake's) into a SQLite
/// state store, answer as the pure projections over the same events do, and a restarted projector resumes from its position.
/// </summary>
public sealed class EventStoreDbReadModelTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 1, 10, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset[] AsOfs =
        [At("2025-05-01"), At("2025-09-25"), At("2025-10-01"), At("2025-11-06T23:59:59Z"), At("2025-11-07"), At("2025-12-01"), Now, Now.AddDays(400)];

    private readonly string directory = Directory.CreateTempSubdirectory("ledger-esdb-read-models-").FullName;

    private static DateTimeOffset At(string text) => Timestamps.TryParse(text, out var at) ? at : throw new ArgumentException(text);

    private static string Json(object value) => JsonSerializer.Serialize(value, value.GetType(), LedgerJson.OutputLine);

    private static string Promise(string matter, string id, string publishedAt, string promise, string dueBy) =>
        $$$"""{"matter":"{{{matter}}}","organization":"Acme","title":"{{{matter}}}","statements":[{"id":"{{{id}}}","type":"DisclosurePromised","publishedAt":"{{{publishedAt}}}","source":{"title":"t"},"quote":"We will publish {{{promise}}}.","promise":{"id":"{{{promise}}}","what":"the {{{promise}}}","dueBy":"{{{dueBy}}}"}}]}""";

    private static string Delivery(string matter, string id, string publishedAt, string promise) =>
        $$"""{"matter":"{{matter}}","statements":[{"id":"{{id}}","type":"DisclosureDelivered","publishedAt":"{{publishedAt}}","source":{"title":"t"},"quote":"Published.","promise":"{{promise}}","summary":"published"}]}""";

    private static async Task ImportAsync(IEventStore store, DateTimeOffset recordedAt, params string[] documents)
    {
        var result = await new ImportDocumentHandler(store, new FixedClock(recordedAt)).HandleAsync(documents.SelectMany(d => Sample.Parse(d)).ToList());
        Assert.True(result.Errors.Count == 0 && result.Conflict is null && result.Failure is null, string.Join("\n", result.Errors) + result.Conflict + result.Failure);
    }

    private static async Task<List<MatterStatus>> PureStatusesAsync(IEventStore store, DateTimeOffset asOf)
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

        return byMatter.Values.Select(events => MatterViews.Status(events, asOf)).OfType<MatterStatus>().ToList();
    }

    private static async Task ProjectUntilAsync(IEventStore store, IMatterReadModels models, long position)
    {
        using var stop = new CancellationTokenSource();
        var run = new ProjectReadModels(store, models).RunAsync(stop.Token);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await models.PositionAsync() < position)
        {
            Assert.False(run.IsFaulted, run.Exception?.ToString());
            Assert.True(DateTime.UtcNow < deadline, $"the projection reached {await models.PositionAsync()} of {position} within 30 s");
            await Task.Delay(50);
        }

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    private static async Task AssertEqualsPureAsync(IEventStore store, IMatterReadModels models)
    {
        var documents = await models.LoadAsync();
        foreach (var asOf in AsOfs)
        {
            var pure = await PureStatusesAsync(store, asOf);
            Assert.Equal(Json(PromiseTracker.Track(pure, asOf)), Json(MatterReadModels.PromiseTracker(documents, asOf)));
            Assert.Equal(Json(OrganizationSummaries.Summarize(pure)), Json(MatterReadModels.OrganizationSummaries(documents, asOf)));
        }
    }

    [Fact]
    public async Task Read_models_from_the_subscription_equal_the_pure_projections_and_a_restarted_projector_resumes_from_its_position()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        await using IEventStore store = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString, $"ledger-{Guid.NewGuid():N}/");
        await using var models = await MatterReadModels.OpenAsync(new SqliteBackend(Path.Combine(directory, "state.db")), CancellationToken.None);
        await ImportAsync(store, Now, File.ReadAllText(Ledger.Testing.Checkout.SampleFile), Promise("acme/one", "p-audit", "2025-08-01", "audit", "2025-10-01"));

        await ProjectUntilAsync(store, models, await store.LastPositionAsync());
        await AssertEqualsPureAsync(store, models);
        var first = await models.PositionAsync();

        // Recorded while no projector runs: the next one starts after the saved position and folds only these.
        await ImportAsync(store, Now.AddDays(1), Delivery("acme/one", "d-audit", "2025-12-01", "audit"), Promise("acme/two", "p-survey", "2025-09-01", "survey", "2025-09-15"));
        await ProjectUntilAsync(store, models, await store.LastPositionAsync());
        await AssertEqualsPureAsync(store, models);

        Assert.Equal(10, first);
        Assert.Equal(13, await models.PositionAsync());
        Assert.Equal(["acme/one", "acme/two", "microsoft/imod-azure"], (await models.LoadAsync()).Select(m => m.Matter));
        Assert.Equal("delivered", MatterReadModels.PromiseTracker(await models.LoadAsync(), Now).Single(p => p.StatementId == "p-audit").Status);
        Assert.Equal(1, MatterReadModels.OrganizationSummaries(await models.LoadAsync(), Now).Single(o => o.Organization == "Acme").DeliveredLate);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
    }
}
