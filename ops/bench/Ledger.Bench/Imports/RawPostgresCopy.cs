using System.Diagnostics;
using Ledger.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Ledger.Bench.Imports;

/// <summary>
/// The floor for durable appends on PostgreSQL: the ledger's rows by binary COPY into a plain table shaped like them,
/// one COPY and one transaction per document, and nothing else (no sessions, documents, version checks or JSON work).
/// </summary>
internal static class RawPostgresCopy
{
    // Keys as the ledger's: a global position, one version per stream position, statement ids unique.
    private const string Schema = """
        CREATE TABLE events (
            position bigserial PRIMARY KEY,
            stream text NOT NULL,
            version bigint NOT NULL,
            type text NOT NULL,
            statement_id text UNIQUE,
            organization text NOT NULL,
            published_at timestamptz,
            recorded_at timestamptz NOT NULL,
            recorded_by text NOT NULL,
            data jsonb NOT NULL,
            UNIQUE (stream, version)
        )
        """;

    private const string Copy = "COPY events (stream, version, type, statement_id, organization, published_at, recorded_at, recorded_by, data) FROM STDIN (FORMAT BINARY)";

    /// <summary>Copies into a fresh database; the time covers the transactions only, not creating the table.</summary>
    public static async Task<TimeSpan> InsertAsync(string connectionString, IReadOnlyList<StoredEvent[]> transactions, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using (var setup = new NpgsqlCommand(Schema, connection))
        {
            await setup.ExecuteNonQueryAsync(cancellationToken);
        }

        var clock = Stopwatch.StartNew();
        foreach (var rows in transactions)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using (var writer = await connection.BeginBinaryImportAsync(Copy, cancellationToken))
            {
                foreach (var row in rows)
                {
                    await writer.StartRowAsync(cancellationToken);
                    await writer.WriteAsync(row.Stream, NpgsqlDbType.Text, cancellationToken);
                    await writer.WriteAsync(row.Version, NpgsqlDbType.Bigint, cancellationToken);
                    await writer.WriteAsync(row.Type, NpgsqlDbType.Text, cancellationToken);
                    if (row.StatementId is { } statement)
                    {
                        await writer.WriteAsync(statement, NpgsqlDbType.Text, cancellationToken);
                    }
                    else
                    {
                        await writer.WriteNullAsync(cancellationToken);
                    }

                    await writer.WriteAsync(row.Organization, NpgsqlDbType.Text, cancellationToken);
                    if (row.PublishedAt is { } published)
                    {
                        await writer.WriteAsync(published.ToUniversalTime(), NpgsqlDbType.TimestampTz, cancellationToken);
                    }
                    else
                    {
                        await writer.WriteNullAsync(cancellationToken);
                    }

                    await writer.WriteAsync(row.RecordedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz, cancellationToken);
                    await writer.WriteAsync(row.RecordedBy, NpgsqlDbType.Text, cancellationToken);
                    await writer.WriteAsync(row.Data, NpgsqlDbType.Jsonb, cancellationToken);
                }

                await writer.CompleteAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        var elapsed = clock.Elapsed;
        await using var count = new NpgsqlCommand("SELECT count(*) FROM events", connection);
        var stored = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
        return stored == transactions.Sum(t => t.Length)
            ? elapsed
            : throw new InvalidOperationException($"the COPY database holds {stored} rows, expected {transactions.Sum(t => t.Length)}");
    }
}
