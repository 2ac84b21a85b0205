using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Ledger.Bench.Scenarios;

/// <summary>Concurrent GET loops against a server on loopback: throughput and latency percentiles of one path.</summary>
internal static class HttpLoad
{
    public const int Concurrency = 16;

    public sealed record Load(int Count, double PerSecond, double P50, double P99);

    public static async Task WarmUpAsync(HttpClient http, string[] paths, CancellationToken cancellationToken)
    {
        foreach (var path in paths)
        {
            for (var i = 0; i < 50; i++)
            {
                using var response = await http.GetAsync(path, cancellationToken);
                response.EnsureSuccessStatusCode();
            }
        }
    }

    public static async Task<Load> RunAsync(HttpClient http, string path, TimeSpan budget, CancellationToken cancellationToken)
    {
        var samples = new List<double>[Concurrency];
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async worker =>
        {
            var mine = samples[worker] = [];
            while (clock.Elapsed < budget)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync(path, HttpCompletionOption.ResponseContentRead, cancellationToken);
                response.EnsureSuccessStatusCode();
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }));
        var elapsed = clock.Elapsed;
        var all = samples.SelectMany(s => s).Order().ToList();
        return new Load(all.Count, all.Count / elapsed.TotalSeconds, Percentile(all, 50), Percentile(all, 99));
    }

    public static double Percentile(List<double> sorted, int percent) =>
        sorted[Math.Clamp((int)Math.Ceiling(percent / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
