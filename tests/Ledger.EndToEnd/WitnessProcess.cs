using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Ledger.EndToEnd;

/// <summary>`ledger witness serve` as a child process on a free loopback port, with its key and state in a folder.</summary>
public sealed class WitnessProcess : IDisposable
{
    private WitnessProcess(BackgroundCli process, Uri address)
    {
        Process = process;
        Address = address;
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public BackgroundCli Process { get; }

    public Uri Address { get; }

    public HttpClient Http { get; }

    /// <summary>Creates the witness key in <paramref name="folder"/> (unless there) and returns its verifier key.</summary>
    public static async Task<string> CreateKeyAsync(string folder, string name)
    {
        var created = await LedgerCli.RunAsync(["witness", "key", "create", "--name", name, "--key-file", Path.Combine(folder, "witness.key")]);
        Assert.True(created.ExitCode == 0, created.ToString());
        return created.Stdout.Trim();
    }

    public static async Task<WitnessProcess> StartAsync(string folder, params string[] logKeys)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var address = new Uri($"http://127.0.0.1:{port}/");
        var args = new List<string> { "witness", "serve", "--key-file", Path.Combine(folder, "witness.key"), "--state", Path.Combine(folder, "witness.db"), "--urls", address.ToString().TrimEnd('/') };
        foreach (var key in logKeys)
        {
            args.AddRange(["--log", key]);
        }

        var witness = new WitnessProcess(LedgerCli.Start(args), address);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            Assert.False(witness.Process.HasExited, $"ledger witness serve exited: {witness.Process.Stderr}");
            try
            {
                using var ready = await witness.Http.GetAsync("/");
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return witness;
                }
            }
            catch (HttpRequestException)
            {
            }

            Assert.True(DateTime.UtcNow < deadline, $"ledger witness serve did not get ready: {witness.Process.Stderr}");
            await Task.Delay(200);
        }
    }

    public async Task<(HttpStatusCode Status, string? ContentType, string Body)> AddCheckpointAsync(string body)
    {
        using var content = new StringContent(body);
        using var response = await Http.PostAsync("add-checkpoint", content);
        return (response.StatusCode, response.Content.Headers.ContentType?.ToString(), await response.Content.ReadAsStringAsync());
    }

    public void Dispose()
    {
        Http.Dispose();
        Process.Dispose();
    }
}
