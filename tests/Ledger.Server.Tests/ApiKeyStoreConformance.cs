using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Ledger.Stores.Postgres;
using Xunit;
using Ledger.Messaging.ApiKeys;
using Ledger.Store.Marten;
using Ledger.Store.Sqlite;

namespace Ledger.Server.Tests;

/// <summary>What every key store must do, on SQLite and on PostgreSQL.</summary>
public abstract class ApiKeyStoreConformance
{
    private static readonly DateTimeOffset Now = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [Fact]
    public async Task A_created_key_is_found_by_the_hash_of_its_secret_only_and_listed_without_it()
    {
        await using var store = await OpenFreshAsync();

        var created = await store.CreateAsync("alice", ApiKeyRoles.Curator, Now);
        var other = await store.CreateAsync("bob", ApiKeyRoles.Admin, Now.AddMinutes(1));
        var found = await store.FindAsync(ApiKeyStores.Hash(created.Secret));
        var byPlainSecret = await store.FindAsync(created.Secret);
        var listed = await store.ListAsync();

        Assert.StartsWith(ApiKeyStores.SecretPrefix, created.Secret, StringComparison.Ordinal);
        Assert.True(created.Secret.Length >= 40, created.Secret);
        Assert.NotEqual(created.Secret, other.Secret);
        Assert.NotEqual(created.Key.Id, other.Key.Id);
        Assert.Equal(created.Key, found);
        Assert.Null(byPlainSecret);
        Assert.Equal([created.Key, other.Key], listed);
        Assert.Null(await store.FindAsync(ApiKeyStores.Hash(ApiKeyStores.Generate().Secret)));
    }

    [Fact]
    public async Task A_revoked_key_is_found_as_revoked_and_revoking_it_again_or_an_unknown_id_does_nothing()
    {
        await using var store = await OpenFreshAsync();
        var created = await store.CreateAsync("alice", ApiKeyRoles.Curator, Now);

        var revoked = await store.RevokeAsync(created.Key.Id, Now.AddHours(1));
        var again = await store.RevokeAsync(created.Key.Id, Now.AddHours(2));
        var unknown = await store.RevokeAsync("no-such-key", Now);
        var found = await store.FindAsync(ApiKeyStores.Hash(created.Secret));

        Assert.True(revoked);
        Assert.False(again);
        Assert.False(unknown);
        Assert.Equal(Now.AddHours(1), found!.RevokedAt);
        Assert.True(found.Revoked);
    }

    [Fact]
    public async Task Of_two_concurrent_revocations_of_a_key_exactly_one_revokes_it()
    {
        await using var store = await OpenFreshAsync();
        var keys = new List<CreatedApiKey>();
        for (var i = 0; i < 10; i++)
        {
            keys.Add(await store.CreateAsync($"owner{i}", ApiKeyRoles.Curator, Now.AddSeconds(i)));
        }

        // Several keys, so that the two revocations of some of them race between reading and writing.
        var revocations = await Task.WhenAll(keys.Select(async k =>
            await Task.WhenAll(Task.Run(() => store.RevokeAsync(k.Key.Id, Now.AddHours(1))), Task.Run(() => store.RevokeAsync(k.Key.Id, Now.AddHours(2))))));

        Assert.All(revocations, pair => Assert.Single(pair, revoked => revoked));
        foreach (var (key, pair) in keys.Zip(revocations))
        {
            var found = await store.FindAsync(ApiKeyStores.Hash(key.Secret));
            Assert.Equal(pair[0] ? Now.AddHours(1) : Now.AddHours(2), found!.RevokedAt);
        }
    }

    protected abstract Task<IApiKeyStore> OpenFreshAsync();
}

public sealed class SqliteApiKeyStoreTests : ApiKeyStoreConformance, IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("ledger-keys-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }

    protected override Task<IApiKeyStore> OpenFreshAsync() =>
        Task.FromResult<IApiKeyStore>(new SqliteApiKeyStore(Path.Combine(folder, $"{Guid.NewGuid():N}.db")));
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresApiKeyStoreTests(PostgresCluster cluster) : ApiKeyStoreConformance
{
    protected override async Task<IApiKeyStore> OpenFreshAsync() => new PostgresApiKeyStore(await cluster.CreateDatabaseAsync(), "ledger");

    [Fact]
    public async Task Keys_of_the_former_api_keys_table_are_copied_once_and_the_table_is_left_in_place()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        var secret = ApiKeyStores.Generate().Secret;
        var created = new DateTimeOffset(2025, 6, 7, 8, 9, 10, TimeSpan.Zero);
        await using (var dataSource = Npgsql.NpgsqlDataSource.Create(connectionString))
        await using (var former = dataSource.CreateCommand(
            $"""
            CREATE SCHEMA ledger;
            CREATE TABLE ledger.api_keys (id text PRIMARY KEY, owner text NOT NULL, role text NOT NULL, sha256 text NOT NULL UNIQUE, created_at timestamptz NOT NULL, revoked_at timestamptz);
            INSERT INTO ledger.api_keys VALUES ('0123456789abcdef', 'erin', 'admin', '{ApiKeyStores.Hash(secret)}', '{created:O}', NULL);
            """))
        {
            await former.ExecuteNonQueryAsync();
        }

        await using (var first = new PostgresApiKeyStore(connectionString, "ledger"))
        {
            Assert.Equal(new ApiKey("0123456789abcdef", "erin", ApiKeyRoles.Admin, created, null), await first.FindAsync(ApiKeyStores.Hash(secret)));
            Assert.True(await first.RevokeAsync("0123456789abcdef", created.AddDays(1)));
        }

        // Opened again, the store copies nothing over the revoked document; the former row stays as it was.
        await using var again = new PostgresApiKeyStore(connectionString, "ledger");
        var listed = await again.ListAsync();
        await using var check = Npgsql.NpgsqlDataSource.Create(connectionString);
        await using var rows = check.CreateCommand("SELECT count(*) FROM ledger.api_keys WHERE revoked_at IS NULL");

        Assert.Equal([new ApiKey("0123456789abcdef", "erin", ApiKeyRoles.Admin, created, created.AddDays(1))], listed);
        Assert.Equal(1L, await rows.ExecuteScalarAsync());
    }

    [Fact]
    public async Task The_server_on_postgresql_takes_keys_from_its_schema_and_records_statements_as_the_owner()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        await using var factory = new LedgerServerFactory(settings: new Dictionary<string, string> { ["Ledger:Store"] = $"postgres:{connectionString}" });
        await using (var keys = new PostgresApiKeyStore(connectionString, "ledger"))
        {
            var secret = (await keys.CreateAsync("dora", ApiKeyRoles.Curator, DateTimeOffset.UtcNow)).Secret;
            using var client = factory.CreateClient();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);

            using var anonymous = await factory.CreateClient().PostAsync("/api/statements", new StringContent(LedgerServerFactory.SampleText, Encoding.UTF8, "application/json"));
            using var posted = await client.PostAsync("/api/statements", new StringContent(LedgerServerFactory.SampleText, Encoding.UTF8, "application/json"));
            var events = System.Text.Json.Nodes.JsonNode.Parse(await client.GetStringAsync("/api/streams/microsoft/imod-azure"))!.AsArray();

            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
            Assert.Equal(8, events.Count);
            Assert.All(events, e => Assert.Equal("dora", (string?)e!["recordedBy"]));
        }
    }
}
