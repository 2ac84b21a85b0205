using Xunit;

namespace Ledger.EndToEnd;

/// <summary>`ledger serve` tells the person who started it where it listens, last, without a page of logs before it.</summary>
public sealed class ServeConsoleTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly TempStore store = new();

    public void Dispose() => store.Dispose();

    [Fact]
    public async Task The_url_is_the_last_line_and_no_informational_log_comes_before_it()
    {
        await using var server = await LedgerServerProcess.StartAsync(store, sample: true);

        var lines = await UntilServingAsync(server);

        Assert.Equal($"ledger: serving on {server.Address.ToString().TrimEnd('/')}", lines[^1]);
        Assert.DoesNotContain(lines, l => l.StartsWith("info:", StringComparison.Ordinal));
        Assert.True(lines.Count <= 3, $"the console before the address:\n{string.Join('\n', lines)}");
        Assert.Empty(server.Process.Stderr);
    }

    [Fact]
    public async Task The_log_level_comes_from_configuration()
    {
        var verbose = new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Information" };
        await using var server = await LedgerServerProcess.StartAsync(store, sample: true, verbose);

        var lines = await UntilServingAsync(server);

        Assert.Contains(lines, l => l.StartsWith("info:", StringComparison.Ordinal));
    }

    private static async Task<IReadOnlyList<string>> UntilServingAsync(LedgerServerProcess server)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!server.Process.Lines.Any(l => l.Contains("serving on", StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"no address printed:\n{string.Join('\n', server.Process.Lines)}{server.Process.Stderr}");
            await Task.Delay(50);
        }

        return server.Process.Lines;
    }
}
