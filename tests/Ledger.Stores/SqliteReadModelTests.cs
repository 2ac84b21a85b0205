using Ledger.Storage;
using Ledger.Store.Sqlite;

namespace Ledger.Stores;

/// <summary>The embedded store's read models, kept in the append's transaction.</summary>
public sealed class SqliteReadModelTests : ReadModelConformance, IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("ledger-read-models-").FullName;

    protected override async Task<IEventStore> OpenFreshAsync() => await SqliteEventStore.OpenAsync(Path.Combine(directory, $"{Guid.NewGuid():N}.db"));

    protected override Task RebuildAsync(IEventStore store) => ((SqliteEventStore)store).RebuildReadModelsAsync(null);

    [Fact]
    public async Task The_position_kept_beside_the_events_moves_at_once_when_this_or_another_connection_commits()
    {
        var path = Path.Combine(directory, "shared.db");
        await using var reader = await SqliteEventStore.OpenAsync(path);
        await using var other = await SqliteEventStore.OpenAsync(path);
        var recordedAt = new DateTimeOffset(2026, 1, 10, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(0, await reader.ReadModels.PositionAsync());

        // Another store on the file stands for another process: its commit is seen by the next read, without waiting.
        await ImportAsync(other, recordedAt, Document("acme/one", "s-1"));
        Assert.Equal(await ((IEventStore)other).LastPositionAsync(), await reader.ReadModels.PositionAsync());
        await ImportAsync(reader, recordedAt, Document("acme/two", "s-2"));
        Assert.Equal(await ((IEventStore)reader).LastPositionAsync(), await reader.ReadModels.PositionAsync());
        await ImportAsync(other, recordedAt, Document("acme/one", "s-3"));
        var last = await ((IEventStore)other).LastPositionAsync();
        Assert.Equal([last, last], [await reader.ReadModels.PositionAsync(), await reader.ReadModels.PositionAsync()]);
    }

    private static string Document(string matter, string statement) =>
        $$"""
        {"matter":"{{matter}}","organization":"Acme","title":"{{matter}}","statements":[
          {"id":"{{statement}}","type":"PositionStated","publishedAt":"2025-10-01","source":{"title":"t"},"quote":"Quote of {{statement}}.","topic":"t","position":"p"}]}
        """;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
    }
}
