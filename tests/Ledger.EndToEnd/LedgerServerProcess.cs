using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Ledger.EndToEnd;

/// <summary>`ledger serve` as a child process on a free loopback port, over a temporary SQLite ledger.</summary>
public sealed class LedgerServerProcess : IAsyncDisposable
{
    private LedgerServerProcess(TempStore store, BackgroundCli process, Uri address)
    {
        Store = store;
        Process = process;
        Address = address;
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public TempStore Store { get; }

    public BackgroundCli Process { get; }

    public Uri Address { get; }

    public HttpClient Http { get; }

    public static async Task<LedgerServerProcess> StartAsync(TempStore store, bool sample = false, IReadOnlyDictionary<string, string>? environment = null)
    {
        var port = FreePort();
        var address = new Uri($"http://127.0.0.1:{port}/");
        var args = new List<string> { "--store", store.Option, "serve", "--urls", address.ToString().TrimEnd('/') };
        if (!sample)
        {
            args.Add("--no-sample");
        }

        var server = new LedgerServerProcess(store, LedgerCli.Start(args, environment), address);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            Assert.False(server.Process.HasExited, $"ledger serve exited: {string.Join('\n', server.Process.Lines)}{server.Process.Stderr}");
            try
            {
                using var ready = await server.Http.GetAsync("health/ready");
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }

            Assert.True(DateTime.UtcNow < deadline, $"ledger serve did not get ready: {string.Join('\n', server.Process.Lines)}{server.Process.Stderr}");
            await Task.Delay(200);
        }
    }

    public ValueTask DisposeAsync()
    {
        Http.Dispose();
        Process.Dispose();
        return ValueTask.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
