using System.Diagnostics;
using System.Text;
using Ledger.Store.EventStoreDb.Tests.ProtocolFake;
using Ledger.Testing;

namespace Ledger.Store.EventStoreDb.Tests;

/// <summary>The built ledger executable with --store esdb://, the node being the protocol fake.</summary>
public sealed class EventStoreDbCliTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("ledger-esdb-cli-").FullName;

    private static async Task<(int ExitCode, string Output)> LedgerAsync(params string[] args)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ledger.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("LEDGER_STORE");
        info.Environment["LEDGER_ACTOR"] = "esdb-tests";
        info.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cancel.Token);
        return (process.ExitCode, await output + await errors);
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
    public async Task An_unreachable_node_and_a_bad_connection_string_are_usage_errors()
    {
        var unreachable = await LedgerAsync("--store", "esdb://127.0.0.1:1?tls=false", "tail");
        var invalid = await LedgerAsync("--store", "esdb://node?tls=maybe", "tail");

        Assert.Equal((1, 1), (unreachable.ExitCode, invalid.ExitCode));
        Assert.Contains("cannot open EventStoreDB", unreachable.Output, StringComparison.Ordinal);
        Assert.Contains("'tls' must be true or false, not 'maybe'", invalid.Output, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
