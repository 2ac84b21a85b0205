using Marten;
using Npgsql;
using NpgsqlTypes;

namespace Ledger.Store.Marten.ReadModels;

/// <summary>
/// Writes a rebuild batch's documents with one statement per table instead of one upsert per document, which is
/// most of what a rebuild costs PostgreSQL. The rows are those Marten writes: its serializer's JSON, its type name, the
/// duplicated columns of <see cref="ReadModelSchema"/>, a new version and modification time (the columns' defaults).
/// Appends keep writing through Marten's session (<see cref="ReadModelWriter.StoreAsync"/>); the tests hold both to the pure fold.
/// </summary>
internal sealed class ReadModelBulkWriter
{
    private readonly ISerializer serializer;
    private readonly string matters;
    private readonly string promises;
    private readonly string organizations;
    private readonly string gonePromises;

    public ReadModelBulkWriter(IDocumentStore store)
    {
        serializer = store.Options.Serializer();
        var schema = store.Options.Schema;
        matters = $"""
            INSERT INTO {schema.For<MatterDocument>()} AS t (id, data, mt_dotnet_type, organization, phase, opened, position, earliest_open_due)
            SELECT u.id, u.data, $2, u.organization, u.phase, u.opened, u.position, u.due
            FROM unnest($1::varchar[], $3::jsonb[], $4::varchar[], $5::varchar[], $6::bigint[], $7::bigint[], $8::date[]) AS u(id, data, organization, phase, opened, position, due)
            ON CONFLICT (id) DO UPDATE SET data = excluded.data, mt_dotnet_type = excluded.mt_dotnet_type, organization = excluded.organization, phase = excluded.phase,
                opened = excluded.opened, position = excluded.position, earliest_open_due = excluded.earliest_open_due, mt_version = DEFAULT, mt_last_modified = DEFAULT
            """;
        promises = $"""
            INSERT INTO {schema.For<PromiseDocument>()} AS t (id, data, mt_dotnet_type, matter, promise_id, organization, state, due_by)
            SELECT u.id, u.data, $2, u.matter, u.promise_id, u.organization, u.state, u.due_by
            FROM unnest($1::varchar[], $3::jsonb[], $4::varchar[], $5::varchar[], $6::varchar[], $7::varchar[], $8::date[]) AS u(id, data, matter, promise_id, organization, state, due_by)
            ON CONFLICT (id) DO UPDATE SET data = excluded.data, mt_dotnet_type = excluded.mt_dotnet_type, matter = excluded.matter, promise_id = excluded.promise_id,
                organization = excluded.organization, state = excluded.state, due_by = excluded.due_by, mt_version = DEFAULT, mt_last_modified = DEFAULT
            """;
        organizations = $"""
            INSERT INTO {schema.For<OrganizationDocument>()} AS t (id, data, mt_dotnet_type)
            SELECT u.id, u.data, $2 FROM unnest($1::varchar[], $3::jsonb[]) AS u(id, data)
            ON CONFLICT (id) DO UPDATE SET data = excluded.data, mt_dotnet_type = excluded.mt_dotnet_type, mt_version = DEFAULT, mt_last_modified = DEFAULT
            """;
        gonePromises = $"DELETE FROM {schema.For<PromiseDocument>()} WHERE id = ANY($1)";
    }

    /// <summary>The changes, in the connection's transaction, in one round trip.</summary>
    public async Task WriteAsync(NpgsqlConnection connection, ReadModelChanges changes, CancellationToken cancellationToken)
    {
        await using var batch = connection.CreateBatch();
        if (changes.GonePromises.Length > 0)
        {
            batch.BatchCommands.Add(Command(gonePromises, Text(changes.GonePromises)));
        }

        if (changes.Matters.Length > 0)
        {
            var m = changes.Matters;
            batch.BatchCommands.Add(Command(matters, Text(m.Select(d => d.Id)), Type<MatterDocument>(), Json(m),
                Text(m.Select(d => d.Organization)), Text(m.Select(d => d.Phase)), Value(m.Select(d => d.Opened)), Value(m.Select(d => d.Position)),
                new NpgsqlParameter { Value = m.Select(d => d.EarliestOpenDue).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Date }));
        }

        if (changes.Promises.Length > 0)
        {
            var p = changes.Promises;
            batch.BatchCommands.Add(Command(promises, Text(p.Select(d => d.Id)), Type<PromiseDocument>(), Json(p),
                Text(p.Select(d => d.Matter)), Text(p.Select(d => d.PromiseId)), Text(p.Select(d => d.Organization)), Text(p.Select(d => d.State)),
                new NpgsqlParameter { Value = p.Select(d => d.DueBy).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Date }));
        }

        if (changes.Organizations.Length > 0)
        {
            var o = changes.Organizations;
            batch.BatchCommands.Add(Command(organizations, Text(o.Select(d => d.Id)), Type<OrganizationDocument>(), Json(o)));
        }

        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static NpgsqlBatchCommand Command(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }

    private static NpgsqlParameter Text(IEnumerable<string> values) => new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Varchar };

    private static NpgsqlParameter Value(IEnumerable<long> values) => new() { Value = values.ToArray() };

    /// <summary>The type name Marten stores beside each document it writes.</summary>
    private static NpgsqlParameter Type<T>() => new() { Value = typeof(T).FullName!, NpgsqlDbType = NpgsqlDbType.Varchar };

    private NpgsqlParameter Json<T>(IEnumerable<T> documents) where T : notnull =>
        new() { Value = documents.Select(d => serializer.ToJson(d)).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb };
}
