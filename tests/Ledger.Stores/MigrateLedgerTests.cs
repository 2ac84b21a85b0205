using Ledger.Migrating;
using Ledger.Storage;
using Ledger.Store.Marten;
using Ledger.Store.Sqlite;
using Ledger.Stores.Postgres;
using Microsoft.Data.Sqlite;

namespace Ledger.Stores;

[Collection(PostgresCollection.Name)]
public sealed class MigrateLedgerTests(PostgresCluster cluster) : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 1, 10, 12, 0, 0, TimeSpan.Zero);
    private readonly string directory = Directory.CreateTempSubdirectory("ledger-migrate-").FullName;

    private Task<SqliteEventStore> SqliteAsync(string name) => SqliteEventStore.OpenAsync(Path.Combine(directory, name));

    private static async Task<List<EventFingerprint>> FingerprintsAsync(IEventStore store)
    {
        var list = new List<EventFingerprint>();
        await foreach (var e in store.ReadAllAsync())
        {
            list.Add(EventFingerprint.Of(e));
        }

        return list;
    }

    [Fact]
    public async Task Sqlite_to_postgres_and_back_keeps_every_event_exactly_and_a_second_run_resumes_with_nothing_to_copy()
    {
        await using var source = await SqliteAsync("source.db");
        await new Importing.ImportPipeline(source, new FixedClock(Now)).HandleAsync(Sample.Documents());
        await using var postgres = await MartenEventStore.OpenAsync(await cluster.CreateDatabaseAsync());
        await using var back = await SqliteAsync("back.db");

        var there = await new MigrateLedger(source, postgres).RunAsync();
        var again = await new MigrateLedger(source, postgres).RunAsync();
        var home = await new MigrateLedger(postgres, back).RunAsync();

        Assert.Equal((8L, 0L, 8L, (string?)null), (there.Copied, there.AlreadyPresent, there.Verified, there.Problem));
        Assert.Equal((0L, 8L, 8L), (again.Copied, again.AlreadyPresent, again.Verified));
        Assert.Null(home.Problem);
        Assert.Equal(await FingerprintsAsync(source), await FingerprintsAsync(postgres));
        Assert.Equal(await FingerprintsAsync(source), await FingerprintsAsync(back));
    }

    [Fact]
    public async Task A_target_holding_other_events_is_refused_and_left_unchanged()
    {
        await using var source = await SqliteAsync("a.db");
        await new Importing.ImportPipeline(source, new FixedClock(Now)).HandleAsync(Sample.Documents());
        await using var other = await SqliteAsync("b.db");
        await new Importing.ImportPipeline(other, new FixedClock(Now.AddDays(1))).HandleAsync(Sample.Documents());

        var result = await new MigrateLedger(source, other).RunAsync();

        Assert.Contains("differs from the source's", result.Problem, StringComparison.Ordinal);
        Assert.Equal(8, (await FingerprintsAsync(other)).Count);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
    }
}
