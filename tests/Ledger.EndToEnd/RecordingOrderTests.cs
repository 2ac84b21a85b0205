using System.Text.Json.Nodes;
using Xunit;

namespace Ledger.EndToEnd;

public sealed class RecordingOrderTests : IDisposable
{
    private readonly TempStore forward = new();
    private readonly TempStore reverse = new();

    public void Dispose()
    {
        forward.Dispose();
        reverse.Dispose();
    }

    [Fact]
    public async Task Status_as_of_a_time_does_not_depend_on_the_order_statements_were_recorded_in()
    {
        // One document per statement; no statement of the sample references another, so any order is valid.
        var sample = Repo.Sample();
        var files = new List<string>();
        foreach (var statement in sample["statements"]!.AsArray())
        {
            var document = new JsonObject
            {
                ["matter"] = sample["matter"]!.DeepClone(),
                ["organization"] = sample["organization"]!.DeepClone(),
                ["title"] = sample["title"]!.DeepClone(),
                ["statements"] = new JsonArray(statement!.DeepClone()),
            };
            var file = forward.PathOf($"statement-{files.Count}.json");
            await File.WriteAllTextAsync(file, document.ToJsonString());
            files.Add(file);
        }

        Assert.Equal(7, files.Count);
        await Task.WhenAll(ImportOneByOneAsync(forward, files), ImportOneByOneAsync(reverse, Enumerable.Reverse(files)));

        var latest = await BothAsync("2026-01-01");
        Assert.Equal(7, (int)latest["statements"]!);
        Assert.Equal("action-taken", (string?)latest["phase"]);

        var beforeFindings = await BothAsync("2025-09-01");
        Assert.Equal("ongoing", (string?)beforeFindings["review"]!["status"]);
        Assert.Empty(beforeFindings["actions"]!.AsArray());
        Assert.Equal(4, (int)beforeFindings["statements"]!);
    }

    private static async Task ImportOneByOneAsync(TempStore store, IEnumerable<string> files)
    {
        foreach (var file in files)
        {
            var result = await store.RunAsync("import", file);
            Assert.True(result.ExitCode == 0, $"import {file}: {result}");
        }
    }

    private async Task<JsonNode> BothAsync(string asOf)
    {
        var a = JsonAssert.Parse(await forward.RunAsync("status", Repo.Matter, "--as-of", asOf, "--json"));
        var b = JsonAssert.Parse(await reverse.RunAsync("status", Repo.Matter, "--as-of", asOf, "--json"));
        JsonAssert.DeepEqual(a, b, $"status as of {asOf} recorded forward and recorded in reverse");
        return a;
    }
}
