using System.Globalization;
using System.Text;
using System.Text.Json;
using Ledger.Importing;
using Ledger.Projections;
using Ledger.Projections.ReadModels;
using Ledger.Serialization;
using Ledger.Storage;

namespace Ledger.Stores;

/// <summary>
/// What every backend's stored read side must show: after any interleaving of imports, deliveries, corrections,
/// withdrawals and backfills, each stored model equals the pure fold of the events, each list read page by page equals
/// the list folded from them, a rebuild answers the same, and paging stays exact while the ledger grows.
/// </summary>
public abstract partial class ReadModelConformance
{
    private static readonly DateTimeOffset Recorded = new(2026, 1, 10, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly[] Days = [new(2025, 3, 1), new(2025, 9, 30), new(2026, 1, 10), new(2027, 1, 1)];
    private static readonly string[] Organizations = ["Acme", "Globex", "Initech"];

    protected abstract Task<IEventStore> OpenFreshAsync();

    /// <summary>The store's read models, brought up to its events (a projector-fed store folds what it has not yet).</summary>
    protected virtual IReadModelStore ReadModelsOf(IEventStore store) =>
        store.Feature<IReadModelSource>()?.ReadModels ?? throw new InvalidOperationException($"{store.GetType().Name} keeps no read models");

    /// <summary>Rebuilds the read models from the events, as `ledger projections rebuild` does.</summary>
    protected abstract Task RebuildAsync(IEventStore store);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task After_random_interleavings_every_read_model_equals_the_pure_fold_and_a_rebuild_answers_the_same(int seed)
    {
        await using var store = await OpenFreshAsync();
        var script = new RandomLedger(seed);
        for (var step = 0; step < 40; step++)
        {
            await ImportAsync(store, Recorded.AddMinutes(step), script.Next());
        }

        var models = ReadModelsOf(store);
        await AssertEqualsPureAsync(store, models);
        var before = await DumpAsync(models);

        await RebuildAsync(store);

        Assert.Equal(before, await DumpAsync(ReadModelsOf(store)));
    }

    [Fact]
    public async Task Pages_hold_every_item_once_while_the_ledger_grows()
    {
        await using var store = await OpenFreshAsync();
        var script = new RandomLedger(7);
        for (var step = 0; step < 30; step++)
        {
            await ImportAsync(store, Recorded.AddMinutes(step), script.Next());
        }

        var models = ReadModelsOf(store);
        var day = new DateOnly(2025, 9, 30);
        var matters = await AllAsync(c => models.MattersAsync(new MatterQuery(100, c)), m => m.Matter);
        var promises = await AllAsync(c => models.PromisesAsync(new PromiseQuery(100, day, c)), p => $"{p.Matter}#{p.Id}");
        var organizations = await AllAsync(c => models.OrganizationsAsync(new OrganizationQuery(100, day, c)), o => o.Organization);

        // Read two at a time, recording more between pages: nothing seen before the reading started repeats or goes missing.
        var step2 = 30;
        async Task Grow() => await ImportAsync(store, Recorded.AddMinutes(step2++), script.Next());
        var pagedMatters = await AllAsync(c => models.MattersAsync(new MatterQuery(2, c)), m => m.Matter, Grow);
        var pagedPromises = await AllAsync(c => models.PromisesAsync(new PromiseQuery(2, day, c)), p => $"{p.Matter}#{p.Id}", Grow);
        var pagedOrganizations = await AllAsync(c => models.OrganizationsAsync(new OrganizationQuery(1, day, c)), o => o.Organization, Grow);

        AssertOnceEach(matters, pagedMatters);
        AssertOnceEach(promises, pagedPromises);
        AssertOnceEach(organizations, pagedOrganizations);
    }

    [Fact]
    public async Task Filters_answer_from_the_read_models_as_from_the_fold()
    {
        await using var store = await OpenFreshAsync();
        var script = new RandomLedger(11);
        for (var step = 0; step < 40; step++)
        {
            await ImportAsync(store, Recorded.AddMinutes(step), script.Next());
        }

        var models = ReadModelsOf(store);
        var pure = await PureAsync(store);
        var day = new DateOnly(2025, 9, 30);
        foreach (var organization in Organizations)
        {
            Assert.Equal(
                Json(pure.Select(m => m.Row).Where(r => r.Organization == organization).OrderByDescending(r => r.Opened).ToList()),
                Json(await AllItemsAsync(c => models.MattersAsync(new MatterQuery(3, c, Organization: organization)))));
            Assert.Equal(
                Json(Promises(pure, day).Where(p => p.Organization == organization && p.Status == PromiseStates.Overdue).ToList()),
                Json(await AllItemsAsync(c => models.PromisesAsync(new PromiseQuery(3, day, c, Organization: organization, Status: PromiseStates.Overdue)))));
        }

        Assert.Equal(
            Json(pure.Select(m => m.Row).Where(r => r.OverdueOn(day) > 0).OrderByDescending(r => r.Opened).ToList()),
            Json(await AllItemsAsync(c => models.MattersAsync(new MatterQuery(3, c, OverdueOn: day)))));
        Assert.Equal(
            Json(Promises(pure, day).Where(p => p.DueBy < new DateOnly(2025, 6, 1)).ToList()),
            Json(await AllItemsAsync(c => models.PromisesAsync(new PromiseQuery(3, day, c, DueBefore: new DateOnly(2025, 6, 1))))));
        Assert.Equal(
            Json(Promises(pure, day).Where(p => p.Status == PromiseStates.Open).ToList()),
            Json(await AllItemsAsync(c => models.PromisesAsync(new PromiseQuery(3, day, c, Status: PromiseStates.Open)))));
    }

    protected static async Task ImportAsync(IEventStore store, DateTimeOffset recordedAt, string document)
    {
        var result = await new ImportPipeline(store, new FixedClock(recordedAt)).HandleAsync(Sample.Parse(document));
        Assert.True(result.Errors.Count == 0 && result.Conflict is null && result.Failure is null, document + "\n" + string.Join("\n", result.Errors) + result.Conflict + result.Failure);
    }

    /// <summary>Every stored model equals the pure fold of its matter's events; every list and count equals the one folded from them.</summary>
    public static async Task AssertEqualsPureAsync(IEventStore store, IReadModelStore models)
    {
        var pure = await PureAsync(store);
        Assert.Equal(await store.LastPositionAsync(), await models.PositionAsync());
        foreach (var model in pure)
        {
            var stored = await models.MatterAsync(model.Row.Matter);
            Assert.NotNull(stored);
            Assert.Equal(Json(model.Status), Json(stored.Status));
            Assert.Equal(Json(model.Row), Json(stored.Row));
        }

        Assert.Equal(Json(pure.Select(m => m.Row).OrderByDescending(r => r.Opened).ToList()), Json(await AllItemsAsync(c => models.MattersAsync(new MatterQuery(3, c)))));
        foreach (var day in Days)
        {
            var asOf = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            Assert.Equal(Json(Promises(pure, day)), Json(await AllItemsAsync(c => models.PromisesAsync(new PromiseQuery(3, day, c)))));
            var summaries = OrganizationSummaries.Summarize(pure.Select(m => MatterReadModel.Render(m.Status, asOf)));
            Assert.Equal(Json(summaries), Json(await AllItemsAsync(c => models.OrganizationsAsync(new OrganizationQuery(2, day, c)))));
            var counts = await models.CountsAsync(day);
            Assert.Equal(pure.Count, counts.Matters);
            Assert.Equal(summaries.Sum(s => s.Overdue), counts.OverduePromises);
            Assert.Equal(summaries.Sum(s => s.Open), counts.OpenPromises);
        }
    }

    /// <summary>Everything the read models answer, as text: what a rebuild must reproduce.</summary>
    public static async Task<string> DumpAsync(IReadModelStore models)
    {
        var text = new StringBuilder();
        foreach (var row in await AllItemsAsync(c => models.MattersAsync(new MatterQuery(50, c))))
        {
            text.AppendLine(Json(row)).AppendLine(Json((await models.MatterAsync(row.Matter))!.Status));
        }

        foreach (var day in Days)
        {
            text.AppendLine(Json(await AllItemsAsync(c => models.PromisesAsync(new PromiseQuery(50, day, c)))));
            text.AppendLine(Json(await AllItemsAsync(c => models.OrganizationsAsync(new OrganizationQuery(50, day, c)))));
            text.AppendLine(Json(await models.CountsAsync(day) with { Position = 0 }));
        }

        return text.ToString();
    }

    private static List<TrackedPromise> Promises(List<MatterReadModel> pure, DateOnly day) =>
        pure.SelectMany(m => m.Promises).Select(p => p.Render(day))
            .OrderBy(p => p.DueBy).ThenBy(p => p.Matter, StringComparer.Ordinal).ThenBy(p => p.Id, StringComparer.Ordinal)
            .ToList();

    private static async Task<List<MatterReadModel>> PureAsync(IEventStore store)
    {
        var byMatter = new Dictionary<string, List<Recorded>>(StringComparer.Ordinal);
        await foreach (var e in store.ReadAllAsync())
        {
            if (!byMatter.TryGetValue(e.Stream, out var list))
            {
                byMatter[e.Stream] = list = [];
            }

            list.Add(EventEnvelope.ToRecorded(e));
        }

        return byMatter.Values.Select(MatterReadModel.Of).OfType<MatterReadModel>().ToList();
    }

    private static Task<List<T>> AllItemsAsync<T>(Func<string?, Task<Page<T>>> read) => AllAsync(read, item => item);

    /// <summary>Reads every page in turn, keeping what <paramref name="select"/> takes of each item; between pages, runs <paramref name="between"/>.</summary>
    private static async Task<List<TKept>> AllAsync<TItem, TKept>(Func<string?, Task<Page<TItem>>> read, Func<TItem, TKept> select, Func<Task>? between = null)
    {
        var items = new List<TKept>();
        string? cursor = null;
        do
        {
            var page = await read(cursor);
            items.AddRange(page.Items.Select(select));
            cursor = page.Next;
            if (between is not null)
            {
                await between();
            }
        }
        while (cursor is not null);

        return items;
    }

    private static void AssertOnceEach(List<string> before, List<string> paged)
    {
        Assert.Equal(paged.Count, paged.Distinct().Count());
        Assert.Empty(before.Except(paged));
    }

    [System.Text.RegularExpressions.GeneratedRegex("\"publishedAt\":\"([0-9-]+)\"")]
    private static partial System.Text.RegularExpressions.Regex Published();

    private static string Json(object value) => JsonSerializer.Serialize(value, value.GetType(), LedgerJson.OutputLine);

    /// <summary>
    /// A seeded script of valid documents over a few matters of three organizations: openings, promises, deliveries
    /// (late ones too), corrections of due dates, withdrawals and backfills published before what came earlier.
    /// </summary>
    private sealed class RandomLedger(int seed)
    {
        private readonly Random random = new(seed);
        private readonly List<Matter> matters = [];
        private int statements;

        public string Next()
        {
            var matter = matters.Count < 3 || random.Next(4) == 0 ? Open() : matters[random.Next(matters.Count)];
            var id = $"s{seed}-{++statements}";
            var day = Day(random.Next(0, 330));
            var open = matter.Promises.Where(p => !p.Delivered && !matter.Withdrawn.Contains(p.Statement)).ToList();
            var live = matter.Statements.Where(s => !matter.Withdrawn.Contains(s)).ToList();
            var statement = random.Next(6) switch
            {
                0 when open.Count > 0 => Deliver(id, open[random.Next(open.Count)]),
                1 when live.Count > 1 => Withdraw(id, matter, live[random.Next(live.Count)]),
                2 when open.Count > 0 => Correct(id, open[random.Next(open.Count)]),
                3 => Promise(id, day, matter),
                4 => $$$"""{"id":"{{{id}}}","type":"FindingsDisclosed","publishedAt":"{{{day}}}","source":{"url":"https://example.org/{{{id}}}"},"quote":"Findings {{{id}}}.","stage":"interim","findings":[{"allegation":"a{{{random.Next(3)}}}","newAllegation":true,"assessment":"{{{(random.Next(2) == 0 ? "substantiated" : "no-evidence")}}}"}]}""",
                _ => $$"""{"id":"{{id}}","type":"PositionStated","publishedAt":"{{day}}","source":{"url":"https://example.org/{{id}}"},"quote":"Position {{id}}.","topic":"t","position":"p{{id}}"}""",
            };
            if (!statement.Contains("\"StatementWithdrawn\"", StringComparison.Ordinal) && !statement.Contains("\"EntryCorrected\"", StringComparison.Ordinal))
            {
                matter.Statements.Add(id);
                matter.Published[id] = DateOnly.ParseExact(Published().Match(statement).Groups[1].Value, "yyyy-MM-dd", CultureInfo.InvariantCulture);
            }

            return $$"""{"matter":"{{matter.Id}}","organization":"{{matter.Organization}}","title":"Matter {{matter.Id}}","statements":[{{statement}}]}""";
        }

        /// <summary>A publication day no later than the year the script records in: nothing is published after it is recorded.</summary>
        private static string Capped(DateOnly day) => (day > new DateOnly(2025, 12, 31) ? new DateOnly(2025, 12, 31) : day).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

        private static string Day(int offset) => new DateOnly(2025, 1, 1).AddDays(offset).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

        private Matter Open()
        {
            var matter = new Matter($"{Organizations[matters.Count % 3].ToLowerInvariant()}/m{seed}-{matters.Count}", Organizations[matters.Count % 3]);
            matters.Add(matter);
            return matter;
        }

        private string Promise(string id, string day, Matter matter)
        {
            var promise = new PromiseMade(id, $"p{matter.Promises.Count}", DateOnly.ParseExact(day, "yyyy-MM-dd", CultureInfo.InvariantCulture));
            matter.Promises.Add(promise);
            var due = promise.PublishedOn.AddDays(random.Next(5, 90)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            return $$$"""{"id":"{{{id}}}","type":"DisclosurePromised","publishedAt":"{{{day}}}","source":{"url":"https://example.org/{{{id}}}"},"quote":"We will publish {{{id}}}.","promise":{"id":"{{{promise.Id}}}","what":"the report {{{id}}}","dueBy":"{{{due}}}"}}""";
        }

        private string Deliver(string id, PromiseMade promise)
        {
            promise.Delivered = true;
            var day = Capped(promise.PublishedOn.AddDays(random.Next(1, 150)));
            return $$"""{"id":"{{id}}","type":"DisclosureDelivered","publishedAt":"{{day}}","source":{"url":"https://example.org/{{id}}"},"quote":"Published {{id}}.","promise":"{{promise.Id}}","summary":"published"}""";
        }

        private string Correct(string id, PromiseMade promise)
        {
            var due = promise.PublishedOn.AddDays(random.Next(5, 200)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            return $$$"""{"id":"{{{id}}}","type":"EntryCorrected","corrects":"{{{promise.Statement}}}","changes":{"promise.dueBy":"{{{due}}}"},"reason":"misread"}""";
        }

        private string Withdraw(string id, Matter matter, string withdrawn)
        {
            matter.Withdrawn.Add(withdrawn);
            var day = Capped(matter.Published[withdrawn].AddDays(random.Next(0, 60)));
            return $$"""{"id":"{{id}}","type":"StatementWithdrawn","publishedAt":"{{day}}","source":{"url":"https://example.org/{{id}}"},"quote":"We withdraw {{withdrawn}}.","withdraws":"{{withdrawn}}","reason":"retracted"}""";
        }

        private sealed record Matter(string Id, string Organization)
        {
            public List<string> Statements { get; } = [];

            public List<PromiseMade> Promises { get; } = [];

            public HashSet<string> Withdrawn { get; } = [];

            public Dictionary<string, DateOnly> Published { get; } = [];
        }

        private sealed record PromiseMade(string Statement, string Id, DateOnly PublishedOn)
        {
            public bool Delivered { get; set; }
        }
    }
}
