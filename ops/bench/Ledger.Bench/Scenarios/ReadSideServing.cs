using Ledger.Server;

namespace Ledger.Bench.Scenarios;

/// <summary>
/// The read side served by the real server (Kestrel in this process, without its embedded worker) on a ledger already
/// imported: its trivial endpoint beside the matters list, a matter's status and the board, the paths alternating run by run.
/// The list and the status repeated are served again while the log stands still (ReadModelAnswers); with a future asOf,
/// which reads the same stored models but is never kept, they are made anew every time.
/// </summary>
internal static class ReadSideServing
{
    public sealed record Loads(HttpLoad.Load Trivial, HttpLoad.Load List, HttpLoad.Load Status, HttpLoad.Load Board, HttpLoad.Load FreshList, HttpLoad.Load FreshStatus);

    /// <summary>Serves the ledger at <paramref name="store"/> (a Ledger:Store value) and loads each path in turn, best run of each.</summary>
    public static async Task<Loads> MeasureAsync(string store, bool quick, CancellationToken cancellationToken)
    {
        var port = HttpLoad.FreePort();
        await using var app = await LedgerServer.BuildAsync([$"--Ledger:Store={store}", "--Ledger:LoadSample=false", "--Ledger:Worker=false", "--urls", $"http://127.0.0.1:{port}", "--Logging:LogLevel:Default=Warning"]);
        await app.StartAsync(cancellationToken);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 2000 }) { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = Timeout.InfiniteTimeSpan };
        var first = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync("api/matters?limit=1", cancellationToken))!["items"]![0]!["matter"]!.ToString();
        string[] paths = ["health/live", "api/matters?limit=50", $"api/matters/{first}", string.Empty, "api/matters?limit=50&asOf=2100-01-01", $"api/matters/{first}?asOf=2100-01-01"];
        await HttpLoad.WarmUpAsync(http, paths, cancellationToken);
        var budget = TimeSpan.FromSeconds(quick ? 3 : 8);
        var loads = paths.ToDictionary(p => p, _ => new List<HttpLoad.Load>());
        for (var run = 0; run < (quick ? 2 : 3); run++)
        {
            foreach (var path in run % 2 == 0 ? paths : paths.Reverse())
            {
                BenchContext.Settle();
                loads[path].Add(await HttpLoad.RunAsync(http, path, budget, cancellationToken));
            }

            BenchContext.Progress($"run {run + 1}: " + string.Join(", ", paths.Select(p => $"/{p} {loads[p][^1].PerSecond:N0} req/s")));
        }

        await app.StopAsync(cancellationToken);
        HttpLoad.Load Best(string path) => loads[path].MaxBy(l => l.PerSecond)!;
        return new Loads(Best(paths[0]), Best(paths[1]), Best(paths[2]), Best(paths[3]), Best(paths[4]), Best(paths[5]));
    }

    /// <summary>The figures of the four paths and the latency targets of issue 12.</summary>
    public static IEnumerable<Figure> Figures(Loads loads) =>
    [
        new("GET /health/live", loads.Trivial.PerSecond, "requests/s", Latency(loads.Trivial)),
        new("GET /api/matters?limit=50", loads.List.PerSecond, "requests/s", Latency(loads.List)),
        new("GET /api/matters/{matter} (status)", loads.Status.PerSecond, "requests/s", Latency(loads.Status)),
        new("GET / (the board)", loads.Board.PerSecond, "requests/s", Latency(loads.Board)),
        new("GET /api/matters?limit=50, made anew", loads.FreshList.PerSecond, "requests/s", $"{loads.FreshList.PerSecond / loads.Trivial.PerSecond:F2}x /health/live; {Latency(loads.FreshList)}"),
        new("GET /api/matters/{matter}, made anew", loads.FreshStatus.PerSecond, "requests/s", $"{loads.FreshStatus.PerSecond / loads.Trivial.PerSecond:F2}x /health/live; {Latency(loads.FreshStatus)}"),
        new("matters list p99", loads.List.P99, "ms", "target under 50 ms"),
        new("status p99", loads.Status.P99, "ms", "target under 50 ms"),
        new("board p50", loads.Board.P50, "ms", "target under 100 ms"),
    ];

    /// <summary>The throughput ratios against the trivial endpoint, and the latency targets as headroom (target over measured, at least 1).</summary>
    public static IEnumerable<Check> Checks(Loads loads, double throughputTarget) =>
    [
        new("GET /api/matters?limit=50 / GET /health/live throughput", loads.List.PerSecond / loads.Trivial.PerSecond, throughputTarget),
        new("GET /api/matters/{matter} / GET /health/live throughput", loads.Status.PerSecond / loads.Trivial.PerSecond, throughputTarget),
        new("50 ms / GET /api/matters?limit=50 p99", 50 / loads.List.P99, 1),
        new("50 ms / GET /api/matters/{matter} p99", 50 / loads.Status.P99, 1),
        new("100 ms / GET / p50", 100 / loads.Board.P50, 1),
    ];

    private static string Latency(HttpLoad.Load load) => $"p50 {load.P50:F2} ms, p99 {load.P99:F2} ms, {load.Count:N0} requests";
}
