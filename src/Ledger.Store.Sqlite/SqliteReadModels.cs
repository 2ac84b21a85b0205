using Ledger.Projections;
using Ledger.Projections.ReadModels;
using Microsoft.Data.Sqlite;

namespace Ledger.Store.Sqlite;

/// <summary>
/// Reads the read models of <see cref="ReadModelTables"/> from a SQLite file: the ledger's own (kept in the append's
/// transaction) or an EventStoreDB ledger's state (kept by the worker's projector). Every list is an index read.
/// </summary>
public sealed class SqliteReadModels : IReadModelStore, IAsyncDisposable
{
    private readonly string connectionString;
    private readonly string position;
    private readonly bool keepsPosition;
    private readonly SemaphoreSlim watchGate = new(1, 1);
    private SqliteConnection? watcher;
    private SqliteCommand? dataVersion;
    private long? seenVersion;
    private long keptPosition;

    /// <param name="path">The file.</param>
    /// <param name="besideEvents">
    /// Whether the file holds the events too, kept in the same transactions: then the read models reflect the last
    /// event's position (but while a rebuild runs), and no append has to write it down.
    /// </param>
    internal SqliteReadModels(string path, bool besideEvents)
    {
        connectionString = SqliteEventStore.ConnectionString(path);
        position = besideEvents
            ? $"SELECT CASE WHEN rebuild_after IS NULL THEN (SELECT coalesce(max(position), 0) FROM events) ELSE position END FROM read_model_state WHERE name = '{ReadModelTables.StateName}'"
            : $"SELECT position FROM read_model_state WHERE name = '{ReadModelTables.StateName}'";
        keepsPosition = besideEvents;
    }

    /// <summary>
    /// The position the read models reflect. Beside the events it is kept, and read again only when PRAGMA data_version
    /// on a connection of its own says that another connection (this process's writer, or another process) committed
    /// since: a server answering the same pages again reads the file only when it changed, and never serves stale.
    /// </summary>
    public async Task<long> PositionAsync(CancellationToken cancellationToken = default)
    {
        if (!keepsPosition)
        {
            await using var connection = await ConnectAsync(cancellationToken);
            return await PositionAsync(connection, cancellationToken);
        }

        await watchGate.WaitAsync(cancellationToken);
        try
        {
            if (watcher is null)
            {
                watcher = await ConnectAsync(cancellationToken);
                dataVersion = watcher.CreateCommand();
                dataVersion.CommandText = "PRAGMA data_version";
            }

            var now = (long)(await dataVersion!.ExecuteScalarAsync(cancellationToken))!;
            if (now != seenVersion)
            {
                // Read after the version: a commit in between is read now, and makes the next call read again.
                keptPosition = await PositionAsync(watcher, cancellationToken);
                seenVersion = now;
            }

            return keptPosition;
        }
        finally
        {
            watchGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await watchGate.WaitAsync();
        try
        {
            if (watcher is not null)
            {
                await dataVersion!.DisposeAsync();
                await watcher.DisposeAsync();
                watcher = null;
            }
        }
        finally
        {
            watchGate.Release();
        }
    }

    public async Task<StoredMatter?> MatterAsync(string matter, CancellationToken cancellationToken = default)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT r.row, s.status FROM read_matter_rows r JOIN read_matter_statuses s USING (opened) WHERE r.matter = $matter";
        command.Parameters.AddWithValue("$matter", matter);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new StoredMatter(ReadModelJson.Status(reader.GetString(1)), ReadModelJson.MatterRow(reader.GetString(0)))
            : null;
    }

    public async Task<Page<MatterRow>> MattersAsync(MatterQuery query, CancellationToken cancellationToken = default)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var where = new List<string>();
        if (query.After is { } after)
        {
            where.Add("opened < $after");
            command.Parameters.AddWithValue("$after", PageCursor.ParseMatter(after));
        }

        Filter(command, where, "organization", query.Organization);
        Filter(command, where, "phase", query.Phase);
        if (query.OverdueOn is { } day)
        {
            where.Add("earliest_open_due < $today");
            command.Parameters.AddWithValue("$today", ReadModelTables.Day(day));
        }

