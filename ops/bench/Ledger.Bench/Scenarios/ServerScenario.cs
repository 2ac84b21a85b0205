using System.Diagnostics;
using Ledger.Bench.Corpus;
using Ledger.Bench.Imports;
using Ledger.Importing;
using Ledger.Server;
using Microsoft.AspNetCore.Builder;
using Ledger.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Bench.Scenarios;

/// <summary>
/// The HTTP server in this process on a fresh SQLite ledger: status reads beside a trivial endpoint of the same server
/// under the same concurrent load, then the latency from an append to its delivery to many live SSE subscribers.
/// </summary>
internal sealed class ServerScenario : IScenario
{
    public string Name => "http-server";

    public async Task<ScenarioResult> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var quick = context.Options.Quick;
        var ledger = context.NewFile("server");
        var matter = new DisclosureGenerator(DisclosureGenerator.DefaultSeed + 2).SingleMatter(200, documents: 4);
        await LedgerImport.RunAsync(ledger, matter, cancellationToken);
        var port = HttpLoad.FreePort();
        await using var app = await LedgerServer.BuildAsync([$"--Ledger:Store=sqlite:{ledger}", "--Ledger:LoadSample=false", "--urls", $"http://127.0.0.1:{port}", "--Logging:LogLevel:Default=Warning"]);
        await app.StartAsync(cancellationToken);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 2000, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}/"),
            Timeout = Timeout.InfiniteTimeSpan,
        };

        var statusPath = $"api/matters/{matter.Matters.Single()}";
        await HttpLoad.WarmUpAsync(http, ["health/live", statusPath], cancellationToken);
        BenchContext.Settle();
        var budget = TimeSpan.FromSeconds(quick ? 3 : 10);
        var trivial = new List<HttpLoad.Load>();
        var status = new List<HttpLoad.Load>();
        for (var run = 0; run < (quick ? 1 : 3); run++)
        {
            trivial.Add(await HttpLoad.RunAsync(http, "health/live", budget, cancellationToken));
            status.Add(await HttpLoad.RunAsync(http, statusPath, budget, cancellationToken));
            BenchContext.Progress($"run {run + 1}: trivial {trivial[^1].PerSecond:N0} req/s, status {status[^1].PerSecond:N0} req/s");
        }

        var bestTrivial = trivial.MaxBy(l => l.PerSecond)!;
        var bestStatus = status.MaxBy(l => l.PerSecond)!;
        var subscribers = quick ? 200 : 1000;
        var sse = await SseLatencyAsync(app, http, subscribers, quick ? 20 : 50, cancellationToken);
        BenchContext.Progress($"SSE: {subscribers} subscribers, p50 {sse.P50:F1} ms, p99 {sse.P99:F1} ms");
        await app.StopAsync(cancellationToken);

        return new ScenarioResult(
            Name,
            $"The server (Kestrel, the worker embedded) in this process on a fresh SQLite ledger holding one matter of {matter.Statements} statements. "
                + $"Reads: {HttpLoad.Concurrency} concurrent client loops on loopback for {budget.TotalSeconds:F0} s per run, alternating GET /health/live (the trivial endpoint) "
                + $"and GET /{statusPath} (the matter's status, rebuilt from its events). Live: SSE subscribers on /api/stream, then one-statement documents "
                + "posted through the import command every 50 ms; latency is from the start of the append to the arrival of the event at each subscriber. "
                + "Client and server share the machine's cores.",
            [
                new("trivial endpoint, best run", bestTrivial.PerSecond, "requests/s", $"p50 {bestTrivial.P50:F2} ms, p99 {bestTrivial.P99:F2} ms, {bestTrivial.Count:N0} requests"),
                new("status read, best run", bestStatus.PerSecond, "requests/s", $"p50 {bestStatus.P50:F2} ms, p99 {bestStatus.P99:F2} ms, {bestStatus.Count:N0} requests"),
                new("status / trivial throughput", bestStatus.PerSecond / bestTrivial.PerSecond, "x", "no target: what building a status costs over serving a request at all"),
                new("status read p50", bestStatus.P50, "ms"),
                new("status read p99", bestStatus.P99, "ms"),
                new($"SSE append-to-delivery p50, {subscribers} subscribers", sse.P50, "ms", $"{sse.Events} events x {subscribers} subscribers, every delivery counted"),
                new($"SSE append-to-delivery p99, {subscribers} subscribers", sse.P99, "ms", $"max {sse.Max:F1} ms"),
            ],
            []);
    }

    private sealed record Latency(int Events, double P50, double P99, double Max);

    private static async Task<Latency> SseLatencyAsync(WebApplication app, HttpClient http, int subscribers, int events, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var connected = new CountdownEvent(subscribers);
        var arrivals = new long[subscribers][];
        var readers = Enumerable.Range(0, subscribers).Select(i => Task.Run(async () =>
        {
            var mine = arrivals[i] = new long[events + 1];
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/stream?matter=bench/sse");
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop.Token);
            await using var stream = await response.Content.ReadAsStreamAsync(stop.Token);
            using var reader = new StreamReader(stream);
            var signalled = false;
            try
            {
                while (await reader.ReadLineAsync(stop.Token) is { } line)
                {
                    if (!signalled && line.StartsWith(": connected", StringComparison.Ordinal))
                    {
                        connected.Signal();
                        signalled = true;
                    }
                    else if (line.StartsWith("data: ", StringComparison.Ordinal) && line.IndexOf("\"id\":\"sse-", StringComparison.Ordinal) is var marker and >= 0)
                    {
                        // The matter's opening comes first and carries no statement number.
                        var index = marker + 5;
                        var number = int.Parse(line.AsSpan(index + 5, line.IndexOf('"', index + 5) - index - 5), System.Globalization.CultureInfo.InvariantCulture);
                        if (mine[number] != 0)
                        {
                            throw new InvalidOperationException($"subscriber {i} received event {number} twice");
                        }

                        mine[number] = Stopwatch.GetTimestamp();
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }, CancellationToken.None)).ToList();

        if (!connected.Wait(TimeSpan.FromSeconds(120), cancellationToken))
        {
            throw new InvalidOperationException($"only {subscribers - connected.CurrentCount} of {subscribers} SSE subscribers connected");
        }

        var pipeline = new ImportPipeline(app.Services.GetRequiredService<IEventStore>(), app.Services.GetRequiredService<TimeProvider>());
        var sent = new long[events + 1];
        for (var n = 1; n <= events; n++)
        {
            var errors = new List<InputError>();
            var document = $$"""{"matter":"bench/sse","organization":"Bench","title":"SSE latency","statements":[{"id":"sse-{{n}}","type":"PositionStated","publishedAt":"2025-01-01","topic":"t","position":"p","source":{"url":"https://example.org/sse"},"quote":"Statement {{n}}."}]}""";
            var documents = ImportDocument.ReadValid(DisclosureReader.Read("sse.json", System.Text.Encoding.UTF8.GetBytes(document), errors), "ledger-bench", errors).ToList();
            sent[n] = Stopwatch.GetTimestamp();
            var result = await pipeline.HandleAsync(documents, cancellationToken: cancellationToken);
            if (result.Appended != 1)
            {
                throw new InvalidOperationException($"the SSE bench document {n} did not append: {string.Join("; ", result.Errors)}");
            }

            await Task.Delay(50, cancellationToken);
        }

        var deadline = Stopwatch.StartNew();
        while (arrivals.Any(a => a.Skip(1).Any(t => t == 0)) && deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(50, cancellationToken);
        }

        await stop.CancelAsync();
        await Task.WhenAll(readers);
        var missing = arrivals.Sum(a => a.Skip(1).Count(t => t == 0));
        if (missing > 0)
        {
            throw new InvalidOperationException($"{missing} SSE deliveries never arrived");
        }

        var latencies = arrivals.SelectMany(a => Enumerable.Range(1, events).Select(n => Stopwatch.GetElapsedTime(sent[n], a[n]).TotalMilliseconds)).Order().ToList();
        return new Latency(events, HttpLoad.Percentile(latencies, 50), HttpLoad.Percentile(latencies, 99), latencies[^1]);
    }

}
