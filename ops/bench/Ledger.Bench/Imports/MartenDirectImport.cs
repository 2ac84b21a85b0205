using System.Diagnostics;
using Ledger.Serialization;
using Ledger.Storage;
using Ledger.Store.Marten;
using Marten;
using Npgsql;

namespace Ledger.Bench.Imports;

/// <summary>One document's append as Marten alone would do it: the typed events of one stream, after a known version.</summary>
internal sealed record MartenAppend(string Stream, long ExpectedVersion, string Organization, object[] Events);

/// <summary>
/// Marten on its own: the ledger's events appended with session.Events.StartStream/Append, one session and one
/// SaveChangesAsync per document. Configured as MartenEventStore configures Marten (serializer, string stream keys, the
/// same stable event type names, the organization header, the inline read models) into the same schema, so both write
/// the same rows and maintain the same indexes.
/// <see cref="SampleAsync"/> lets the scenario check that, since the two configurations must be kept in step by hand.
/// </summary>
internal static class MartenDirectImport
{
    private const string OrganizationHeader = "organization";

    /// <summary>The typed events of an imported ledger, cut into its documents' appends.</summary>
    public static IReadOnlyList<MartenAppend> Appends(IReadOnlyList<StoredEvent[]> transactions) =>
        transactions.Select(rows => new MartenAppend(rows[0].Stream, rows[0].Version - 1, rows[0].Organization,
            rows.Select(e => (object)LedgerJson.Deserialize(e.Type, e.Data)).ToArray())).ToList();

    /// <summary>
    /// A store on a fresh database with the ledger's schema created (Marten's tables and the unique index on statement
    /// ids, which every append maintains), so that the clock does not see the DDL.
    /// </summary>
    public static async Task<DocumentStore> OpenAsync(string connectionString)
    {
        var store = DocumentStore.For(options => MartenEventStore.Configure(options, connectionString));
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await MartenEventStore.PrepareDatabaseAsync(store, dataSource);
        return store;
    }

    public static async Task<TimeSpan> RunAsync(DocumentStore store, IReadOnlyList<MartenAppend> appends, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        foreach (var append in appends)
        {
            await using var session = store.LightweightSession();
            session.SetHeader(OrganizationHeader, append.Organization);

            // The calls MartenEventStore makes: a new stream, or an append checked against the version it expects.
            if (append.ExpectedVersion == 0)
            {
                session.Events.StartStream(append.Stream, append.Events);
            }
            else
            {
                session.Events.Append(append.Stream, append.ExpectedVersion + append.Events.Length, append.Events);
            }

            await session.SaveChangesAsync(cancellationToken);
        }

        return clock.Elapsed;
    }

    /// <summary>
    /// The first rows of Marten's events table as the database holds them (jsonb normalized to text), without the
    /// columns that differ between any two runs (ids, timestamps).
    /// </summary>
    public static async Task<IReadOnlyList<string>> SampleAsync(string connectionString, int count, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var sample = new NpgsqlCommand(
            "SELECT concat_ws(' | ', stream_id, version, type, mt_dotnet_type, headers::text, data::text) FROM ledger.mt_events ORDER BY seq_id LIMIT $1", connection);
        sample.Parameters.AddWithValue(count);
        var rows = new List<string>(count);
        await using var reader = await sample.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }

    /// <summary>Rows Marten's events table holds (schema ledger), to check that an import wrote them all.</summary>
    public static async Task<long> CountEventsAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM ledger.mt_events", connection);
        return (long)(await count.ExecuteScalarAsync(cancellationToken))!;
    }
}
