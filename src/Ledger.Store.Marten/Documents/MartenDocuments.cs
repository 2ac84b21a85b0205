using JasperFx;
using Marten;
using Npgsql;
using Weasel.Core;

namespace Ledger.Store.Marten;

/// <summary>What the ledger's Marten document stores (API keys, webhooks) share: settings, schema preparation, conflicts.</summary>
internal static class MartenDocuments
{
    /// <summary>The schema and serializer of the ledger's events (see <see cref="MartenEventStore.Configure"/>).</summary>
    public static void Configure(StoreOptions options, string connectionString, string schema)
    {
        options.Connection(connectionString);
        options.DatabaseSchemaName = schema;
        options.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase);
        options.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
    }

    /// <summary>
    /// Creates the documents' tables, then runs <paramref name="copy"/> (what a former table held). Several processes
    /// may start at once, and Marten's DDL is not safe against a concurrent one: they take turns under the lock
    /// MartenEventStore.OpenAsync takes for the same schema, so no two processes copy at once either.
    /// </summary>
    public static async Task PrepareAsync(IDocumentStore store, NpgsqlDataSource dataSource, string schema, Type[] documents, Func<NpgsqlConnection, Task> copy)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock(hashtext('{schema}.ledger_schema'))", connection))
        {
            await take.ExecuteNonQueryAsync();
        }

        try
        {
            foreach (var document in documents)
            {
                await store.Storage.Database.EnsureStorageExistsAsync(document);
            }

            await copy(connection);
        }
        finally
        {
            await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock(hashtext('{schema}.ledger_schema'))", connection);
            await release.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Whether a table of the store's former raw-SQL layout is there.</summary>
    public static async Task<bool> TableExistsAsync(NpgsqlConnection connection, string table)
    {
        await using var exists = new NpgsqlCommand($"SELECT to_regclass('{table}') IS NOT NULL", connection);
        return await exists.ExecuteScalarAsync() is true;
    }

    /// <summary>An update refused by Marten's optimistic concurrency: another writer changed the document since it was loaded.</summary>
    public static bool IsConcurrencyConflict(Exception exception) => exception switch
    {
        ConcurrencyException => true,
        AggregateException aggregate => aggregate.InnerExceptions.All(IsConcurrencyConflict),
        _ => false,
    };
}
