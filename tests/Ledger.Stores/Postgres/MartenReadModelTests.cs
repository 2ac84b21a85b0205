using System.Reflection;
using System.Text.Json;
using Ledger.Events;
using Ledger.Importing;
using Ledger.Projections;
using Ledger.Projections.ReadModels;
using Ledger.Serialization;
using Ledger.Storage;
using Ledger.Store.Marten;
using Ledger.Store.Marten.ReadModels;
using Ledger.Store.Sqlite;
using Marten;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Ledger.Stores.Postgres;

/// <summary>
/// The read models as Marten documents on a real PostgreSQL: kept in the append's transaction, they equal the pure
/// fold of the events, and their lists answer page for page as the SQLite store's do for the same events.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class MartenReadModelTests(PostgresCluster cluster) : IDisposable
{
    private const string Matter = "microsoft/imod-azure";
    private const string PromiseStatement = "msft-2025-09-25-more-information";
    private static readonly DateTimeOffset Now = new(2026, 1, 10, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly[] Days = [new(2025, 6, 1), new(2025, 10, 15), new(2025, 11, 20), new(2026, 1, 10), new(2027, 1, 1)];
    private readonly string directory = Directory.CreateTempSubdirectory("ledger-read-models-").FullName;

    /// <summary>Imports, backfills, a correction, withdrawals and deliveries, late and on time, over two organizations.</summary>
    private static readonly (DateTimeOffset RecordedAt, string[] Documents)[] Steps =
    [
        (Now, [File.ReadAllText(Ledger.Testing.Checkout.SampleFile), Document(
            "acme/one",
            Promise("p-on-time", "2025-08-01", "audit", "2025-10-01"),
            Promise("p-late", "2025-08-01", "report", "2025-11-01"),
            Delivery("d-on-time", "2025-09-30", "audit"))]),
        (Now.AddDays(1), [Document("acme/two", Promise("p-withdrawn", "2025-09-01", "survey", "2025-09-15")), Document("acme/three", Position("no-promises", "2025-10-01"))]),
        (Now.AddDays(2), [Document("acme/two", Withdrawal("w-survey", "2025-10-15", "p-withdrawn")), Document(Matter, Position("backfill-2025-07-01", "2025-07-01"))]),
        (Now.AddDays(3), [Document(Matter, Correction("fix-due", PromiseStatement, """{"promise.dueBy":"2025-12-31"}""")), Document("acme/one", Delivery("d-late", "2025-12-01", "report"))]),
        (Now.AddDays(4), [Document("acme/four", Promise("p-four", "2025-09-01", "filing", "2025-11-01"), Promise("p-four-b", "2025-09-01", "letter", "2025-11-01")),
            Document(Matter, Withdrawal("withdraw-termination", "2025-10-01", "msft-2025-09-25-termination"))]),
    ];

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

    private static string Json(object value) => JsonSerializer.Serialize(value, value.GetType(), LedgerJson.OutputLine);

    private static async Task ImportAsync(IEventStore store, DateTimeOffset recordedAt, params string[] documents)
    {
        var result = await new ImportPipeline(store, new FixedClock(recordedAt)).HandleAsync(documents.SelectMany(d => Sample.Parse(d)).ToList());
        Assert.True(result.Errors.Count == 0 && result.Conflict is null && result.Failure is null, string.Join("\n", result.Errors) + result.Conflict + result.Failure);
    }

    private static DocumentStore Documents(string connectionString) => DocumentStore.For(options => MartenEventStore.Configure(options, connectionString));

    /// <summary>The read models the pure projection folds from all the store's events, by matter.</summary>
    private static async Task<List<MatterReadModel>> PureAsync(IEventStore store)
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

        return byMatter.Values.Select(events => MatterReadModel.Of(events)).OfType<MatterReadModel>().ToList();
    }

    /// <summary>Every stored document, as text in a fixed order: what a rebuild must give again byte for byte.</summary>
    private static async Task<List<string>> StoredAsync(IDocumentStore documents)
    {
        await using var session = documents.QuerySession();
        var matters = (await session.Query<MatterDocument>().ToListAsync()).OrderBy(m => m.Id, StringComparer.Ordinal)
            .Select(m => string.Join('|', m.Id, m.Organization, m.Phase, m.Opened, m.Position, m.EarliestOpenDue, ReadModelJson.Serialize(m.Row), ReadModelJson.Serialize(m.Status)));
        var promises = (await session.Query<PromiseDocument>().ToListAsync()).OrderBy(p => p.Id, StringComparer.Ordinal)
            .Select(p => string.Join('|', p.Id, p.Matter, p.PromiseId, p.Organization, p.State, p.DueBy, ReadModelJson.Serialize(p.Row)));
        var organizations = (await session.Query<OrganizationDocument>().ToListAsync()).OrderBy(o => o.Id, StringComparer.Ordinal)
            .Select(o => string.Join('|', o.Id, ReadModelJson.Serialize(o.Row)));
        return [.. matters, .. promises, .. organizations];
    }

    /// <summary>The documents the pure fold gives, in the layout of <see cref="StoredAsync"/>; organization rows are the sums of their matters' rows.</summary>
    private static List<string> Expected(List<MatterReadModel> models)
    {
        var matters = models.OrderBy(m => m.Row.Matter, StringComparer.Ordinal).Select(m => string.Join('|', m.Row.Matter, m.Row.Organization, m.Row.Phase, m.Row.Opened, m.Row.Position,
            m.Row.OpenDueDates.Count > 0 ? m.Row.OpenDueDates[0] : (DateOnly?)null, ReadModelJson.Serialize(m.Row), ReadModelJson.Serialize(m.Status)));
        var promises = models.SelectMany(m => m.Promises).OrderBy(p => $"{p.Matter}\n{p.Id}", StringComparer.Ordinal)
            .Select(p => string.Join('|', $"{p.Matter}\n{p.Id}", p.Matter, p.Id, p.Organization, p.State, p.DueBy, ReadModelJson.Serialize(p)));
        var organizations = models.GroupBy(m => m.Row.Organization, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => string.Join('|', g.Key, ReadModelJson.Serialize(new OrganizationRow(g.Key, g.Count(), g.Select(m => m.Row.Promises).Aggregate(PromiseCounts.None, (a, b) => a.Plus(b))))));
        return [.. matters, .. promises, .. organizations];
    }

    private static async Task AssertStoredArePureAsync(IEventStore store, IDocumentStore documents)
    {
        var expected = Expected(await PureAsync(store));
        Assert.NotEmpty(expected);
        Assert.Equal(expected, await StoredAsync(documents));
    }

    /// <summary>Every page of a list, following the cursors from the first.</summary>
    private static async Task<List<Page<T>>> PagesAsync<T>(Func<string?, Task<Page<T>>> read)
    {
        var pages = new List<Page<T>>();
        string? after = null;
        do
        {
            var page = await read(after);
            pages.Add(page);
            after = page.Next;
        }
        while (after is not null);
        return pages;
    }

    /// <summary>Both stores' pages of every list, filter and day, as text; each list's pages hold its whole list exactly once.</summary>
    private static async Task<List<string>> ListsAsync(IReadModelStore models)
    {
        var lists = new List<string>();
        async Task AddAsync<T>(Func<int, string?, Task<Page<T>>> read)
        {
            var pages = await PagesAsync(after => read(2, after));
            var whole = await read(PageCursor.MaxLimit, null);
            Assert.Null(whole.Next);
            Assert.Equal(whole.Items.Select(i => Json(i!)), pages.SelectMany(p => p.Items).Select(i => Json(i!)));
            lists.Add(Json(pages));
        }

        foreach (var day in Days)
        {
            foreach (var status in new string?[] { null, PromiseStates.Open, PromiseStates.Overdue, PromiseStates.Delivered, PromiseStates.Withdrawn })
            {
                await AddAsync((limit, after) => models.PromisesAsync(new PromiseQuery(limit, day, after, Status: status)));
            }

            await AddAsync((limit, after) => models.PromisesAsync(new PromiseQuery(limit, day, after, Organization: "Acme", DueBefore: new DateOnly(2025, 11, 2))));
            await AddAsync((limit, after) => models.PromisesAsync(new PromiseQuery(limit, day, after, Matter: "acme/four")));
            await AddAsync((limit, after) => models.MattersAsync(new MatterQuery(limit, after, OverdueOn: day)));
            await AddAsync((limit, after) => models.OrganizationsAsync(new OrganizationQuery(limit, day, after)));
            lists.Add(Json(await models.OrganizationsAsync(new OrganizationQuery(PageCursor.DefaultLimit, day, Name: "Acme"))));
            lists.Add(Json(await models.CountsAsync(day)));
        }

        await AddAsync((limit, after) => models.MattersAsync(new MatterQuery(limit, after)));
        await AddAsync((limit, after) => models.MattersAsync(new MatterQuery(limit, after, Organization: "Acme")));
        await AddAsync((limit, after) => models.MattersAsync(new MatterQuery(limit, after, Phase: Phases.ActionTaken)));
        return lists;
    }

    [Fact]
    public async Task After_imports_corrections_and_withdrawals_the_documents_are_the_pure_fold_and_the_lists_answer_as_sqlite_does()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        await using var store = await MartenEventStore.OpenAsync(connectionString);
        await using var sqlite = await SqliteEventStore.OpenAsync(Path.Combine(directory, "same.db"));
        using var documents = Documents(connectionString);
        foreach (var (recordedAt, imports) in Steps)
        {
            await ImportAsync(store, recordedAt, imports);
            await ImportAsync(sqlite, recordedAt, imports);
            await AssertStoredArePureAsync(store, documents);
        }

        var stored = await store.ReadModels.MatterAsync(Matter);
        var pure = (await PureAsync(store)).Single(m => m.Row.Matter == Matter);
        Assert.Equal((ReadModelJson.Serialize(pure.Status), ReadModelJson.Serialize(pure.Row)), (ReadModelJson.Serialize(stored!.Status), ReadModelJson.Serialize(stored.Row)));
        Assert.Null(await store.ReadModels.MatterAsync("acme/unknown"));
        Assert.Equal(await sqlite.ReadModels.PositionAsync(), await store.ReadModels.PositionAsync());
        Assert.Equal(await ListsAsync(sqlite.ReadModels), await ListsAsync(store.ReadModels));
        Assert.Equal(
            ["p-withdrawn:withdrawn", "p-on-time:delivered", "p-four:overdue", "p-four-b:overdue", "p-late:delivered", PromiseStatement + ":open"],
            (await store.ReadModels.PromisesAsync(new PromiseQuery(PageCursor.DefaultLimit, new DateOnly(2025, 11, 20)))).Items.Select(p => $"{p.StatementId}:{p.Status}"));
    }

    [Fact]
    public async Task Pages_read_while_matters_and_promises_are_appended_hold_every_earlier_item_once()
    {
        await using var store = await MartenEventStore.OpenAsync(await cluster.CreateDatabaseAsync());
        var today = new DateOnly(2025, 11, 20);
        for (var i = 0; i < 5; i++)
        {
            await ImportAsync(store, Now, Document($"acme/m{i}", Promise($"p{i}", "2025-08-01", "report", $"2025-10-0{i + 1}")));
        }

        var matters = (await store.ReadModels.MattersAsync(new MatterQuery(PageCursor.MaxLimit))).Items.Select(m => m.Matter).ToList();
        var promises = (await store.ReadModels.PromisesAsync(new PromiseQuery(PageCursor.MaxLimit, today))).Items.Select(p => p.StatementId).ToList();
        var pagedMatters = new List<string>();
        var pagedPromises = new List<string>();
        Page<MatterRow>? matterPage = null;
        Page<TrackedPromise>? promisePage = null;
        for (var appended = 0; matterPage?.Next is not null || promisePage?.Next is not null || appended == 0; appended++)
        {
            if (appended == 0 || matterPage!.Next is not null)
            {
                matterPage = await store.ReadModels.MattersAsync(new MatterQuery(2, matterPage?.Next));
                pagedMatters.AddRange(matterPage.Items.Select(m => m.Matter));
            }

            if (appended == 0 || promisePage!.Next is not null)
            {
                promisePage = await store.ReadModels.PromisesAsync(new PromiseQuery(2, today, promisePage?.Next));
                pagedPromises.AddRange(promisePage.Items.Select(p => p.StatementId));
            }

            // A new matter (listed first) and a promise due before and after every one listed so far.
            await ImportAsync(store, Now, Document($"acme/new{appended}", Promise($"early{appended}", "2025-08-01", "a", "2025-01-01"), Promise($"late{appended}", "2025-08-01", "b", "2026-12-31")));
        }

        Assert.Equal(matters, pagedMatters.Where(matters.Contains));
        Assert.Equal(pagedMatters.Count, pagedMatters.Distinct().Count());
        Assert.Equal(promises, pagedPromises.Where(promises.Contains));
        Assert.Equal(pagedPromises.Count, pagedPromises.Distinct().Count());
        Assert.Contains(pagedPromises, p => p.StartsWith("late", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_position_kept_between_reads_is_read_anew_after_any_writer_commits_and_at_once_after_an_own_append()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        await using var reader = await MartenEventStore.OpenAsync(connectionString);
        await using var other = await MartenEventStore.OpenAsync(connectionString);
        var models = (MartenReadModels)reader.ReadModels;
        await ImportAsync(reader, Steps[0].RecordedAt, Steps[0].Documents);
        Assert.Equal(await ((IEventStore)reader).LastPositionAsync(), await models.PositionAsync());
        await UntilAsync(() => Task.FromResult(models.Watch.Listening), "the position watch never listened");
        await models.PositionAsync();

        // This process's own append, seen without waiting for its notification; then another process's.
        await ImportAsync(reader, Steps[1].RecordedAt, Steps[1].Documents);
        Assert.Equal(await ((IEventStore)reader).LastPositionAsync(), await models.PositionAsync());
        await ImportAsync(other, Steps[2].RecordedAt, Steps[2].Documents);
        var appended = await ((IEventStore)other).LastPositionAsync();
        await UntilAsync(async () => await models.PositionAsync() == appended, "another process's append was never seen");

        // Every notification of those appends received (they come in commit order, this one last), so none forgets the position below.
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var marker = $"test-{Guid.NewGuid():N}";
        await using (var mark = dataSource.CreateCommand($"SELECT pg_notify('{ReadModelLocks.Channel}', '{marker}')"))
        {
            await mark.ExecuteNonQueryAsync();
        }

        await UntilAsync(() => Task.FromResult(models.Watch.LastPayload == marker), "the marker notification never arrived");
        Assert.Equal(appended, await models.PositionAsync());

        // A change no writer announced is not seen: the position is kept, not read per request.
        await using (var unannounced = dataSource.CreateCommand("UPDATE ledger.mt_doc_ledger_read_matter SET position = position + 1000 WHERE id = 'acme/one'"))
        {
            Assert.Equal(1, await unannounced.ExecuteNonQueryAsync());
        }

        Assert.Equal(appended, await models.PositionAsync());

        // What every writer's transaction sends at commit makes the next read read anew.
        await using (var notify = dataSource.CreateCommand($"SELECT pg_notify('{ReadModelLocks.Channel}', '')"))
        {
            await notify.ExecuteNonQueryAsync();
        }

        await UntilAsync(async () => await models.PositionAsync() > appended, "a notification did not make the position read anew");
    }

    [Fact]
    public async Task The_read_models_tables_carry_only_the_indexes_their_queries_read()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        await using var store = await MartenEventStore.OpenAsync(connectionString);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand(
            "SELECT tablename || ': ' || regexp_replace(indexdef, '^.* USING btree ', '') FROM pg_indexes WHERE schemaname = 'ledger' AND tablename IN ('mt_doc_ledger_read_matter', 'mt_doc_ledger_read_promise') ORDER BY 1");
        var indexes = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                indexes.Add(reader.GetString(0));
            }
        }

        // Each list's keyset page, the position, the overdue filter, a matter's promises, and the ids; no column alone
        // that a composite index already leads with.
        Assert.Equal(
            [
                "mt_doc_ledger_read_matter: (\"position\")",
                "mt_doc_ledger_read_matter: (earliest_open_due)",
                "mt_doc_ledger_read_matter: (id)",
                "mt_doc_ledger_read_matter: (opened)",
                "mt_doc_ledger_read_matter: (organization, opened)",
                "mt_doc_ledger_read_matter: (phase, opened)",
                "mt_doc_ledger_read_promise: (due_by, matter, promise_id)",
                "mt_doc_ledger_read_promise: (id)",
                "mt_doc_ledger_read_promise: (matter)",
                "mt_doc_ledger_read_promise: (organization, state, due_by, matter, promise_id)",
                "mt_doc_ledger_read_promise: (state, due_by, matter, promise_id)",
            ],
            indexes);
    }

    /// <summary>Polls until the condition holds; the bound is for a broken build, never a timing the test relies on.</summary>
    private static async Task UntilAsync(Func<Task<bool>> condition, string failure)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_rebuild_gives_the_same_documents_and_reports_its_progress()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        await using var store = await MartenEventStore.OpenAsync(connectionString);
        using var documents = Documents(connectionString);
        foreach (var (recordedAt, imports) in Steps)
        {
            await ImportAsync(store, recordedAt, imports);
        }

        var before = await StoredAsync(documents);
        var reports = new List<(int Done, int Total)>();
        await store.RebuildReadModelsAsync(new SynchronousProgress(reports.Add));

        Assert.Equal(before, await StoredAsync(documents));
        Assert.Equal([(0, 5), (5, 5)], reports);
        await using var session = documents.QuerySession();
        Assert.True((await session.LoadAsync<ReadModelStamp>(ReadModelStamp.Ledger))!.Current);
    }

    [Fact]
    public async Task Appends_while_rebuilds_run_leave_every_read_model_equal_to_the_pure_fold()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        await using var store = await MartenEventStore.OpenAsync(connectionString);
        using var documents = Documents(connectionString);
        foreach (var (recordedAt, imports) in Steps)
        {
            await ImportAsync(store, recordedAt, imports);
        }

        // A rebuild reads a batch's events before it locks and writes: appends land in between, to matters it read and to new ones.
        using var stop = new CancellationTokenSource();
        var appends = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                await ImportAsync(store, Now.AddDays(5), Document("acme/one", Position($"during-{i}", "2025-10-02")),
                    Document($"acme/during{i}", Promise($"p-during-{i}", "2025-08-01", "x", "2025-12-01")));
            }
        });
        for (var round = 0; round < 10; round++)
        {
            await store.RebuildReadModelsAsync(null);
        }

        await stop.CancelAsync();
        await appends;
        await AssertStoredArePureAsync(store, documents);
    }

    [Fact]
    public async Task Opening_resumes_a_rebuild_that_stopped_half_way_and_rebuilds_models_of_another_projection_version()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        using var documents = Documents(connectionString);
        List<MatterReadModel> pure;
        await using (var store = await MartenEventStore.OpenAsync(connectionString))
        {
            foreach (var (recordedAt, imports) in Steps)
            {
                await ImportAsync(store, recordedAt, imports);
            }

            pure = await PureAsync(store);
        }

        // Stopped after "acme/one" (matters go in the order of their ids): the read models hold the matters up to it, the
        // organizations' rows their sums.
        await using (var session = documents.LightweightSession())
        {
            session.DeleteWhere<MatterDocument>(m => m.Id.CompareTo("acme/one") > 0);
            session.DeleteWhere<PromiseDocument>(p => p.Matter.CompareTo("acme/one") > 0);
            var done = pure.Where(m => string.CompareOrdinal(m.Row.Matter, "acme/one") <= 0).Select(m => m.Row).ToList();
            session.Store(new OrganizationDocument { Id = "Acme", Row = done.Aggregate((OrganizationRow?)null, (o, row) => OrganizationRow.Evolve(o, null, row))! });
            session.Delete<OrganizationDocument>("Microsoft");
            session.Store(new ReadModelStamp { Version = ReadModelJson.ProjectionVersion, RebuildAfter = "acme/one" });
            await session.SaveChangesAsync();
        }

        var expected = Expected(pure);
        Assert.NotEqual(expected, await StoredAsync(documents));
        await using (await MartenEventStore.OpenAsync(connectionString))
        {
            Assert.Equal(expected, await StoredAsync(documents));
        }

        // Another projection version: whatever is stored is thrown away and folded again.
        await using (var session = documents.LightweightSession())
        {
            session.Store(new OrganizationDocument { Id = "Acme", Row = new OrganizationRow("Acme", 99, PromiseCounts.None) });
            session.Store(new ReadModelStamp { Version = ReadModelJson.ProjectionVersion - 1 });
            await session.SaveChangesAsync();
        }

        await using (await MartenEventStore.OpenAsync(connectionString))
        {
            Assert.Equal(expected, await StoredAsync(documents));
        }
    }

    [Fact]
    public async Task The_read_models_are_kept_without_runtime_code_compilation()
    {
        await using var store = await MartenEventStore.OpenAsync(await cluster.CreateDatabaseAsync());
        await ImportAsync(store, Now, File.ReadAllText(Ledger.Testing.Checkout.SampleFile));

        Assert.Equal(Phases.ActionTaken, (await store.ReadModels.MatterAsync(Matter))!.Row.Phase);
        Assert.DoesNotContain(AppDomain.CurrentDomain.GetAssemblies(), a => a.GetName().Name == "JasperFx.RuntimeCompiler");
        Assert.Throws<FileNotFoundException>(() => Assembly.Load("JasperFx.RuntimeCompiler"));
    }

    [Fact]
    public async Task Two_appends_to_matters_of_one_organization_at_once_leave_its_row_the_sum_of_both()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        await using var store = await MartenEventStore.OpenAsync(connectionString);
        using var documents = Documents(connectionString);
        await ImportAsync(store, Now,
            Document("acme/zero", Promise("p-zero", "2025-08-01", "audit", "2025-10-01")),
            Document("acme/one", Promise("p-one", "2025-08-01", "report", "2025-11-01")),
            Document("acme/two", Promise("p-two", "2025-08-01", "survey", "2025-12-01")));
        var versions = (await store.ListStreamsAsync()).ToDictionary(s => s.Stream, s => s.Version);
        var source = new Source("https://example.org/x", null, null, null, null, null);
        Task<AppendResult> DeliverAsync(string matter, string promise) => store.AppendAsync(matter, versions[matter], [EventEnvelope.ToAppend(
            new DisclosureDelivered($"d-{promise}", matter, new DateTimeOffset(2025, 9, 1, 0, 0, 0, TimeSpan.Zero), Now, "spec", null, source, "Done.", Hashing.Sha256Hex("Done."), promise, null), "Acme")]);

        // Holding the organization's row keeps both appends from writing it until both are under way: without a lock
        // taken before the row is read, both would read the row as it is now and the later write would drop the earlier.
        await using var holder = new NpgsqlConnection(connectionString);
        await holder.OpenAsync();
        await using var hold = await holder.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand("SELECT 1 FROM ledger.mt_doc_ledger_read_organization WHERE id = 'Acme' FOR UPDATE", holder, hold))
        {
            Assert.Equal(1, await command.ExecuteScalarAsync());
        }

        var one = DeliverAsync("acme/one", "report");
        var two = DeliverAsync("acme/two", "survey");
        await WaitForBlockedAsync(holder, 2, one, two);
        await hold.RollbackAsync();
        await Task.WhenAll(one, two);

        await using var session = documents.QuerySession();
        Assert.Equal(new OrganizationRow("Acme", 3, new PromiseCounts(3, 2, 0, 1, 0)), (await session.LoadAsync<OrganizationDocument>("Acme"))!.Row);
        await AssertStoredArePureAsync(store, documents);
    }

    /// <summary>Waits until this many other sessions of the database wait for a lock; the timeout only ends a hang.</summary>
    private static async Task WaitForBlockedAsync(NpgsqlConnection connection, int sessions, params Task[] appends)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'", connection);
        while ((long)(await command.ExecuteScalarAsync(timeout.Token))! < sessions)
        {
            if (appends.FirstOrDefault(a => a.IsCompleted) is { } done)
            {
                await done;
                Assert.Fail("an append ended while the organization's row was held");
            }

            await Task.Delay(20, timeout.Token);
        }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
    }

    private sealed class SynchronousProgress(Action<(int Done, int Total)> report) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => report(value);
    }
}
