using System.Diagnostics;
using System.Text;
using Ledger.Store.EventStoreDb.ProtocolFake;
using Ledger.Testing;

namespace Ledger.Store.EventStoreDb.Tests;

/// <summary>The built ledger executable with --store esdb://, the node being the protocol fake.</summary>
public sealed class EventStoreDbCliTests : IDisposable
{
    // Bounded waits for what must happen; generous, since every step starts a process on a possibly busy machine.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly string directory = Directory.CreateTempSubdirectory("ledger-esdb-cli-").FullName;

    private Process StartLedger(params string[] args) => Process.Start(StartInfo(args))!;

    private Process StartLedgerWithState(string state, params string[] args)
    {
        var info = StartInfo(args);
        info.Environment["LEDGER_STATE"] = state;
        return Process.Start(info)!;
    }

    private Task<(int ExitCode, string Output)> LedgerWithStateAsync(string state, params string[] args) =>
        LedgerWithAsync(new Dictionary<string, string> { ["LEDGER_STATE"] = state }, args);

    private Task<(int ExitCode, string Output)> LedgerAsync(params string[] args) => LedgerWithAsync([], args);

    private ProcessStartInfo StartInfo(string[] args)
    {
        // Through env(1), which restores SIGINT's default: a shell that runs the tests in the background ignores SIGINT,
        // its children inherit that, and Ctrl+C would then never reach the CLI.
        var info = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add("--default-signal=INT");
        info.ArgumentList.Add(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet");
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ledger.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("LEDGER_STORE");

        // A state of the test's own: a state store belongs to one log, and every fake node is another one.
        info.Environment["LEDGER_STATE"] = "sqlite:" + Path.Combine(directory, "default-state.db");
        info.Environment["LEDGER_ACTOR"] = "esdb-tests";
        info.Environment["NO_COLOR"] = "1";
        return info;
    }

    [Fact]
    public async Task Import_tail_and_migrate_work_with_an_esdb_store()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        var esdb = fake.ConnectionString;
        var sqlite = "sqlite:" + Path.Combine(directory, "copy.db");

        var first = await LedgerAsync("--store", esdb, "import", Checkout.SampleFile);
        var second = await LedgerAsync("--store", esdb, "import", Checkout.SampleFile);
        var tail = await LedgerAsync("--store", esdb, "tail");
        var migrate = await LedgerAsync("migrate", "--from", esdb, "--to", sqlite);

        Assert.Equal((0, 0, 0, 0), (first.ExitCode, second.ExitCode, tail.ExitCode, migrate.ExitCode));
        Assert.Contains("imported 7 statement(s) from 1 document(s); 0 already present", first.Output, StringComparison.Ordinal);
        Assert.Contains("imported 0 statement(s) from 1 document(s); 7 already present", second.Output, StringComparison.Ordinal);
        Assert.Equal(8, tail.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("copied 8 event(s), 0 already present; verified 8 event(s)", migrate.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_an_esdb_store_import_signs_a_checkpoint_prove_proves_against_it_and_verify_names_a_leaf_changed_in_the_tree_file()
    {
        const string reviewId = "msft-2025-08-15-review";
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        var esdb = fake.ConnectionString;
        var state = Path.Combine(directory, "state.db");
        var environment = new Dictionary<string, string>
        {
            ["LEDGER_STATE"] = "sqlite:" + state,
            ["Ledger__Log__KeyFile"] = Path.Combine(directory, "log.key"),
        };

        var key = await LedgerWithAsync(environment, "--store", esdb, "log", "key", "create", "--name", "ledger.example.org/esdb");
        var import = await LedgerWithAsync(environment, "--store", esdb, "import", Checkout.SampleFile);
        var proof = await LedgerWithAsync(environment, "--store", esdb, "prove", reviewId, "--json");
        var verified = await LedgerWithAsync(environment, "--store", esdb, "verify");

        Assert.Equal((0, 0, 0, 0), (key.ExitCode, import.ExitCode, proof.ExitCode, verified.ExitCode));
        Assert.Contains("signed the checkpoint of tree size 8", import.Output, StringComparison.Ordinal);
        var json = System.Text.Json.Nodes.JsonNode.Parse(proof.Output[proof.Output.IndexOf('{', StringComparison.Ordinal)..])!;
        var leafIndex = (long)json["leafIndex"]!;
        var path = json["path"]!.AsArray().Select(h => Convert.FromBase64String((string)h!)).ToList();
        Assert.True(Verification.MerkleVerifier.VerifyInclusion(
            leafIndex, 8, Convert.FromBase64String((string)json["leafHash"]!), path, Convert.FromBase64String((string)json["rootHash"]!)));

        // The tree file is append-only by trigger; someone with the file could drop the trigger and change a leaf.
        var treeFile = Path.ChangeExtension(state, null) + ".merkle.db";
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={treeFile};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT leaves FROM merkle_tree WHERE first_leaf = 0";
            var leaves = (byte[])(await command.ExecuteScalarAsync())!;
            leaves[leafIndex * 32] ^= 0x01;
            command.CommandText = "DROP TRIGGER merkle_tree_is_immutable; UPDATE merkle_tree SET leaves = $leaves WHERE first_leaf = 0";
            command.Parameters.AddWithValue("$leaves", leaves);
            await command.ExecuteNonQueryAsync();
        }

        var tampered = await LedgerWithAsync(environment, "--store", esdb, "verify");
        Assert.True(tampered.ExitCode == 5, tampered.Output);
        Assert.Contains(reviewId, tampered.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_restarted_empty_is_another_log_to_its_state_a_store_failure_never_tampering()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        var esdb = fake.ConnectionString;
        var environment = new Dictionary<string, string>
        {
            ["LEDGER_STATE"] = "sqlite:" + Path.Combine(directory, "state.db"),
            ["Ledger__Log__KeyFile"] = Path.Combine(directory, "log.key"),
        };
        Assert.Equal(0, (await LedgerWithAsync(environment, "--store", esdb, "log", "key", "create", "--name", "ledger.example.org/esdb")).ExitCode);
        var import = await LedgerWithAsync(environment, "--store", esdb, "import", Checkout.SampleFile);
        Assert.Contains("signed the checkpoint of tree size 8", import.Output, StringComparison.Ordinal);

        await fake.RestartEmptyAsync();
        var reimport = await LedgerWithAsync(environment, "--store", esdb, "import", Checkout.SampleFile);
        var proof = await LedgerWithAsync(environment, "--store", esdb, "prove", "msft-2025-05-15-findings");

        Assert.Equal((4, 4), (reimport.ExitCode, proof.ExitCode));
        Assert.Contains("it is another log", proof.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("no longer matches", proof.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_that_lost_its_latest_writes_is_a_store_failure_never_tampering()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        var state = "sqlite:" + Path.Combine(directory, "state.db");
        Assert.Equal(0, (await LedgerWithStateAsync(state, "--store", fake.ConnectionString, "import", Checkout.SampleFile)).ExitCode);
        Assert.Equal(0, (await LedgerWithStateAsync(state, "--store", fake.ConnectionString, "prove", "msft-2025-05-15-findings")).ExitCode);

        // A failover that truncated the log: the node's last record, an event of the ledger, is gone.
        Assert.StartsWith("ledger/", fake.Log.All[^1].Stream, StringComparison.Ordinal);
        fake.Log.DropLatest(1);
        var status = await LedgerWithStateAsync(state, "--store", fake.ConnectionString, "matters");
        var proof = await LedgerWithStateAsync(state, "--store", fake.ConnectionString, "prove", "msft-2025-05-15-findings");

        Assert.True((status.ExitCode, proof.ExitCode) == (4, 4), status.Output + proof.Output);
        Assert.Contains("the node has lost writes the state had seen", proof.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("no longer matches", proof.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_refuses_a_state_store_of_another_log_with_exit_code_4_and_says_why()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        Assert.Equal(0, (await LedgerAsync("--store", fake.ConnectionString, "import", Checkout.SampleFile)).ExitCode);
        Assert.Equal(0, (await LedgerAsync("--store", fake.ConnectionString, "matters")).ExitCode);

        await fake.RestartEmptyAsync();
        using var serve = StartLedger("--store", fake.ConnectionString, "serve", "--urls", "http://127.0.0.1:0");
        var output = serve.StandardOutput.ReadToEndAsync();
        var errors = serve.StandardError.ReadToEndAsync();
        using (var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            await serve.WaitForExitAsync(cancel.Token);
        }

        Assert.True(serve.ExitCode == 4, await output + await errors);
        Assert.Contains("this node's ledger is empty: it is another log", await errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_imports_racing_for_a_statement_id_in_different_matters_record_it_once_and_the_loser_exits_3()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        var hold = new FakeAppendHold("ledger/acme/one");
        fake.Node.Hold = hold;
        string Document(string matter) => $$"""
            {"matter":"{{matter}}","organization":"Acme","title":"Acme {{matter}}","statements":[
              {"id":"acme-shared","type":"ReviewLaunched","publishedAt":"2025-01-02","speaker":{"name":"Acme"},"source":{"url":"https://acme.example/{{matter}}"},"quote":"We are reviewing {{matter}}."}]}
            """;
        var one = Path.Combine(directory, "one.json");
        var two = Path.Combine(directory, "two.json");
        await File.WriteAllTextAsync(one, Document("acme/one"));
        await File.WriteAllTextAsync(two, Document("acme/two"));

        var slow = LedgerAsync("--store", fake.ConnectionString, "import", one);
        await hold.Reached.WaitAsync(TimeSpan.FromSeconds(60));
        var fast = await LedgerAsync("--store", fake.ConnectionString, "import", two);
        hold.Release();
        var slowDone = await slow;

        Assert.True((slowDone.ExitCode, fast.ExitCode) == (0, 3), slowDone.Output + fast.Output);
        Assert.Contains("statement acme-shared is held by matter acme/one", fast.Output, StringComparison.Ordinal);
        Assert.Null(fake.Log.Stream("ledger/acme/two"));
    }

    private async Task<(int ExitCode, string Output)> LedgerWithAsync(Dictionary<string, string> environment, params string[] args)
    {
        var info = StartInfo(args);
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cancel.Token);
        return (process.ExitCode, await output + await errors);
    }

    [Fact]
    public async Task Tail_follows_appends_live_and_resumes_from_its_checkpoint_after_being_killed()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        var esdb = fake.ConnectionString;
        var checkpoint = Path.Combine(directory, "tail.checkpoint");
        var first = new List<string>();
        using (var tail = StartLedger("--store", esdb, "tail", "--follow", "--json", "--checkpoint", checkpoint))
        {
            var lines = CollectLines(tail, first);
            Assert.Equal(0, (await LedgerAsync("--store", esdb, "import", Checkout.SampleFile)).ExitCode);
            await WaitForAsync(() => Count(first) >= 8 && File.Exists(checkpoint) && File.ReadAllText(checkpoint).Trim() == Position(first, 7), tail);
            tail.Kill(entireProcessTree: true);
            await tail.WaitForExitAsync();
            await lines;
        }

        // Appended while no tail runs: the resumed tail must start exactly after what the killed one printed.
        var document = Path.Combine(directory, "more.json");
        await File.WriteAllTextAsync(document, """
            {"matter":"acme/review","organization":"Acme","title":"Acme review","statements":[
              {"id":"acme-1","type":"ReviewLaunched","publishedAt":"2025-01-02","speaker":{"name":"Acme"},"source":{"url":"https://acme.example/1"},"quote":"We are reviewing."}]}
            """);
        Assert.Equal(0, (await LedgerAsync("--store", esdb, "import", document)).ExitCode);
        var second = new List<string>();
        using (var tail = StartLedger("--store", esdb, "tail", "--follow", "--json", "--checkpoint", checkpoint))
        {
            var lines = CollectLines(tail, second);
            await WaitForAsync(() => Count(second) >= 2, tail);
            tail.Kill(entireProcessTree: true);
            await tail.WaitForExitAsync();
            await lines;
        }

        var positions = first.Concat(second).Select(l => long.Parse(Position(l), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(Enumerable.Range(1, 10).Select(p => (long)p), positions);
        Assert.Equal("10", File.ReadAllText(checkpoint).Trim());
    }

    [Fact]
    public async Task Ctrl_c_ends_a_following_tail_with_exit_code_0()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        var printed = new List<string>();
        using var tail = StartLedger("--store", fake.ConnectionString, "tail", "--follow", "--json");
        var lines = CollectLines(tail, printed);
        var errors = tail.StandardError.ReadToEndAsync();
        Assert.Equal(0, (await LedgerAsync("--store", fake.ConnectionString, "import", Checkout.SampleFile)).ExitCode);
        await WaitForAsync(() => Count(printed) >= 8, tail);

        await InterruptAsync(tail);
        await lines;

        Assert.True(tail.ExitCode == 0, await errors);
        Assert.DoesNotContain("RpcException", await errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ctrl_c_stops_serve_on_an_esdb_store_without_a_failed_background_service()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        var printed = new List<string>();
        using var serve = StartLedgerWithState("sqlite:" + Path.Combine(directory, "state.db"), "--store", fake.ConnectionString, "serve", "--urls", "http://127.0.0.1:0");
        var lines = CollectLines(serve, printed);
        var errors = serve.StandardError.ReadToEndAsync();
        await WaitForAsync(() => Url(printed) is not null, serve);

        // The worker's projection has subscribed once the tree holds the sample's events.
        using var http = new HttpClient { BaseAddress = new Uri(Url(printed)!) };
        await WaitForAsync(() => (long)System.Text.Json.Nodes.JsonNode.Parse(http.GetStringAsync("/api/log").GetAwaiter().GetResult())!["treeSize"]! == 8, serve);
        await InterruptAsync(serve);
        await lines;

        var output = string.Join('\n', printed) + await errors;
        Assert.True(serve.ExitCode == 0, output);
        Assert.DoesNotContain("BackgroundService failed", output, StringComparison.Ordinal);
        Assert.DoesNotContain("RpcException", output, StringComparison.Ordinal);
    }

    /// <summary>Ctrl+C: SIGINT to the process, then a bounded wait for it to end.</summary>
    private static async Task InterruptAsync(Process process)
    {
        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cancel.Token);
    }

    [Fact]
    public async Task Serve_on_an_esdb_store_loads_the_sample_answers_the_api_and_relays_every_event_into_the_state_stores_feed()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        var state = "sqlite:" + Path.Combine(directory, "state.db");
        var printed = new List<string>();
        using var serve = StartLedgerWithState(state, "--store", fake.ConnectionString, "serve", "--urls", "http://127.0.0.1:0");
        var lines = CollectLines(serve, printed);
        try
        {
            await WaitForAsync(() => Url(printed) is not null, serve);
            using var http = new HttpClient { BaseAddress = new Uri(Url(printed)!) };
            System.Text.Json.Nodes.JsonNode? matter = null;
            var deadline = DateTime.UtcNow + Patience;
            while (matter is null && DateTime.UtcNow < deadline)
            {
                var matters = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync("/api/matters"))!["items"]!.AsArray();
                matter = matters.FirstOrDefault();
                await Task.Delay(100);
            }

            // One entry per recorded event, and one for the sample's promise that is overdue by now.
            List<System.Text.Json.Nodes.JsonNode> recorded = [];
            while (recorded.Count < 8 && DateTime.UtcNow < deadline)
            {
                var listed = await LedgerWithStateAsync(state, "--store", fake.ConnectionString, "notifications", "--json");
                Assert.True(listed.ExitCode == 0, listed.Output);
                recorded = System.Text.Json.Nodes.JsonNode.Parse(listed.Output)!.AsArray().Where(n => (string?)n!["kind"] == "event-recorded").Select(n => n!).ToList();
                await Task.Delay(200);
            }

            // The embedded worker's projection extends the Merkle tree kept beside the state.
            var treeSize = 0L;
            while (treeSize < 8 && DateTime.UtcNow < deadline)
            {
                treeSize = (long)System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync("/api/log"))!["treeSize"]!;
                await Task.Delay(100);
            }

            Assert.Equal(8, treeSize);
            Assert.Equal("microsoft/imod-azure", (string?)matter?["matter"]);
            Assert.Equal(7, (int)matter!["statements"]!);
            Assert.Equal(Enumerable.Range(1, 8).Select(p => (long)p), recorded.Select(n => (long)n["position"]!));
            Assert.True(File.Exists(Path.Combine(directory, "state.db")), "the feed lives in the state store");
        }
        finally
        {
            serve.Kill(entireProcessTree: true);
            await serve.WaitForExitAsync();
            await lines;
        }
    }

    private static string? Url(List<string> lines)
    {
        lock (lines)
        {
            return lines.Select(l => l.IndexOf("serving on ", StringComparison.Ordinal) is var at and >= 0 ? l[(at + "serving on ".Length)..].Trim() : null).FirstOrDefault(u => u is not null);
        }
    }

    private static int Count(List<string> lines)
    {
        lock (lines)
        {
            return lines.Count;
        }
    }

    private static string Position(List<string> lines, int index)
    {
        lock (lines)
        {
            return lines.Count > index ? Position(lines[index]) : "-";
        }
    }

    private static string Position(string line) =>
        System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("position").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static async Task CollectLines(Process process, List<string> lines)
    {
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            lock (lines)
            {
                lines.Add(line);
            }
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, Process process)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (process.HasExited)
            {
                Assert.Fail($"tail ended on its own: {await process.StandardError.ReadToEndAsync()}");
            }

            if (DateTime.UtcNow > deadline)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"tail did not print the expected events within {Patience.TotalSeconds} s: {await process.StandardError.ReadToEndAsync()}");
            }

            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task An_unreachable_node_is_a_store_failure_and_a_bad_connection_string_a_usage_error()
    {
        var unreachable = await LedgerAsync("--store", "esdb://127.0.0.1:1?tls=false", "tail");
        var invalid = await LedgerAsync("--store", "esdb://node?tls=maybe", "tail");

        Assert.Equal((4, 1), (unreachable.ExitCode, invalid.ExitCode));
        Assert.Contains("cannot open EventStoreDB", unreachable.Output, StringComparison.Ordinal);
        Assert.Contains("'tls' must be true or false, not 'maybe'", invalid.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credentials_never_show_in_output_whether_refused_unreachable_or_rejected()
    {
        const string Password = "pw-that-must-not-show";
        await using var fake = await EventStoreDbProtocolFake.StartAsync(new FakeNodeOptions { Credentials = ("admin", "another") });
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{Password}"));

        var refused = await LedgerAsync("--store", $"esdb://admin:{Password}@127.0.0.1:{fake.Port}?tls=false", "tail");
        var unreachable = await LedgerAsync("--store", $"esdb://admin:{Password}@127.0.0.1:1?tls=false&allowCredentialsWithoutTls=true", "tail");
        var rejected = await LedgerAsync("--store", $"esdb://admin:{Password}@127.0.0.1:{fake.Port}?tls=false&allowCredentialsWithoutTls=true", "tail");

        Assert.Equal((1, 4, 1), (refused.ExitCode, unreachable.ExitCode, rejected.ExitCode));
        Assert.Contains("allowCredentialsWithoutTls=true", refused.Output, StringComparison.Ordinal);
        Assert.All([refused.Output, unreachable.Output, rejected.Output], output =>
        {
            Assert.DoesNotContain(Password, output, StringComparison.Ordinal);
            Assert.DoesNotContain(encoded, output, StringComparison.Ordinal);
        });
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
