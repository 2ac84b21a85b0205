using System.Text.Json.Nodes;
using Ledger.Diffing;
using Ledger.Stores.Postgres;
using Npgsql;
using Xunit;

namespace Ledger.EndToEnd;

/// <summary>The CLI on the PostgreSQL (Marten) backend, against a real server, answers as it does on SQLite.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresCliTests(PostgresCluster cluster) : IDisposable
{
    private readonly TempStore sqlite = new();

    public void Dispose() => sqlite.Dispose();

    [Fact]
    public async Task Status_and_history_on_postgres_equal_those_on_sqlite_and_reimport_is_idempotent()
    {
        var builder = new NpgsqlConnectionStringBuilder(await cluster.CreateDatabaseAsync());
        var asConnectionString = $"postgres:{builder.ConnectionString}";
        var asUri = $"postgresql://{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}";
        var samples = Path.Combine(Repo.Root, "samples");

        var first = await LedgerCli.RunAsync(["--store", asConnectionString, "import", samples]);
        var again = await LedgerCli.RunAsync(["--store", asUri, "import", samples]);
        await sqlite.ImportSamplesAsync();

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("7 already present", again.Stdout, StringComparison.Ordinal);
        foreach (var query in new[] { new[] { "status", "microsoft/imod-azure", "--as-of", "2026-01-01", "--json" }, ["status", "microsoft/imod-azure", "--as-of", "2025-09-01", "--json"] })
        {
            var onPostgres = await LedgerCli.RunAsync(["--store", asUri, .. query]);
            var onSqlite = await sqlite.RunAsync(query);
            Assert.True(JsonPatch.DeepEquals(JsonNode.Parse(onSqlite.Stdout), JsonNode.Parse(onPostgres.Stdout)), onPostgres.ToString());
        }

        var history = JsonNode.Parse((await LedgerCli.RunAsync(["--store", asUri, "history", "microsoft/imod-azure", "--json"])).Stdout)!;
        Assert.Equal(7, history["entries"]!.AsArray().Count);
    }

    [Fact]
    public async Task Migrate_from_sqlite_to_postgres_and_back_gives_an_identical_export()
    {
        var postgres = $"postgres:{await cluster.CreateDatabaseAsync()}";
        using var back = new TempStore();
        await sqlite.ImportSamplesAsync();
        var correction = sqlite.PathOf("correction.json");
        await File.WriteAllTextAsync(correction, """
            {"matter":"microsoft/imod-azure","statements":[{"id":"curator-fix-1","type":"EntryCorrected","corrects":"msft-2025-08-15-review","changes":{"scope":"Microsoft's business records."},"reason":"scope shortened to the company's words"}]}
            """);
        Assert.Equal(0, (await sqlite.RunAsync("import", correction)).ExitCode);

        var there = await LedgerCli.RunAsync(["migrate", "--from", sqlite.Option, "--to", postgres]);
        var home = await LedgerCli.RunAsync(["migrate", "--from", postgres, "--to", back.Option]);

        Assert.True(there.ExitCode == 0, there.ToString());
        Assert.Contains("copied 9 event(s)", there.Stdout, StringComparison.Ordinal);
        Assert.True(home.ExitCode == 0, home.ToString());
        Assert.Equal(await sqlite.ExportAsync(), await back.ExportAsync());
        Assert.Equal(
            (await sqlite.RunAsync("export", "--format", "csv")).Stdout,
            (await LedgerCli.RunAsync(["--store", postgres, "export", "--format", "csv"])).Stdout);
    }

    [Fact]
    public async Task An_unreachable_postgres_is_a_clear_usage_error()
    {
        var result = await LedgerCli.RunAsync(["--store", "postgresql://ledger@127.0.0.1:1/none", "matters"]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("cannot open PostgreSQL", result.Stderr, StringComparison.Ordinal);
    }
}
