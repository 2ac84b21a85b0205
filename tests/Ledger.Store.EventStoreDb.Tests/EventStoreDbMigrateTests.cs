using Ledger.Importing;
using Ledger.Migrating;
using Ledger.Storage;
using Ledger.Store.EventStoreDb.ProtocolFake;
using Ledger.Store.Sqlite;
using Ledger.Stores;
using Microsoft.Data.Sqlite;

namespace Ledger.Store.EventStoreDb.Tests;

/// <summary>ledger migrate to and from EventStoreDB, with the client talking to the protocol fake.</summary>
public sealed class EventStoreDbMigrateTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 1, 10, 12, 0, 0, TimeSpan.Zero);
    private readonly string directory = Directory.CreateTempSubdirectory("ledger-esdb-migrate-").FullName;

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
    public async Task Sqlite_to_eventstoredb_and_back_keeps_every_event_exactly_and_a_second_run_resumes_with_nothing_to_copy()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        await using var source = await SqliteEventStore.OpenAsync(Path.Combine(directory, "source.db"));
        await new ImportPipeline(source, new FixedClock(Now)).HandleAsync(Sample.Documents());
        await using var esdb = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString);
        await using var back = await SqliteEventStore.OpenAsync(Path.Combine(directory, "back.db"));

        var there = await new MigrateLedger(source, esdb).RunAsync();
        var again = await new MigrateLedger(source, esdb).RunAsync();
        var home = await new MigrateLedger(esdb, back).RunAsync();

        Assert.Equal((8L, 0L, 8L, (string?)null), (there.Copied, there.AlreadyPresent, there.Verified, there.Problem));
        Assert.Equal((0L, 8L, 8L), (again.Copied, again.AlreadyPresent, again.Verified));
        Assert.Null(home.Problem);
        Assert.Equal(await FingerprintsAsync(source), await FingerprintsAsync(esdb));
        Assert.Equal(await FingerprintsAsync(source), await FingerprintsAsync(back));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
    }
}
