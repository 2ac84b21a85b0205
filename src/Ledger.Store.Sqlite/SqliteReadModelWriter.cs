using Ledger.Projections.ReadModels;
using Microsoft.Data.Sqlite;

namespace Ledger.Store.Sqlite;

/// <summary>
/// The read models in a SQLite state file beside an EventStoreDB ledger: the same tables as the embedded store's,
/// written by the worker's projector a batch at a time. Models of another projection version are emptied when the
/// file is opened, and the projector folds the log again from its start.
/// </summary>
public sealed class SqliteReadModelWriter : IReadModelWriter
{
    private readonly string path;

    private SqliteReadModelWriter(string path)
    {
        this.path = path;
        Reader = new SqliteReadModels(path, besideEvents: false);
    }

    public IReadModelStore Reader { get; }

    public static async Task<SqliteReadModelWriter> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        var writer = new SqliteReadModelWriter(Path.GetFullPath(path));
        await using var connection = await writer.ConnectAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = ReadModelTables.Schema;
        await command.ExecuteNonQueryAsync(cancellationToken);
        command.CommandText = ReadModelTables.IsCurrent;
        if (await command.ExecuteScalarAsync(cancellationToken) is not 1L)
        {
            command.CommandText = ReadModelTables.Reset(rebuilding: false);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return writer;
    }

    public async Task ResetAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"BEGIN IMMEDIATE; {ReadModelTables.Reset(rebuilding: false)} COMMIT;";
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task<long> PositionAsync(CancellationToken cancellationToken = default) => Reader.PositionAsync(cancellationToken);

    public async Task SaveAsync(IReadOnlyList<MatterReadModel> matters, long position, CancellationToken cancellationToken = default)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        using var tables = new ReadModelTables(connection) { Transaction = transaction };
        foreach (var matter in matters)
        {
            tables.Store(matter);
        }

        tables.MoveTo(position);
        await transaction.CommitAsync(cancellationToken);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private Task<SqliteConnection> ConnectAsync(CancellationToken cancellationToken) =>
        SqliteEventStore.ConnectAsync(SqliteEventStore.ConnectionString(path), true, cancellationToken);
}