        command.CommandText = $"SELECT row FROM read_matter_rows{Where(where)} ORDER BY opened DESC LIMIT $limit";
        command.Parameters.AddWithValue("$limit", query.Limit + 1);
        var position = await PositionAsync(connection, cancellationToken);
        var rows = await ReadAsync(command, r => ReadModelJson.MatterRow(r.GetString(0)), cancellationToken);
        return PageCursor.PageOf(rows, query.Limit, position, PageCursor.Of);
    }

    public async Task<Page<TrackedPromise>> PromisesAsync(PromiseQuery query, CancellationToken cancellationToken = default)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var where = new List<string>();
        command.Parameters.AddWithValue("$today", ReadModelTables.Day(query.Today));
        if (query.After is { } after)
        {
            var (due, matter, id) = PageCursor.ParsePromise(after);
            where.Add("(due_by, matter, id) > ($afterDue, $afterMatter, $afterId)");
            command.Parameters.AddWithValue("$afterDue", ReadModelTables.Day(due));
            command.Parameters.AddWithValue("$afterMatter", matter);
            command.Parameters.AddWithValue("$afterId", id);
        }

        Filter(command, where, "organization", query.Organization);
        Filter(command, where, "matter", query.Matter);
        switch (query.Status)
        {
            case null:
                break;
            case PromiseStates.Overdue:
                where.Add("state = 'open' AND due_by < $today");
                break;
            case PromiseStates.Open:
                where.Add("state = 'open' AND due_by >= $today");
                break;
            default:
                Filter(command, where, "state", query.Status);
                break;
        }

        if (query.DueBefore is { } before)
        {
            where.Add("due_by < $before");
            command.Parameters.AddWithValue("$before", ReadModelTables.Day(before));
        }

        command.CommandText = $"SELECT row FROM read_promises{Where(where)} ORDER BY due_by, matter, id LIMIT $limit";
        command.Parameters.AddWithValue("$limit", query.Limit + 1);
        var position = await PositionAsync(connection, cancellationToken);
        var rows = await ReadAsync(command, r => ReadModelJson.PromiseRow(r.GetString(0)).Render(query.Today), cancellationToken);
        return PageCursor.PageOf(rows, query.Limit, position, PageCursor.Of);
    }

    public async Task<Page<OrganizationSummary>> OrganizationsAsync(OrganizationQuery query, CancellationToken cancellationToken = default)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var where = new List<string>();
        if (query.After is { } after)
        {
            where.Add("organization > $after");
            command.Parameters.AddWithValue("$after", PageCursor.ParseOrganization(after));
        }

        if (query.Name is { } name)
        {
            where.Add("organization = $name");
            command.Parameters.AddWithValue("$name", name);
        }

        // The overdue count depends on the day asked about: counted over the organization's open promises by due date.
        command.CommandText = $"""
            SELECT o.row, (SELECT count(*) FROM read_promises p WHERE p.organization = o.organization AND p.state = 'open' AND p.due_by < $today)
            FROM read_organizations o{Where(where)} ORDER BY o.organization LIMIT $limit
            """;
        command.Parameters.AddWithValue("$today", ReadModelTables.Day(query.Today));
        command.Parameters.AddWithValue("$limit", query.Limit + 1);
        var position = await PositionAsync(connection, cancellationToken);
        var rows = await ReadAsync(command, r => ReadModelJson.OrganizationRow(r.GetString(0)).Render(r.GetInt32(1)), cancellationToken);
        return PageCursor.PageOf(rows, query.Limit, position, PageCursor.Of);
    }

    public async Task<LedgerCounts> CountsAsync(DateOnly today, CancellationToken cancellationToken = default)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT (SELECT count(*) FROM read_matter_rows),
                   (SELECT count(*) FROM read_promises WHERE state = 'open' AND due_by >= $today),
                   (SELECT count(*) FROM read_promises WHERE state = 'open' AND due_by < $today)
            """;
        command.Parameters.AddWithValue("$today", ReadModelTables.Day(today));
        var at = await PositionAsync(connection, cancellationToken);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new LedgerCounts(reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), at);
    }

    private async Task<long> PositionAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = position;
        return await command.ExecuteScalarAsync(cancellationToken) is long at ? at : 0;
    }

    private static void Filter(SqliteCommand command, List<string> where, string column, string? value)
    {
        if (value is not null)
        {
            where.Add($"{column} = ${column}");
            command.Parameters.AddWithValue($"${column}", value);
        }
    }

    private static string Where(List<string> clauses) => clauses.Count == 0 ? string.Empty : " WHERE " + string.Join(" AND ", clauses);

    private static async Task<List<T>> ReadAsync<T>(SqliteCommand command, Func<SqliteDataReader, T> read, CancellationToken cancellationToken)
    {
        var items = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(read(reader));
        }

        return items;
    }

    private Task<SqliteConnection> ConnectAsync(CancellationToken cancellationToken) => SqliteEventStore.ConnectAsync(connectionString, false, cancellationToken);
}
