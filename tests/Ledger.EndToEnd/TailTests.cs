using System.Text.Json.Nodes;
using Xunit;

namespace Ledger.EndToEnd;

public sealed class TailTests : IDisposable
{
    private readonly TempStore store = new();

    public void Dispose() => store.Dispose();

    [Fact]
    public async Task Tail_follow_prints_the_events_of_an_import_made_by_another_process()
    {
        using var tail = store.Start("tail", "--follow", "--json", "--matter", Repo.Matter);

        // Once the schema exists the tail is past opening the store, so the import lands while it follows.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!store.HasSchema() && !tail.HasExited && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.False(tail.HasExited, $"tail --follow ended on its own; stderr: {tail.Stderr}");
        await store.ImportSamplesAsync();
        var lines = await tail.WaitForLinesAsync(8, LedgerCli.DefaultTimeout);

        Assert.False(tail.HasExited, $"tail --follow ended on its own; stderr: {tail.Stderr}");
        Assert.True(lines.Count == 8, $"expected 8 events, got {lines.Count}:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}{Environment.NewLine}stderr: {tail.Stderr}");
        var events = lines.Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.All(events, e => Assert.Equal(Repo.Matter, (string?)e["stream"]));
        Assert.Equal(Enumerable.Range(1, 8), events.Select(e => (int)e["position"]!));
        Assert.Equal("MatterOpened", (string?)events[0]["type"]);
        Assert.Equal(Repo.SampleStatements().Select(s => (string?)s!["id"]), events.Skip(1).Select(e => (string?)e["statementId"]));
        Assert.True(tail.Kill(), "tail --follow should still have been running");
    }

    [Fact]
    public async Task Tail_from_a_position_prints_the_events_from_there_and_exits()
    {
        await store.ImportSamplesAsync();

        var result = await store.RunAsync("tail", "--from", "3", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var positions = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (int)JsonNode.Parse(l)!["position"]!);
        Assert.Equal(Enumerable.Range(3, 6), positions);
    }
}
