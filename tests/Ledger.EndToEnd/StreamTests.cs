using System.Net.Mime;
using System.Text;
using System.Text.Json.Nodes;
using CloudNative.CloudEvents.SystemTextJson;
using Xunit;
using Xunit.Abstractions;

namespace Ledger.EndToEnd;

/// <summary>Live subscriptions over Server-Sent Events from the real server, with appends from another process.</summary>
public sealed class StreamTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly TempStore store = new();
    private int batches;

    public void Dispose() => store.Dispose();

    [Fact]
    public async Task Two_hundred_clients_each_receive_every_event_exactly_once_across_a_forced_disconnect_and_resume()
    {
        await using var server = await LedgerServerProcess.StartAsync(store);
        var clients = Enumerable.Range(0, 200).Select(_ => new SseClient(server.Http, "api/stream?from=1")).ToList();
        var stops = clients.Select(_ => new CancellationTokenSource()).ToList();
        var readers = clients.Select((c, i) => c.ReadAsync(stops[i].Token)).ToList();
        var filtered = new SseClient(server.Http, "api/stream?from=1&matter=sse/batch-1-0&matter=sse/batch-3-1");
        using var stopFiltered = new CancellationTokenSource();
        var filteredReader = filtered.ReadAsync(stopFiltered.Token);

        var total = await ImportBatchAsync(documents: 4, statements: 5);
        await WaitAsync(() => clients.All(c => c.Received.Count == total), clients);

        // Half the clients drop; events keep coming while they are away; they come back with Last-Event-ID.
        for (var i = 0; i < 100; i++)
        {
            await stops[i].CancelAsync();
        }

        await Task.WhenAll(readers.Take(100));
        total += await ImportBatchAsync(documents: 3, statements: 4);
        for (var i = 0; i < 100; i++)
        {
            stops[i] = new CancellationTokenSource();
            readers[i] = clients[i].ReadAsync(stops[i].Token);
        }

        total += await ImportBatchAsync(documents: 2, statements: 6);
        await WaitAsync(() => clients.All(c => c.Received.Count >= total), clients);
        await Task.Delay(TimeSpan.FromSeconds(1));
        foreach (var stop in stops.Append(stopFiltered))
        {
            await stop.CancelAsync();
        }

        await Task.WhenAll(readers.Append(filteredReader));
        var expected = Enumerable.Range(1, total).Select(i => (long)i).ToList();
        foreach (var client in clients)
        {
            Assert.Equal(expected, client.Received.Select(r => r.Id));
        }

        var matters = filtered.Received.Select(r => (string)JsonNode.Parse(r.Data)!["subject"]!).Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(["sse/batch-1-0", "sse/batch-3-1"], matters);
        Assert.Equal(1 + 5 + 1 + 6, filtered.Received.Count);
        output.WriteLine($"{clients.Count} clients received {total} events each");
    }

    [Fact]
    public async Task Payloads_are_cloudevents_with_the_statement_id_publication_time_recorded_time_and_matter()
    {
        await using var server = await LedgerServerProcess.StartAsync(store, sample: true, new Dictionary<string, string> { ["Ledger__Stream__HeartbeatSeconds"] = "0.3" });
        var client = new SseClient(server.Http, "api/stream?from=1&type=FindingsDisclosed");
        using var stop = new CancellationTokenSource();
        var reader = client.ReadAsync(stop.Token);
        await WaitAsync(() => client.Received.Count == 2 && client.Comments >= 3, [client]);
        await stop.CancelAsync();
        await reader;

        var formatter = new JsonEventFormatter();
        var cloudEvents = client.Received
            .Select(r => formatter.DecodeStructuredModeMessage(Encoding.UTF8.GetBytes(r.Data), new ContentType("application/cloudevents+json"), null))
            .ToList();
        Assert.Equal(["msft-2025-05-15-findings", "msft-2025-09-25-findings"], cloudEvents.Select(e => e.Id));
        Assert.All(cloudEvents, e => Assert.Equal("microsoft/imod-azure", e.Subject));
        Assert.All(cloudEvents, e => Assert.Equal("org.ledger.FindingsDisclosed", e.Type));
        Assert.Equal(new DateTimeOffset(2025, 5, 15, 0, 0, 0, TimeSpan.Zero), cloudEvents[0].Time);
        Assert.True(DateTimeOffset.Parse((string)cloudEvents[0]["recordedtime"]!, System.Globalization.CultureInfo.InvariantCulture) > cloudEvents[0].Time);
        Assert.Equal("msft-2025-05-15-findings", (string)JsonNode.Parse(client.Received[0].Data)!["data"]!["statementId"]!);
    }

    private async Task<int> ImportBatchAsync(int documents, int statements)
    {
        var batch = ++batches;
        var text = new StringBuilder();
        for (var d = 0; d < documents; d++)
        {
            var list = string.Join(",", Enumerable.Range(0, statements).Select(s =>
                $$"""{"id":"sse-{{batch}}-{{d}}-{{s}}","type":"PositionStated","publishedAt":"2025-03-01","topic":"t","position":"p","speaker":{"name":"Acme"},"source":{"url":"https://example.org/{{batch}}"},"quote":"Quote {{s}}."}"""));
            text.AppendLine($$"""{"matter":"sse/batch-{{batch}}-{{d}}","organization":"Acme","title":"Batch {{batch}}","statements":[{{list}}]}""");
        }

        var file = store.PathOf($"batch-{batch}.ndjson");
        await File.WriteAllTextAsync(file, text.ToString());
        var result = await store.RunAsync("import", file);
        Assert.True(result.ExitCode == 0, result.ToString());
        return documents * (statements + 1);
    }

    private static async Task WaitAsync(Func<bool> done, IReadOnlyList<SseClient> clients)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"waited {Patience}: clients hold {string.Join(", ", clients.Select(c => c.Received.Count).Distinct())} events");
            await Task.Delay(100);
        }
    }
}
