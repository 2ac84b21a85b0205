using System.Text;
using Ledger.Stores.Postgres;
using Npgsql;
using Xunit;

namespace Ledger.EndToEnd;

/// <summary>
/// A worker killed (SIGKILL) while it relays a backlog of appended events to notifications: whatever the moment (before a
/// publish, between the publish and the saved position, after both), the restarted worker enters every event in the
/// feed exactly once, in log order.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RelayKillTests(PostgresCluster cluster) : IDisposable
{
    // SQLite's relay commits event by event; PostgreSQL's a page of a hundred at a time, so its backlog spans pages.
    private const int SqliteDocuments = 60;
    private const int PostgresDocuments = 150;
    private const int StatementsPerDocument = 5;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private readonly TempStore files = new();

    public void Dispose() => files.Dispose();

    [Fact]
    public async Task On_sqlite_a_worker_killed_mid_relay_notifies_every_event_exactly_once_after_restart() =>
        await KillMidRelayAsync(files.Option, files.RelayedThrough, SqliteDocuments);

    [Fact]
    public async Task On_postgres_a_worker_killed_mid_relay_notifies_every_event_exactly_once_after_restart()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        await KillMidRelayAsync($"postgres:{connectionString}", () => RelayPosition(connectionString), PostgresDocuments);
    }

    private async Task KillMidRelayAsync(string store, Func<long> relayed, int documents)
    {
        Task<CliResult> Run(params string[] args) => LedgerCli.RunAsync(["--store", store, .. args]);
        var backlog = files.PathOf("backlog.ndjson");
        await File.WriteAllTextAsync(backlog, Backlog(documents));
        var imported = await Run("import", backlog);
        Assert.True(imported.ExitCode == 0, imported.ToString());
        var events = documents * (StatementsPerDocument + 1);

        using (var worker = LedgerCli.Start(["--store", store, "worker"]))
        {
            // Killed as soon as the relay has entered an event: the rest of the backlog is appended and not yet notified.
            Assert.True(await worker.KillWhenAsync(() => relayed() >= 1, Patience), "the worker had stopped before it was killed");
        }

        var killedAt = relayed();
        Assert.True(killedAt < events, $"the relay had finished the backlog ({killedAt} of {events}) before the kill");

        using var restarted = LedgerCli.Start(["--store", store, "worker"]);
        await Notifications.WaitForAsync(() => Notifications.ReadAsync(Run), n => n.Count(x => (string)x["kind"]! == "event-recorded") >= events, Patience, restarted);
        restarted.Kill();
        var feed = await Notifications.ReadAsync(Run);

        var positions = feed.Where(n => (string)n["kind"]! == "event-recorded").Select(n => (long)n["position"]!).ToList();
        Assert.Equal(Enumerable.Range(1, events).Select(p => (long)p), positions.Order());
        Assert.True(positions.SequenceEqual(positions.Order()), $"the feed left log order (killed at {killedAt}): {string.Join(", ", positions.Take(40))}");
        Assert.Equal(positions.Select(p => $"event:{p}"), feed.Where(n => (string)n["kind"]! == "event-recorded").Select(n => (string)n["id"]!));
    }

    private static string Backlog(int documents)
    {
        var text = new StringBuilder();
        for (var d = 0; d < documents; d++)
        {
            var statements = Enumerable.Range(1, StatementsPerDocument).Select(s =>
                $$"""{"id":"kill-{{d}}-{{s}}","type":"PositionStated","publishedAt":"2025-03-01","topic":"t{{s}}","position":"p{{s}}","speaker":{"name":"Acme"},"source":{"url":"https://example.org/{{d}}"},"quote":"Q{{s}}."}""");
            text.AppendLine($$"""{"matter":"kill/m{{d}}","organization":"Acme","title":"Backlog {{d}}","statements":[{{string.Join(',', statements)}}]}""");
        }

        return text.ToString();
    }

    private static long RelayPosition(string connectionString)
    {
        try
        {
            using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ToString());
            connection.Open();
            using var command = new NpgsqlCommand("SELECT coalesce((SELECT position FROM ledger.notifications WHERE kind = 'event-recorded' ORDER BY sequence DESC LIMIT 1), 0)", connection);
            return (long)command.ExecuteScalar()!;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return 0;
        }
    }
}
