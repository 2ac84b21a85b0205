using System.Text;
using Ledger.Stores.Postgres;
using Xunit;

namespace Ledger.EndToEnd;

/// <summary>
/// Live subscriptions on PostgreSQL, where the worker's Marten subscription relays the log to the notification feed and
/// every server's live stream follows the feed as PostgreSQL tells of new entries: a server with its worker and one
/// without (whose events come only through the other's relay) each send every event once, in log order.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStreamTests(PostgresCluster cluster)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Servers_with_and_without_the_worker_stream_every_event_of_another_process_once_in_log_order()
    {
        using var store = new TempStore($"postgres:{await cluster.CreateDatabaseAsync()}");
        await using var relaying = await LedgerServerProcess.StartAsync(store);
        await using var following = await LedgerServerProcess.StartAsync(store, environment: new Dictionary<string, string> { ["Ledger__Worker"] = "false" });
        SseClient[] clients = [new(relaying.Http, "api/stream?from=1"), new(following.Http, "api/stream?from=1"), new(following.Http, "api/stream")];
        using var stop = new CancellationTokenSource();
        var readers = clients.Select(c => c.ReadAsync(stop.Token)).ToList();

        var total = 0;
        for (var batch = 1; batch <= 3; batch++)
        {
            total += await ImportAsync(store, batch, documents: 3, statements: 4);
        }

        var deadline = DateTime.UtcNow + Patience;
        while (!clients.All(c => c.Received.Count >= total))
        {
            Assert.True(DateTime.UtcNow < deadline, $"waited {Patience}: clients hold {string.Join(", ", clients.Select(c => c.Received.Count))} of {total} events");
            await Task.Delay(100);
        }

        await stop.CancelAsync();
        await Task.WhenAll(readers);
        var expected = Enumerable.Range(1, total).Select(i => (long)i).ToList();
        Assert.Equal(expected, clients[0].Received.Select(r => r.Id));
        Assert.Equal(expected, clients[1].Received.Select(r => r.Id));
        Assert.Equal(expected, clients[2].Received.Select(r => r.Id));
        Assert.DoesNotContain(following.Process.Lines, l => l.Contains("notified event:", StringComparison.Ordinal));
    }

    private static async Task<int> ImportAsync(TempStore store, int batch, int documents, int statements)
    {
        var text = new StringBuilder();
        for (var d = 0; d < documents; d++)
        {
            var list = string.Join(",", Enumerable.Range(0, statements).Select(s =>
                $$"""{"id":"pg-sse-{{batch}}-{{d}}-{{s}}","type":"PositionStated","publishedAt":"2025-03-01","topic":"t","position":"p","speaker":{"name":"Acme"},"source":{"url":"https://example.org/{{batch}}"},"quote":"Quote {{s}}."}"""));
            text.AppendLine($$"""{"matter":"pg-sse/batch-{{batch}}-{{d}}","organization":"Acme","title":"Batch {{batch}}","statements":[{{list}}]}""");
        }

        var file = store.PathOf($"batch-{batch}.ndjson");
        await File.WriteAllTextAsync(file, text.ToString());
        var result = await store.RunAsync("import", file);
        Assert.True(result.ExitCode == 0, result.ToString());
        return documents * (statements + 1);
    }
}
