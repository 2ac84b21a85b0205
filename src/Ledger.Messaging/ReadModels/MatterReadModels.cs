using System.Text.Json;
using Ledger.Messaging.Hosting;
using Ledger.Projections;
using Ledger.Serialization;
using Ledger.Store.Marten.Projections;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Ledger.Messaging.ReadModels;

/// <summary>
/// Where the cross-matter read models live for a backend with no projection engine of its own (EventStoreDB): one
/// <see cref="MatterPromises"/> document per matter, the same the Marten daemon keeps, and the log position they hold
/// through. Documents and position change in one transaction, so a restarted projector resumes exactly.
/// </summary>
public interface IMatterReadModels : IAsyncDisposable
{
    /// <summary>The last global position folded in (0 before the first).</summary>
    Task<long> PositionAsync(CancellationToken cancellationToken = default);

    /// <summary>Replaces these matters' documents and moves the position, atomically.</summary>
    Task SaveAsync(IReadOnlyList<MatterPromises> matters, long position, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<MatterPromises>> LoadAsync(CancellationToken cancellationToken = default);
}

public static class MatterReadModels
{
    /// <summary>The read models in a state store: SQLite or PostgreSQL.</summary>
    public static async Task<IMatterReadModels> OpenAsync(LedgerBackend state, CancellationToken cancellationToken) => state switch
    {
        SqliteBackend sqlite => await SqliteMatterReadModels.OpenAsync(sqlite.FullPath, cancellationToken),
        PostgresBackend postgres => await PostgresMatterReadModels.OpenAsync(postgres.ConnectionString, PostgresBackend.Schema, cancellationToken),
        _ => throw new InvalidStoreLocationException($"read models are kept in sqlite: or postgres:, not in {state}"),
    };

    /// <summary>The promise tracker as of a time, rendered from the documents (overdue against that time).</summary>
    public static IReadOnlyList<TrackedPromise> PromiseTracker(IReadOnlyList<MatterPromises> matters, DateTimeOffset asOf) =>
        Ledger.Projections.PromiseTracker.Track(matters.Where(m => m.HasPromises).Select(m => m.StatusAt(asOf)).ToList(), asOf);

    public static IReadOnlyList<OrganizationSummary> OrganizationSummaries(IReadOnlyList<MatterPromises> matters, DateTimeOffset asOf) =>
        Ledger.Projections.OrganizationSummaries.Summarize(matters.Select(m => m.StatusAt(asOf)).ToList());

    internal static string Serialize(MatterPromises matter) => JsonSerializer.Serialize(matter, LedgerJson.OutputLine);

    internal static MatterPromises Deserialize(string json) =>
        JsonSerializer.Deserialize<MatterPromises>(json, LedgerJson.OutputLine) ?? throw new JsonException("an empty read model document");
}

internal sealed class SqliteMatterReadModels(string connectionString) : IMatterReadModels
{
    private const string Projection = "matter-promises";

    public static async Task<SqliteMatterReadModels> OpenAsync(string path, CancellationToken cancellationToken)
    {
        var models = new SqliteMatterReadModels(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = 30 }.ToString());
        await using var connection = await models.ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            CREATE TABLE IF NOT EXISTS read_model_matters (matter TEXT PRIMARY KEY, data TEXT NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS read_model_positions (projection TEXT PRIMARY KEY, position INTEGER NOT NULL) WITHOUT ROWID;
            """;
        await command.ExecuteNonQueryAsync(cancellationToken);
        return models;
    }

    public async Task<long> PositionAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT position FROM read_model_positions WHERE projection = $projection";
        command.Parameters.AddWithValue("$projection", Projection);
        return await command.ExecuteScalarAsync(cancellationToken) is long position ? position : 0;
    }

    public async Task SaveAsync(IReadOnlyList<MatterPromises> matters, long position, CancellationToken cancellationToken = default)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        foreach (var matter in matters)
        {
            await using var upsert = connection.CreateCommand();
            upsert.CommandText = "INSERT INTO read_model_matters (matter, data) VALUES ($matter, $data) ON CONFLICT (matter) DO UPDATE SET data = excluded.data";
            upsert.Parameters.AddWithValue("$matter", matter.Matter);
            upsert.Parameters.AddWithValue("$data", MatterReadModels.Serialize(matter));
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var move = connection.CreateCommand();
        move.CommandText = "INSERT INTO read_model_positions (projection, position) VALUES ($projection, $position) ON CONFLICT (projection) DO UPDATE SET position = excluded.position";
        move.Parameters.AddWithValue("$projection", Projection);
        move.Parameters.AddWithValue("$position", position);
        await move.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<MatterPromises>> LoadAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT data FROM read_model_matters ORDER BY matter";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var matters = new List<MatterPromises>();
        while (await reader.ReadAsync(cancellationToken))
        {
            matters.Add(MatterReadModels.Deserialize(reader.GetString(0)));
        }

        return matters;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<SqliteConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }
}

internal sealed class PostgresMatterReadModels(NpgsqlDataSource dataSource, string schema) : IMatterReadModels
{
    private const string Projection = "matter-promises";

    public static async Task<PostgresMatterReadModels> OpenAsync(string connectionString, string schema, CancellationToken cancellationToken)
    {
        var source = NpgsqlDataSource.Create(connectionString);
        var models = new PostgresMatterReadModels(source, schema);
        await using var command = source.CreateCommand($"""
            CREATE SCHEMA IF NOT EXISTS {schema};
            CREATE TABLE IF NOT EXISTS {schema}.read_model_matters (matter text PRIMARY KEY, data jsonb NOT NULL);
            CREATE TABLE IF NOT EXISTS {schema}.read_model_positions (projection text PRIMARY KEY, position bigint NOT NULL);
            """);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return models;
    }

    public async Task<long> PositionAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT position FROM {schema}.read_model_positions WHERE projection = $1");
        command.Parameters.AddWithValue(Projection);
        return await command.ExecuteScalarAsync(cancellationToken) is long position ? position : 0;
    }

    public async Task SaveAsync(IReadOnlyList<MatterPromises> matters, long position, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var matter in matters)
        {
            await using var upsert = new NpgsqlCommand(
                $"INSERT INTO {schema}.read_model_matters (matter, data) VALUES ($1, $2::jsonb) ON CONFLICT (matter) DO UPDATE SET data = excluded.data", connection, transaction);
            upsert.Parameters.AddWithValue(matter.Matter);
            upsert.Parameters.AddWithValue(MatterReadModels.Serialize(matter));
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var move = new NpgsqlCommand(
            $"INSERT INTO {schema}.read_model_positions (projection, position) VALUES ($1, $2) ON CONFLICT (projection) DO UPDATE SET position = excluded.position", connection, transaction);
        move.Parameters.AddWithValue(Projection);
        move.Parameters.AddWithValue(position);
        await move.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<MatterPromises>> LoadAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT data::text FROM {schema}.read_model_matters ORDER BY matter");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var matters = new List<MatterPromises>();
        while (await reader.ReadAsync(cancellationToken))
        {
            matters.Add(MatterReadModels.Deserialize(reader.GetString(0)));
        }

        return matters;
    }

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();
}
