using Ledger.Storage;
using Ledger.Store.Sqlite;
using Microsoft.Data.Sqlite;

namespace Ledger.Stores;

public sealed class SqliteEventStoreTests : EventStoreConformance, IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("ledger-store-").FullName;

    protected override async Task<IEventStore> OpenFreshAsync() =>
        await SqliteEventStore.OpenAsync(Path.Combine(directory, $"{Guid.NewGuid():N}.db"));

    [Fact]
    public async Task Stored_events_cannot_be_updated_or_deleted_through_sql()
    {
        var path = Path.Combine(directory, "immutable.db");
        await using (var store = await SqliteEventStore.OpenAsync(path))
        {
            await store.AppendAsync("a/one", 0, [EventStoreConformance.Event("s1")]);
        }

        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var update = connection.CreateCommand();
        update.CommandText = "UPDATE events SET data = '{\"x\":1}'";
        var updateError = await Assert.ThrowsAsync<SqliteException>(() => update.ExecuteNonQueryAsync());
        update.CommandText = "DELETE FROM events";
        var deleteError = await Assert.ThrowsAsync<SqliteException>(() => update.ExecuteNonQueryAsync());

        Assert.Contains("immutable", updateError.Message, StringComparison.Ordinal);
        Assert.Contains("never deleted", deleteError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_file_is_in_wal_mode_and_reopens_with_its_events()
    {
        var path = Path.Combine(directory, "reopen.db");
        await using (var store = await SqliteEventStore.OpenAsync(path))
        {
            await store.AppendAsync("a/one", 0, [EventStoreConformance.Event("s1")]);
        }

        await using var reopened = await SqliteEventStore.OpenAsync(path);
        Assert.Equal(1, (await reopened.ListStreamsAsync()).Single().Version);
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var mode = connection.CreateCommand();
        mode.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string)(await mode.ExecuteScalarAsync())!);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
    }
}
