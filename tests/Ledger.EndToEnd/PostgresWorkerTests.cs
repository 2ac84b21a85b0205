using System.Text.Json.Nodes;
using Ledger.Stores.Postgres;
using Xunit;

namespace Ledger.EndToEnd;

/// <summary>Two workers on one PostgreSQL ledger: one leads, the other stands by and takes over when the leader is killed.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresWorkerTests(PostgresCluster cluster) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly TempStore files = new();

    public void Dispose() => files.Dispose();

    [Fact]
    public async Task Two_workers_notify_every_event_once_and_every_overdue_promise_once_even_when_the_leader_is_killed()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        var store = $"postgres:{connectionString}";
        Task<CliResult> Run(params string[] args) => LedgerCli.RunAsync(["--store", store, .. args]);
        Assert.Equal(0, (await Run("import", Repo.Samples)).ExitCode);

        using var first = LedgerCli.Start(["--store", store, "worker"]);
        using var second = LedgerCli.Start(["--store", store, "worker"]);
        BackgroundCli[] workers = [first, second];
        await Notifications.WaitForAsync(() => Notifications.ReadAsync(Run), n => n.Count == 9, Patience, workers);
        // The console logger writes asynchronously: the leader's lines may arrive after its notifications. The leader is
        // the worker whose Marten daemon runs the relay's subscription.
        var deadline = DateTime.UtcNow + Patience;
        while (!workers.Any(Relayed) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        var leader = workers.Single(Relayed);
        var standby = workers.Single(w => w != leader);
        Assert.True(leader.Kill(), "the leader had stopped before it was killed");

        var more = files.PathOf("more.json");
        await File.WriteAllTextAsync(more, """
            {"matter":"acme/overdue","organization":"Acme","title":"An overdue promise","statements":[
              {"id":"acme-overdue-promise","type":"DisclosurePromised","publishedAt":"2025-01-10","speaker":{"name":"Acme"},"source":{"url":"https://example.org/acme","title":"Acme"},"quote":"We will publish the audit.","promise":{"id":"audit","what":"the audit","dueBy":"2025-02-01"}},
              {"id":"acme-position","type":"PositionStated","publishedAt":"2025-01-10","topic":"audit","position":"coming","speaker":{"name":"Acme"},"source":{"url":"https://example.org/acme","title":"Acme"},"quote":"The audit is coming."}]}
            """);
        Assert.Equal(0, (await Run("import", more)).ExitCode);

        var feed = await Notifications.WaitForAsync(() => Notifications.ReadAsync(Run), n => n.Count >= 13, Patience, standby);
        await Task.Delay(TimeSpan.FromSeconds(3));
        feed = await Notifications.ReadAsync(Run);

        Assert.True(Relayed(standby), "the standby did not take the relay over");
        var positions = feed.Where(n => (string)n["kind"]! == "event-recorded").Select(n => (long)n["position"]!).Order().ToList();
        var events = (await Run("export")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (long)JsonNode.Parse(l)!["position"]!).ToList();
        Assert.Equal(11, events.Count);
        Assert.Equal(events, positions);
        var overdue = feed.Where(n => (string)n["kind"]! == "promise-overdue").Select(n => (string)n["id"]!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["promise-overdue:acme/overdue/audit@2025-02-01", "promise-overdue:microsoft/imod-azure/lessons-learned@2025-11-06"], overdue);
        // The surviving worker's Marten daemon also took its projection, the Merkle tree, up to the last event.
        Assert.Equal(events[^1], await ProjectionsCaughtUpAsync(connectionString, events[^1]));
        foreach (var id in feed.Select(n => (string)n["id"]!))
        {
            var told = workers.Sum(w => w.Lines.Count(l => l.Contains($"notified {id}:", StringComparison.Ordinal)));
            Assert.True(told <= 1, $"{id} was notified {told} times by the workers");
        }
    }

    private static bool Relayed(BackgroundCli worker) => worker.Lines.Any(l => l.Contains("notified event:", StringComparison.Ordinal));

    private static async Task<long> ProjectionsCaughtUpAsync(string connectionString, long last)
    {
        await using var dataSource = Npgsql.NpgsqlDataSource.Create(connectionString);
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            await using var command = dataSource.CreateCommand(
                "SELECT coalesce(max(last_seq_id), 0) FROM ledger.mt_event_progression WHERE name = 'LedgerMerkleTree:All'");
            var reached = await command.ExecuteScalarAsync() is long value ? value : 0;
            if (reached >= last || DateTime.UtcNow > deadline)
            {
                return reached;
            }

            await Task.Delay(250);
        }
    }
}
