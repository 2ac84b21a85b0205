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
        Assert.Equal(8, history["entries"]!.AsArray().Count);
    }

    [Fact]
    public async Task Verify_on_postgres_names_statements_edited_in_marten_s_events_table_even_into_data_that_no_longer_parses_once_the_worker_extended_the_tree()
    {
        const string reviewId = "msft-2025-08-15-review";
        var connectionString = await cluster.CreateDatabaseAsync();
        var store = $"postgres:{connectionString}";
        var key = sqlite.PathOf("postgres.log.key");
        var withKey = new Dictionary<string, string> { ["Ledger__Log__KeyFile"] = key, ["Ledger__Log__CheckpointSeconds"] = "0.5" };
        var created = await LedgerCli.RunAsync(["--store", store, "log", "key", "create", "--name", "ledger.test/postgres", "--key-file", key]);
        var imported = await LedgerCli.RunAsync(["--store", store, "import", Path.Combine(Repo.Root, "samples")]);
        Assert.True(created.ExitCode == 0 && imported.ExitCode == 0, created.ToString() + imported);

        // The daemon in the worker extends the tree behind the appends, and the worker signs checkpoints of it.
        using (var worker = LedgerCli.Start(["--store", store, "worker"], withKey))
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!(await LedgerCli.RunAsync(["--store", store, "log", "checkpoints", "--json"], environment: withKey)).Stdout.Contains("\"treeSize\": 8", StringComparison.Ordinal))
            {
                Assert.True(DateTime.UtcNow < deadline, $"no checkpoint of the 8 events within 60 s; worker: {worker.Stderr}");
                await Task.Delay(250);
            }

            Assert.True(worker.Kill(), "the worker should still have been running");
        }

        var clean = await LedgerCli.RunAsync(["--store", store, "verify"], environment: withKey);
        await using (var dataSource = NpgsqlDataSource.Create(connectionString))
        {
            await using var tamper = dataSource.CreateCommand(
                $"UPDATE ledger.mt_events SET data = jsonb_set(data, '{{quote}}', to_jsonb(replace(data ->> 'quote', 'Microsoft', 'Macrosoft'))) WHERE data ->> 'statementId' = '{reviewId}'");
            Assert.Equal(1, await tamper.ExecuteNonQueryAsync());
        }

        var tampered = await LedgerCli.RunAsync(["--store", store, "verify", "--json"], environment: withKey);

        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.True(tampered.ExitCode == 5, tampered.ToString());
        var finding = Assert.Single(JsonNode.Parse(tampered.Stdout)!["events"]!.AsArray())!;
        Assert.Equal(("changed", reviewId), ((string)finding["kind"]!, (string)finding["statementId"]!));

        // Timestamps in the data that no longer parse: a 'U' for the 'T', a 13th month. Marten's own reads throw on them.
        await using (var dataSource = NpgsqlDataSource.Create(connectionString))
        {
            await using var tamper = dataSource.CreateCommand(
                "UPDATE ledger.mt_events SET data = jsonb_set(data, '{recordedAt}', to_jsonb(replace(data ->> 'recordedAt', 'T', 'U'))) WHERE data ->> 'statementId' = 'msft-2025-09-25-findings'; " +
                "UPDATE ledger.mt_events SET data = jsonb_set(data, '{publishedAt}', to_jsonb(overlay(data ->> 'publishedAt' placing '13' from 6 for 2))) WHERE data ->> 'statementId' = 'msft-2025-09-25-termination'");
            Assert.Equal(2, await tamper.ExecuteNonQueryAsync());
        }

        var unparseable = await LedgerCli.RunAsync(["--store", store, "verify", "--json"], environment: withKey);

        Assert.True(unparseable.ExitCode == 5, unparseable.ToString());
        Assert.DoesNotContain("   at ", unparseable.Stderr, StringComparison.Ordinal);
        var findings = JsonNode.Parse(unparseable.Stdout)!["events"]!.AsArray().Select(f => ((string)f!["kind"]!, (string)f["statementId"]!)).Order().ToList();
        Assert.Equal([("changed", reviewId), ("changed", "msft-2025-09-25-findings"), ("changed", "msft-2025-09-25-termination")], findings);
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
    public async Task Postgres_restarted_in_the_middle_of_an_import_loses_no_recorded_document_and_half_applies_none()
    {
        Assert.True(cluster.IsThrowaway, "this test restarts the server, so it needs the throwaway cluster, not LEDGER_TEST_POSTGRES");
        var connectionString = await cluster.CreateDatabaseAsync();
        var postgres = $"postgres:{connectionString}";
        var file = sqlite.PathOf("restart.ndjson");
        await File.WriteAllTextAsync(file, KilledImportTests.Bench(documents: 400, perDocument: 25));

        using var import = LedgerCli.Start(["--store", postgres, "import", file]);
        await WaitForEventsAsync(connectionString, TimeSpan.FromSeconds(90));
        await cluster.RestartAsync();
        var exit = await import.WaitForExitAsync(TimeSpan.FromSeconds(120));

        Assert.NotNull(exit);
        Assert.True(exit is 0 or 4, $"exit {exit}: {import.Stderr}");
        Assert.DoesNotContain("   at ", import.Stderr, StringComparison.Ordinal);
        if (exit == 4)
        {
            Assert.Contains("the store failed", import.Stderr, StringComparison.Ordinal);
        }

        var export = await LedgerCli.RunAsync(["--store", postgres, "export"]);
        var perMatter = export.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => (string)JsonNode.Parse(line)!["stream"]!)
            .GroupBy(stream => stream)
            .ToDictionary(g => g.Key, g => g.Count());
        Assert.NotEmpty(perMatter);
        Assert.All(perMatter, m => Assert.True(m.Value == 26, $"{m.Key} holds {m.Value} events: a half-applied document"));

        // Running the import again completes it: nothing acknowledged was lost, and nothing is recorded twice.
        var again = await LedgerCli.RunAsync(["--store", postgres, "import", file], TimeSpan.FromSeconds(300));
        Assert.True(again.ExitCode == 0, again.ToString());
        var all = await LedgerCli.RunAsync(["--store", postgres, "matters", "--json", "--limit", "500"]);
        Assert.Equal(400, JsonNode.Parse(all.Stdout)!["items"]!.AsArray().Count);
        Assert.Contains($"{perMatter.Count * 25} already present", again.Stdout, StringComparison.Ordinal);
    }

    private static async Task WaitForEventsAsync(string connectionString, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync();
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT count(*) FROM ledger.mt_events";
                if ((long)(await command.ExecuteScalarAsync())! > 0)
                {
                    return;
                }
            }
            catch (PostgresException)
            {
                // The schema is not created yet.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("the import wrote nothing to PostgreSQL in time");
    }

    [Fact]
    public async Task An_unreachable_postgres_is_a_store_failure_that_scripts_retry_on()
    {
        var result = await LedgerCli.RunAsync(["--store", "postgresql://ledger@127.0.0.1:1/none", "matters"]);

        Assert.True(result.ExitCode == 4, result.ToString());
        Assert.Contains("cannot open PostgreSQL", result.Stderr, StringComparison.Ordinal);
    }
}
