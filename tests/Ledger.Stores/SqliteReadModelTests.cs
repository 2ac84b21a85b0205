using Ledger.Storage;
using Ledger.Store.Sqlite;

namespace Ledger.Stores;

/// <summary>The embedded store's read models, kept in the append's transaction.</summary>
public sealed class SqliteReadModelTests : ReadModelConformance, IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("ledger-read-models-").FullName;

    protected override async Task<IEventStore> OpenFreshAsync() => await SqliteEventStore.OpenAsync(Path.Combine(directory, $"{Guid.NewGuid():N}.db"));

    protected override Task RebuildAsync(IEventStore store) => ((SqliteEventStore)store).RebuildReadModelsAsync(null);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
    }
}
