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
/// Rebuilds the read models from the events, a batch of matters per transaction. A batch's events are read in one
/// query and folded in memory by the pure projection while the batch before it is written; its documents are then
/// written with one statement per table (<see cref="ReadModelBulkWriter"/>) and the rebuild's progress, in one
/// transaction under the organizations' locks. Appends go on meanwhile: a matter appended to after its events were
/// read is read and folded again under the locks, so a batch never overwrites an append's documents with older ones.
/// A rebuild that stopped half-way is resumed by the next.
/// </summary>
internal sealed class ReadModelRebuild(IDocumentStore store, NpgsqlDataSource dataSource, string schema)
{
    private const int BatchSize = 500;
    private readonly ReadModelBulkWriter writer = new(store);

    public async Task RunAsync(IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        var (after, done, total) = await BeginAsync(cancellationToken);
        progress?.Report((done, total));
        var next = ReadAsync(after, cancellationToken);
        while (await next is { } batch)
        {
            // The next batch is read and folded while this one is written.
            next = ReadAsync(batch.Matters[^1], cancellationToken);
            try
            {
                await WriteAsync(batch, cancellationToken);
            }
            catch
            {
                await next.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                throw;
            }

            done += batch.Matters.Count;
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

            // Emptied, not deleted from: the batches then write into tables and indexes free of dead rows.
            var schema = store.Options.Schema;
            session.QueueSqlCommand($"TRUNCATE {schema.For<MatterDocument>()}, {schema.For<PromiseDocument>()}, {schema.For<OrganizationDocument>()}");
            session.Store(new ReadModelStamp { Version = ReadModelJson.ProjectionVersion, RebuildAfter = string.Empty });
            await session.SaveChangesAsync(cancellationToken);
        }

        var (all, _) = await CountAsync(connection, string.Empty, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (string.Empty, 0, all);
    }

    /// <summary>The matters of a batch, their organizations, the last version of each that was read, and the read models folded from those events.</summary>
    private sealed record Batch(List<string> Matters, HashSet<string> Organizations, Dictionary<string, long> Versions, List<MatterReadModel> Models);

    /// <summary>The next matters after <paramref name="after"/> folded from their events, outside any transaction; null when none are left.</summary>
    private async Task<Batch?> ReadAsync(string after, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var matters = await NextMattersAsync(connection, after, cancellationToken);
        if (matters.Count == 0)
        {
            return null;
        }

        var (organizations, versions, models) = await FoldAsync(connection, matters.ToArray(), cancellationToken);
        return new Batch(matters, organizations, versions, models);
    }

    /// <summary>Writes a batch's documents and the rebuild's progress in one transaction.</summary>
    private async Task WriteAsync(Batch batch, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // Once locked, an append to one of these matters either committed already or waits for this batch.
        await ReadModelLocks.WriteAsync(connection, batch.Organizations, cancellationToken);
        var models = batch.Models;
        if (await ChangedAsync(connection, batch.Versions, cancellationToken) is { Count: > 0 } changed)
        {
            var (_, _, again) = await FoldAsync(connection, changed.ToArray(), cancellationToken);
            models = [.. models.Where(m => !changed.Contains(m.Row.Matter)), .. again];
        }

        await using (var session = store.LightweightSession(SessionOptions.ForTransaction(transaction, false)))
        {
            await writer.WriteAsync(connection, await ReadModelWriter.ChangesAsync(session, models, cancellationToken), cancellationToken);
            session.Store(new ReadModelStamp { Version = ReadModelJson.ProjectionVersion, RebuildAfter = batch.Matters[^1] });
            await session.SaveChangesAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The matters whose streams went past the versions read.</summary>
    private async Task<HashSet<string>> ChangedAsync(NpgsqlConnection connection, Dictionary<string, long> versions, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT id, version FROM {schema}.mt_streams WHERE id = ANY($1)";
        command.Parameters.Add(new NpgsqlParameter { Value = versions.Keys.ToArray() });
        var changed = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.GetInt64(1) != versions.GetValueOrDefault(reader.GetString(0)))
            {
                changed.Add(reader.GetString(0));
            }
        }

        return changed;
    }

    /// <summary>The read models of the matters folded from their ledger events, their organizations, and the last version read of each.</summary>
    private async Task<(HashSet<string> Organizations, Dictionary<string, long> Versions, List<MatterReadModel> Models)> FoldAsync(
        NpgsqlConnection connection, string[] matters, CancellationToken cancellationToken)
    {
        var (organizations, versions, events) = await EventsAsync(connection, matters, cancellationToken);
        return (organizations, versions, events.Select(e => MatterReadModel.Of(e)).OfType<MatterReadModel>().ToList());
    }

    /// <summary>The next matters in the database's order of stream ids.</summary>
    private async Task<List<string>> NextMattersAsync(NpgsqlConnection connection, string after, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT id FROM {schema}.mt_streams WHERE id > $1 AND id <> $2 ORDER BY id LIMIT $3";
        command.Parameters.Add(new NpgsqlParameter { Value = after });
        command.Parameters.Add(new NpgsqlParameter { Value = StorageConstants.TombstoneStreamKey });
        command.Parameters.Add(new NpgsqlParameter { Value = BatchSize });
        var matters = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            matters.Add(reader.GetString(0));
        }

        return matters;
    }

    /// <summary>
    /// The ledger events of the matters, one query for all of them; the matters' organizations, which every append stamps
    /// on its events' headers; and the last version read of each matter. Unordered: sorting the rows with their data
    /// would spill to disk, and the fold orders a matter's events by position.
    /// </summary>
    private async Task<(HashSet<string> Organizations, Dictionary<string, long> Versions, ICollection<List<Recorded>> Events)> EventsAsync(
        NpgsqlConnection connection, string[] matters, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT stream_id, version, seq_id, type, data::text, CASE WHEN version = 1 THEN headers ->> '{MartenEventStore.OrganizationHeader}' END
            FROM {schema}.mt_events WHERE stream_id = ANY($1) AND is_archived = false
            """;
        command.Parameters.Add(new NpgsqlParameter { Value = matters });
        var organizations = new HashSet<string>(StringComparer.Ordinal);
        var versions = matters.ToDictionary(m => m, _ => 0L, StringComparer.Ordinal);
        var byMatter = new Dictionary<string, List<Recorded>>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var matter = reader.GetString(0);
            versions[matter] = Math.Max(versions[matter], reader.GetInt64(1));
            if (!reader.IsDBNull(5))
            {
                organizations.Add(reader.GetString(5));
            }

            var type = reader.GetString(3);
            if (!EventTypes.TryGetType(type, out _))
            {
                continue;
            }

            if (!byMatter.TryGetValue(matter, out var events))
            {
                byMatter[matter] = events = [];
            }

            events.Add(new Recorded(reader.GetInt64(2), LedgerJson.Deserialize(type, reader.GetString(4))));
        }

        return (organizations, versions, byMatter.Values);
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
