using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ledger.Diffing;
using Xunit;

namespace Ledger.EndToEnd;

public sealed class DiffTests : IDisposable
{
    private const string From = "msft-2025-05-15-findings";
    private const string To = "msft-2025-09-25-findings";

    private readonly TempStore store = new();

    public void Dispose() => store.Dispose();

    private async Task<JsonNode> DiffAsync()
    {
        await store.ImportSamplesAsync();
        return JsonAssert.Parse(await store.RunAsync("diff", From, To, "--json"));
    }

    [Fact]
    public async Task Diff_json_marks_deletions_and_insertions_and_its_segments_rebuild_both_quotes()
    {
        var diff = await DiffAsync();

        var quotes = Repo.SampleStatements().ToDictionary(s => (string)s!["id"]!, s => (string)s!["quote"]!);
        var rendered = (string)diff["rendered"]!;
        Assert.Contains("[-no -]", rendered, StringComparison.Ordinal);
        Assert.Contains("{+", rendered, StringComparison.Ordinal);
        Assert.Contains("+}", rendered, StringComparison.Ordinal);

        var before = new StringBuilder();
        var after = new StringBuilder();
        foreach (var segment in diff["segments"]!.AsArray())
        {
            var op = Op(segment!["op"]!);
            var text = (string)segment["text"]!;
            if (op != DiffOp.Insert)
            {
                before.Append(text);
            }

            if (op != DiffOp.Delete)
            {
                after.Append(text);
            }
        }

        Assert.Equal(quotes[From], before.ToString());
        Assert.Equal(quotes[To], after.ToString());
        Assert.Equal(quotes[From], (string?)diff["fromQuote"]);
        Assert.Equal(quotes[To], (string?)diff["toQuote"]);
    }

    [Fact]
    public async Task Diff_json_names_segment_operations_with_stable_words_not_numbers()
    {
        var diff = await DiffAsync();

        // JSON output promises stable words for enumerations, as for assessments and phases.
        var ops = diff["segments"]!.AsArray().Select(s => s!["op"]!.ToJsonString()).Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(["\"delete\"", "\"equal\"", "\"insert\""], ops);
    }

    // Read either way so this test checks the reconstruction, whichever form op has.
    private static DiffOp Op(JsonNode op) =>
        op.GetValueKind() == JsonValueKind.Number ? (DiffOp)(int)op : Enum.Parse<DiffOp>((string)op!, ignoreCase: true);
}
