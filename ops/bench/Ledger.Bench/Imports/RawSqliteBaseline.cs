using System.Diagnostics;
using System.Globalization;
using Ledger.Store.Sqlite;
using Microsoft.Data.Sqlite;

namespace Ledger.Bench.Imports;

/// <summary>An events row exactly as SqliteEventStore stores it (timestamps in its text format).</summary>
internal sealed record RawRow(
    string Stream, long Version, string Type, string? StatementId, string Organization,
    string? PublishedAt, string RecordedAt, string RecordedBy, string Data);

/// <summary>
/// The floor for durable appends: the same rows, table, indexes and pragmas as the ledger, one transaction
/// per document, one prepared INSERT, and nothing else (no parsing, validation, decisions or version checks).
/// </summary>
internal static class RawSqliteBaseline
{
    private static readonly string[] ParameterNames = ["$stream", "$version", "$type", "$statement", "$organization", "$published", "$recorded", "$by", "$data"];

    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    // The ledger's own events table, so index maintenance costs the same.
    private const string Schema = SqliteEventStore.EventsTable;

    /// <summary>The rows a ledger file holds, cut into the transactions that appended them.</summary>
    public static async Task<IReadOnlyList<RawRow[]>> TransactionsAsync(string ledgerPath, IReadOnlyList<int> rowsPerTransaction, CancellationToken cancellationToken)
    {
        await using var store = await SqliteEventStore.OpenAsync(ledgerPath, cancellationToken);
        var transactions = await DocumentRows.ReadAsync(store, rowsPerTransaction, cancellationToken);
        return transactions.Select(rows => rows.Select(e => new RawRow(e.Stream, e.Version, e.Type, e.StatementId, e.Organization,
            e.PublishedAt is { } published ? Format(published) : null, Format(e.RecordedAt), e.RecordedBy, e.Data)).ToArray()).ToList();
    }

    /// <summary>Inserts into a fresh file; the time covers the transactions only, not creating the schema.</summary>
    public static TimeSpan Insert(string path, IReadOnlyList<RawRow[]> transactions)
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using (var setup = connection.CreateCommand())
        {
            setup.CommandText = $"PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; {Schema}";
            setup.ExecuteNonQuery();
        }

        using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO events (stream_id, stream_version, event_type, statement_id, organization, published_at, recorded_at, recorded_by, data)
            VALUES ($stream, $version, $type, $statement, $organization, $published, $recorded, $by, $data)
            """;
        var parameters = ParameterNames.Select(name => insert.Parameters.Add(name, name == "$version" ? SqliteType.Integer : SqliteType.Text))
            .ToArray();
        insert.Prepare();

        var clock = Stopwatch.StartNew();
        foreach (var rows in transactions)
        {
            using var transaction = connection.BeginTransaction();
            insert.Transaction = transaction;
            foreach (var row in rows)
            {
                parameters[0].Value = row.Stream;
                parameters[1].Value = row.Version;
                parameters[2].Value = row.Type;
                parameters[3].Value = (object?)row.StatementId ?? DBNull.Value;
                parameters[4].Value = row.Organization;
                parameters[5].Value = (object?)row.PublishedAt ?? DBNull.Value;
                parameters[6].Value = row.RecordedAt;
                parameters[7].Value = row.RecordedBy;
                parameters[8].Value = row.Data;
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        var elapsed = clock.Elapsed;
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM events";
        var stored = (long)count.ExecuteScalar()!;
        return stored == transactions.Sum(t => t.Length)
            ? elapsed
            : throw new InvalidOperationException($"the raw file holds {stored} rows, expected {transactions.Sum(t => t.Length)}");
    }

    private static string Format(DateTimeOffset at) => at.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);
}
