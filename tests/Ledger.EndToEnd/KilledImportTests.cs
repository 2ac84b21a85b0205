using System.Text;
using System.Text.Json.Nodes;
using Xunit;
using Xunit.Abstractions;

namespace Ledger.EndToEnd;

public sealed class KilledImportTests(ITestOutputHelper output) : IDisposable
{
    private const int Documents = 600;
    private const int StatementsPerDocument = 50;

    private readonly TempStore store = new();

    public void Dispose() => store.Dispose();

    [Fact]
    public async Task An_import_killed_midway_leaves_whole_documents_only()
    {
        var file = store.PathOf("bench.ndjson");
        await File.WriteAllTextAsync(file, Bench());

        bool killedWhileRunning;
        using (var import = store.Start("import", file))
        {
            killedWhileRunning = await import.KillWhenAsync(() => store.CountEvents() > 0, TimeSpan.FromSeconds(60));
        }

        var export = await store.RunAsync("export");
        Assert.True(export.ExitCode == 0, export.ToString());
        var perMatter = export.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonNode.Parse(line)!)
            .GroupBy(e => (string)e["stream"]!)
            .ToDictionary(g => g.Key, g => g.Select(e => (string)e["type"]!).ToList());

        // If this fails the import outran the kill: make the file bigger, do not weaken the assertion.
        Assert.True(killedWhileRunning && perMatter.Count < Documents, $"the import finished ({perMatter.Count} matters) before it was killed; generate more documents");
        output.WriteLine($"killed after {perMatter.Count} of {Documents} documents");
        Assert.NotEmpty(perMatter);
        foreach (var (matter, types) in perMatter)
        {
            Assert.True(types.Count == StatementsPerDocument + 1, $"{matter} holds {types.Count} events, not 0 or {StatementsPerDocument + 1}: a partial document");
            Assert.Equal("MatterOpened", types[0]);
            Assert.All(types.Skip(1), t => Assert.Equal("PositionStated", t));
        }
    }

    internal static string Bench(int documents = Documents, int perDocument = StatementsPerDocument)
    {
        var text = new StringBuilder();
        for (var i = 0; i < documents; i++)
        {
            var statements = new JsonArray();
            for (var j = 0; j < perDocument; j++)
            {
                statements.Add(new JsonObject
                {
                    ["id"] = $"bench-{i}-{j}",
                    ["type"] = "PositionStated",
                    ["publishedAt"] = "2025-01-01",
                    ["source"] = new JsonObject { ["title"] = $"Bench source {i}" },
                    ["quote"] = $"Bench statement {j} of matter {i}.",
                    ["topic"] = "bench",
                    ["position"] = $"position {j}",
                });
            }

            var document = new JsonObject
            {
                ["matter"] = $"bench/m{i}",
                ["organization"] = "Bench",
                ["title"] = $"Bench matter {i}",
                ["statements"] = statements,
            };
            text.Append(document.ToJsonString()).Append('\n');
        }

        return text.ToString();
    }
}
