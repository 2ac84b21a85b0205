using System.Text.Json.Nodes;
using Ledger.Diffing;
using Xunit;

namespace Ledger.EndToEnd;

public sealed class HistoryPatchTests : IDisposable
{
    private readonly TempStore store = new();

    public void Dispose() => store.Dispose();

    private async Task<JsonArray> EntriesAsync()
    {
        await store.ImportSamplesAsync();
        var history = JsonAssert.Parse(await store.RunAsync("history", Repo.Matter, "--json"));
        var entries = history["entries"]!.AsArray();
        // 7 statements, and the promise lessons-learned falling due after the last of them.
        Assert.Equal(8, entries.Count);
        return entries;
    }

    [Fact]
    public async Task Applying_the_patches_in_order_to_an_empty_object_reproduces_each_status()
    {
        var entries = await EntriesAsync();

        JsonNode? document = new JsonObject();
        foreach (var entry in entries)
        {
            document = JsonPatch.Apply(document, entry!["patch"]!.AsArray());
            JsonAssert.DeepEqual(entry["status"], document, $"status of version {entry["version"]} and the patched document");
        }
    }

    [Fact]
    public async Task Status_as_of_an_entry_publication_equals_that_entry_status()
    {
        var entries = await EntriesAsync();

        // An entry sharing its publication time with a later one shows less than status as of that time does.
        var last = entries.Select((e, i) => (Entry: e!, Index: i))
            .Where(x => !entries.Skip(x.Index + 1).Any(later => (string?)later!["publishedAt"] == (string?)x.Entry["publishedAt"]))
            .Select(x => x.Entry)
            .ToList();
        Assert.Equal(5, last.Count);
        foreach (var entry in last)
        {
            var publishedAt = (string)entry["publishedAt"]!;
            var status = JsonAssert.Parse(await store.RunAsync("status", Repo.Matter, "--as-of", publishedAt, "--json"));
            JsonAssert.DeepEqual(entry["status"], status, $"history status of version {entry["version"]} and status --as-of {publishedAt}");
        }
    }
}
