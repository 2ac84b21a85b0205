using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Ledger.Verification;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Ledger.EndToEnd;

/// <summary>
/// The split view the witnesses and the monitor exist for: one ledger copied, one copy's event rewritten by someone
/// with the file and the log key (guards dropped, tree rebuilt, a checkpoint of the same size re-signed). Each copy
/// verifies on its own; the witness (one process) refuses the second view, the monitor (another process) watching both
/// servers detects it, and its evidence bundle verifies offline.
/// </summary>
public sealed class SplitViewTests : IDisposable
{
    private const string Origin = "ledger.example.org/disclosures";
    private const string ReviewId = "msft-2025-08-15-review";
    private readonly TempStore honest = new();
    private readonly TempStore forked = new();
    private readonly TempStore witnessFolder = new();

    public void Dispose()
    {
        honest.Dispose();
        forked.Dispose();
        witnessFolder.Dispose();
    }

    [Fact]
    public async Task The_witness_refuses_the_rewritten_copy_and_the_monitor_proves_the_split_view()
    {
        // The samples first, then the key: the first checkpoint is the one `log checkpoint` sends to the witness.
        await honest.ImportSamplesAsync();
        var logKey = (await honest.RunAsync("log", "key", "create", "--name", Origin)).Stdout.Trim();
        var witnessKey = await WitnessProcess.CreateKeyAsync(witnessFolder.Folder, "witness.example.org/w1");
        using var witness = await WitnessProcess.StartAsync(witnessFolder.Folder, logKey);
        var witnessOption = $"{witness.Address.ToString().TrimEnd('/')}={witnessKey}";

        File.Copy(honest.DbPath, forked.DbPath);
        File.Copy(honest.PathOf("ledger.log.key"), forked.PathOf("ledger.log.key"));
        var signed = JsonAssert.Parse(await honest.RunAsync("log", "checkpoint", "--witness", witnessOption, "--json"));
        Assert.True((bool)signed["witnessed"]!, signed.ToJsonString());
        var honestNote = (string)signed["note"]!;

        Rewrite(forked.DbPath, $"UPDATE events SET data = replace(data, 'Microsoft', 'Macrosoft') WHERE statement_id = '{ReviewId}'");
        var resigned = await forked.RunAsync("log", "checkpoint", "--witness", witnessOption, "--json");
        var forkedCheckpoint = JsonAssert.Parse(resigned);
        var forkedNote = (string)forkedCheckpoint["note"]!;
        Assert.False((bool)forkedCheckpoint["witnessed"]!, resigned.ToString());
        Assert.Contains("refused", resigned.Stderr, StringComparison.Ordinal);
        Assert.Equal((long)signed["treeSize"]!, (long)forkedCheckpoint["treeSize"]!);
        Assert.NotEqual((string)signed["rootHash"]!, (string)forkedCheckpoint["rootHash"]!);
        Assert.True((await forked.RunAsync("verify")).ExitCode == 0, "the rewritten copy verifies on its own");

        // Asked directly with the size it cosigned, the witness still refuses the other root at that size.
        var direct = await witness.AddCheckpointAsync($"old {(long)signed["treeSize"]!}\n\n{forkedNote}");
        Assert.Equal(System.Net.HttpStatusCode.Conflict, direct.Status);

        await using var honestServer = await LedgerServerProcess.StartAsync(honest);
        await using var forkedServer = await LedgerServerProcess.StartAsync(forked);
        var evidence = witnessFolder.PathOf("evidence.json");
        using var hook = new HttpListener();
        var hookUrl = $"http://127.0.0.1:{FreePort()}/evidence/";
        hook.Prefixes.Add(hookUrl);
        hook.Start();
        var posted = ReceiveAsync(hook);
        var monitor = await LedgerCli.RunAsync(["monitor", honestServer.Address.ToString(), forkedServer.Address.ToString(), "--public-key", logKey, "--once", "--evidence", evidence, "--webhook", hookUrl]);

        Assert.True(monitor.ExitCode == 5, monitor.ToString());
        Assert.Contains("SPLIT VIEW", monitor.Stderr, StringComparison.Ordinal);
        var bundle = JsonNode.Parse(await File.ReadAllTextAsync(evidence))!;
        Assert.Equal(bundle.ToJsonString(), JsonNode.Parse(await posted.WaitAsync(TimeSpan.FromSeconds(60)))!.ToJsonString());
        Assert.Equal(new[] { honestNote, forkedNote }.Order(StringComparer.Ordinal), new[] { (string)bundle["first"]!["checkpoint"]!, (string)bundle["second"]!["checkpoint"]! }.Order(StringComparer.Ordinal));

        var verified = await LedgerCli.RunAsync(["verify", "--evidence", evidence, "--public-key", logKey]);
        Assert.True(verified.ExitCode == 0, verified.ToString());
        using var otherLog = NoteSigner.Generate(Origin);
        var otherKey = await LedgerCli.RunAsync(["verify", "--evidence", evidence, "--public-key", otherLog.Verifier.ToString()]);
        Assert.True(otherKey.ExitCode == 5, otherKey.ToString());
        bundle["second"]!["checkpoint"] = bundle["first"]!["checkpoint"]!.GetValue<string>();
        await File.WriteAllTextAsync(evidence, bundle.ToJsonString());
        var noConflict = await LedgerCli.RunAsync(["verify", "--evidence", evidence, "--public-key", logKey]);
        Assert.True(noConflict.ExitCode == 5, noConflict.ToString());

        // Offline, the honest checkpoint carries the witness's cosignature and the rewritten one does not.
        await File.WriteAllTextAsync(honest.PathOf("honest.note"), honestNote);
        await File.WriteAllTextAsync(honest.PathOf("forked.note"), forkedNote);
        var honestWitnessed = await LedgerCli.RunAsync(["verify", "--checkpoint", honest.PathOf("honest.note"), "--public-key", logKey, "--witness-key", witnessKey]);
        var forkedWitnessed = await LedgerCli.RunAsync(["verify", "--checkpoint", honest.PathOf("forked.note"), "--public-key", logKey, "--witness-key", witnessKey]);
        Assert.True(honestWitnessed.ExitCode == 0, honestWitnessed.ToString());
        Assert.True(forkedWitnessed.ExitCode == 5, forkedWitnessed.ToString());
    }

    private static async Task<string> ReceiveAsync(HttpListener listener)
    {
        var context = await listener.GetContextAsync();
        using var reader = new StreamReader(context.Request.InputStream);
        var body = await reader.ReadToEndAsync();
        context.Response.StatusCode = 204;
        context.Response.Close();
        return body;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// What someone with the file does to rewrite history: drops the append-only guards, changes the event, removes the
    /// tree and the signed checkpoints, and marks the file as of schema 1 so that the ledger rebuilds the tree over the
    /// changed events the next time it opens it. The log key then signs the forged tree.
    /// </summary>
    private static void Rewrite(string path, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            DROP TRIGGER IF EXISTS events_are_immutable;
            DROP TRIGGER IF EXISTS merkle_tree_is_never_deleted;
            DROP TRIGGER IF EXISTS log_checkpoints_are_never_deleted;
            {sql};
            DELETE FROM merkle_tree;
            DELETE FROM log_checkpoints;
            PRAGMA user_version = 1;
            """;
        command.ExecuteNonQuery();
    }
}
