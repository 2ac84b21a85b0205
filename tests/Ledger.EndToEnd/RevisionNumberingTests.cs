using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Ledger.EndToEnd;

/// <summary>
/// Two numberings, two names: a stream's `version` counts its events in recording order from the matter's opening
/// (export, tail, SSE, /api/streams); the history's `revision` counts statements in publication order from 0.
/// </summary>
public sealed class RevisionNumberingTests : IDisposable
{
    private readonly TempStore store = new();

    public void Dispose() => store.Dispose();

    [Fact]
    public async Task The_promise_is_version_8_of_its_stream_and_revision_7_of_the_history_and_nothing_else_is_called_version()
    {
        await store.ImportSamplesAsync();

        var exported = Encoding.UTF8.GetString(await store.ExportAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        var history = JsonAssert.Parse(await store.RunAsync("history", Repo.Matter, "--json"));
        var status = JsonAssert.Parse(await store.RunAsync("status", Repo.Matter, "--json"));
        var text = await store.RunAsync("status", Repo.Matter);

        const string promise = "msft-2025-09-25-more-information";
        Assert.Equal(8, (int)exported.Single(e => (string?)e["statementId"] == promise)["version"]!);
        // The promise's own entry; the later entry of it falling due carries its statement id too.
        var entry = history["entries"]!.AsArray().Single(e => (string?)e!["statementId"] == promise && (string?)e["type"] != "promise.overdue")!;
        Assert.Equal(7, (int)entry["revision"]!);
        Assert.Null(entry["version"]);
        Assert.Equal(7, (int)status["revision"]!);
        Assert.Null(status["version"]);
        Assert.Contains("(revision 7,", text.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("version", text.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_revision_past_the_last_is_explained_without_runtime_text()
    {
        await store.ImportSamplesAsync();

        var result = await store.RunAsync("history", Repo.Matter, "--from", "7", "--to", "8");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal($"ledger: matter {Repo.Matter} has revisions 0 to 7, not 8 (revision 0 is before its first statement)", result.Stderr.Trim());
        Assert.DoesNotContain("Parameter", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Comparing_two_revisions_names_them_as_revisions()
    {
        await store.ImportSamplesAsync();

        var json = JsonAssert.Parse(await store.RunAsync("history", Repo.Matter, "--from", "6", "--to", "7", "--json"));

        Assert.Equal(6, (int)json["from"]!["revision"]!);
        Assert.Equal(7, (int)json["to"]!["revision"]!);
    }
}
