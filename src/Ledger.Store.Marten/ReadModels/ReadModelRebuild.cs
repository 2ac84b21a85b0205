using JasperFx;
using Ledger.Events;
using Ledger.Projections.ReadModels;
using Ledger.Serialization;
using Ledger.Storage;
using Marten;
using Marten.Services;
using Npgsql;

namespace Ledger.Store.Marten.ReadModels;

/// <summary>
/// Rebuilds the read models from the events, a batch of matters per transaction: the batch's events are read in one
/// query in stream order, folded in memory by the pure projection, and their documents saved in one unit of work with
/// the rebuild's progress. Appends go on meanwhile; the organizations' locks keep a batch and an append from refolding
/// one matter at once. A rebuild that stopped half-way is resumed by the next.
/// </summary>
internal sealed class ReadModelRebuild(IDocumentStore store, NpgsqlDataSource dataSource, string schema)
{
    private const int BatchSize = 500;

    public async Task RunAsync(IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        var (after, done, total) = await BeginAsync(cancellationToken);
        progress?.Report((done, total));
        while (await BatchAsync(after, cancellationToken) is ({ } last, > 0 and var count))
        {
            after = last;
            done += count;
            progress?.Report((Math.Min(done, total), total));
        }

        await using var session = store.LightweightSession();
        session.Store(new ReadModelStamp { Version = ReadModelJson.ProjectionVersion });
        await session.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Rebuilds read models that are missing, of another projection version, or half rebuilt.</summary>
    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        await using (var session = store.QuerySession())
        {
            if (await session.LoadAsync<ReadModelStamp>(ReadModelStamp.Ledger, cancellationToken) is { Current: true })
            {
                return;
            }
        }

        await RunAsync(null, cancellationToken);
    }

    /// <summary>Resumes a rebuild of this projection version that stopped half-way, or empties the read models to start one.</summary>
    private async Task<(string After, int Done, int Total)> BeginAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ReadModelLocks.ExclusiveAsync(connection, cancellationToken);
        await using (var session = store.LightweightSession(SessionOptions.ForTransaction(transaction, false)))
        {
            var stamp = await session.LoadAsync<ReadModelStamp>(ReadModelStamp.Ledger, cancellationToken);
            if (stamp is { Version: ReadModelJson.ProjectionVersion, RebuildAfter: { } resumed })
            {
                var (total, done) = await CountAsync(connection, resumed, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return (resumed, done, total);
            }

            session.DeleteWhere<MatterDocument>(_ => true);
            session.DeleteWhere<PromiseDocument>(_ => true);
            session.DeleteWhere<OrganizationDocument>(_ => true);
            session.Store(new ReadModelStamp { Version = ReadModelJson.ProjectionVersion, RebuildAfter = string.Empty });
            await session.SaveChangesAsync(cancellationToken);
        }

        var (all, _) = await CountAsync(connection, string.Empty, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (string.Empty, 0, all);
    }

    /// <summary>Refolds the next matters after <paramref name="after"/> in one transaction; the last of them and how many.</summary>
    private async Task<(string? Last, int Count)> BatchAsync(string after, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var matters = await NextMattersAsync(connection, after, cancellationToken);
        if (matters.Count == 0)
        {
            return (null, 0);
        }

        // Locked before the events are read: an append to one of these matters either committed already or waits for this batch.
        await ReadModelLocks.WriteAsync(connection, matters.Select(m => m.Organization), cancellationToken);
        var models = (await EventsAsync(connection, matters.Select(m => m.Matter), cancellationToken))
            .Select(events => MatterReadModel.Of(events))
            .OfType<MatterReadModel>()
            .ToList();

        var last = matters[^1].Matter;
        await using (var session = store.LightweightSession(SessionOptions.ForTransaction(transaction, false)))
        {
            await ReadModelWriter.StoreAsync(session, models, cancellationToken);
            session.Store(new ReadModelStamp { Version = ReadModelJson.ProjectionVersion, RebuildAfter = last });
            await session.SaveChangesAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return (last, matters.Count);
    }

    /// <summary>The next matters in the database's order of stream ids, with their organizations (which every append stamps on its events' headers).</summary>
    private async Task<List<(string Matter, string Organization)>> NextMattersAsync(NpgsqlConnection connection, string after, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT s.id, (SELECT e.headers ->> '{MartenEventStore.OrganizationHeader}' FROM {schema}.mt_events e WHERE e.stream_id = s.id ORDER BY e.version LIMIT 1)
            FROM {schema}.mt_streams s WHERE s.id > $1 AND s.id <> $2 ORDER BY s.id LIMIT $3
            """;
        command.Parameters.Add(new NpgsqlParameter { Value = after });
        command.Parameters.Add(new NpgsqlParameter { Value = StorageConstants.TombstoneStreamKey });
        command.Parameters.Add(new NpgsqlParameter { Value = BatchSize });
        var matters = new List<(string Matter, string Organization)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            matters.Add((reader.GetString(0), reader.IsDBNull(1) ? string.Empty : reader.GetString(1)));
        }

        return matters;
    }

    /// <summary>The ledger events of the matters, one query for all of them.</summary>
    private async Task<List<List<Recorded>>> EventsAsync(NpgsqlConnection connection, IEnumerable<string> matters, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT stream_id, seq_id, type, data::text FROM {schema}.mt_events WHERE stream_id = ANY($1) AND is_archived = false ORDER BY stream_id, version";
        command.Parameters.Add(new NpgsqlParameter { Value = matters.ToArray() });
        var byMatter = new List<List<Recorded>>();
        string? current = null;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var type = reader.GetString(2);
            if (!EventTypes.TryGetType(type, out _))
            {
                continue;
            }

            var matter = reader.GetString(0);
            if (matter != current)
            {
                byMatter.Add([]);
                current = matter;
            }

            byMatter[^1].Add(new Recorded(reader.GetInt64(1), LedgerJson.Deserialize(type, reader.GetString(3))));
        }

        return byMatter;
    }

    /// <summary>How many matters the ledger holds, and how many of them sort at or before <paramref name="after"/>.</summary>
    private async Task<(int Total, int Done)> CountAsync(NpgsqlConnection connection, string after, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*), count(*) FILTER (WHERE id <= $1) FROM {schema}.mt_streams WHERE id <> $2";
        command.Parameters.Add(new NpgsqlParameter { Value = after });
        command.Parameters.Add(new NpgsqlParameter { Value = StorageConstants.TombstoneStreamKey });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return ((int)reader.GetInt64(0), (int)reader.GetInt64(1));
    }
}
