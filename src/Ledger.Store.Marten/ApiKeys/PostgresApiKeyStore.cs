using Marten;
using Marten.Schema;
using Npgsql;

namespace Ledger.Store.Marten;

/// <summary>A stored key: the SHA-256 of its secret, never the secret.</summary>
public sealed class ApiKeyDocument
{
    public string Id { get; set; } = string.Empty;

    public string Owner { get; set; } = string.Empty;

    public string Role { get; set; } = string.Empty;

    public string Sha256 { get; set; } = string.Empty;

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    public ApiKey ToKey() => new(Id, Owner, Role, CreatedAt, RevokedAt);
}

/// <summary>
/// API keys as Marten documents in the ledger's PostgreSQL schema, shared by every server. A key is found by a unique
/// index on the SHA-256 of its secret; revocations are checked with Marten's optimistic concurrency.
/// </summary>
public sealed class PostgresApiKeyStore : IApiKeyStore
{
    private const string UniqueHash = "ledger_api_keys_sha256";
    private readonly DocumentStore store;
    private readonly NpgsqlDataSource dataSource;
    private readonly string schemaName;
    private readonly Lazy<Task> schema;

    public PostgresApiKeyStore(string connectionString, string schemaName)
    {
        store = DocumentStore.For(options => Configure(options, connectionString, schemaName));
        dataSource = NpgsqlDataSource.Create(connectionString);
        this.schemaName = schemaName;
        schema = new Lazy<Task>(PrepareAsync);
    }

    public async Task<CreatedApiKey> CreateAsync(string owner, string role, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await schema.Value.WaitAsync(cancellationToken);
        var (id, secret) = ApiKeyStores.Generate();
        var document = new ApiKeyDocument { Id = id, Owner = owner, Role = role, Sha256 = ApiKeyStores.Hash(secret), CreatedAt = now.ToUniversalTime() };
        await using var session = store.LightweightSession();
        session.Insert(document);
        await session.SaveChangesAsync(cancellationToken);
        return new CreatedApiKey(new ApiKey(id, owner, role, now, null), secret);
    }

    public async Task<IReadOnlyList<ApiKey>> ListAsync(CancellationToken cancellationToken = default)
    {
        await schema.Value.WaitAsync(cancellationToken);
        await using var session = store.QuerySession();
        var documents = await session.Query<ApiKeyDocument>().OrderBy(k => k.CreatedAt).ThenBy(k => k.Id).ToListAsync(cancellationToken);
        return [.. documents.Select(k => k.ToKey())];
    }

    public async Task<bool> RevokeAsync(string id, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await schema.Value.WaitAsync(cancellationToken);
        await using var session = store.LightweightSession();
        var document = await session.LoadAsync<ApiKeyDocument>(id, cancellationToken);
        if (document is null || document.RevokedAt is not null)
        {
            return false;
        }

        // The update carries the version loaded above: of two revocations that both read the key unrevoked, one fails here.
        document.RevokedAt = now.ToUniversalTime();
        session.Update(document);
        try
        {
            await session.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (Exception ex) when (MartenDocuments.IsConcurrencyConflict(ex))
        {
            // A key is only ever changed by revoking it: whoever changed it first revoked it.
            return false;
        }
    }

    public async Task<ApiKey?> FindAsync(string sha256, CancellationToken cancellationToken = default)
    {
        await schema.Value.WaitAsync(cancellationToken);
        await using var session = store.QuerySession();
        var document = await session.Query<ApiKeyDocument>().SingleOrDefaultAsync(k => k.Sha256 == sha256, cancellationToken);
        return document?.ToKey();
    }

    public async ValueTask DisposeAsync()
    {
        await store.DisposeAsync();
        await dataSource.DisposeAsync();
    }

    /// <summary>The Marten settings of the keys.</summary>
    private static void Configure(StoreOptions options, string connectionString, string schema)
    {
        MartenDocuments.Configure(options, connectionString, schema);
        options.Schema.For<ApiKeyDocument>()
            .DocumentAlias("ledger_api_key")
            .UniqueIndex(UniqueIndexType.DuplicatedField, UniqueHash, k => k.Sha256)
            .Duplicate(k => k.CreatedAt, notNull: true)
            .UseOptimisticConcurrency(true);
    }

    /// <summary>The documents' table, then the keys of the table the store kept before, copied once and left in place.</summary>
    private Task PrepareAsync() => MartenDocuments.PrepareAsync(store, dataSource, schemaName, [typeof(ApiKeyDocument)], CopyTableKeysAsync);

    /// <summary>Keys in the former table that are not documents yet; under the schema lock, so no two processes copy at once.</summary>
    private async Task CopyTableKeysAsync(NpgsqlConnection connection)
    {
        if (!await MartenDocuments.TableExistsAsync(connection, $"{schemaName}.api_keys"))
        {
            return;
        }

        var keys = new List<ApiKeyDocument>();
        await using (var read = new NpgsqlCommand($"SELECT id, owner, role, sha256, created_at, revoked_at FROM {schemaName}.api_keys", connection))
        await using (var reader = await read.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                keys.Add(new ApiKeyDocument
                {
                    Id = reader.GetString(0),
                    Owner = reader.GetString(1),
                    Role = reader.GetString(2),
                    Sha256 = reader.GetString(3),
                    CreatedAt = reader.GetFieldValue<DateTimeOffset>(4),
                    RevokedAt = reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                });
            }
        }

        if (keys.Count == 0)
        {
            return;
        }

        await using var session = store.LightweightSession();
        var copied = (await session.LoadManyAsync<ApiKeyDocument>(keys.Select(k => k.Id))).Select(k => k.Id).ToHashSet(StringComparer.Ordinal);
        var missing = keys.Where(k => !copied.Contains(k.Id)).ToList();
        if (missing.Count > 0)
        {
            session.Insert<ApiKeyDocument>(missing);
            await session.SaveChangesAsync();
        }
    }
}
