using System.Text.Json.Nodes;
using Xunit;

namespace Ledger.EndToEnd;

public sealed class ImportValidationTests : IDisposable
{
    private readonly TempStore store = new();

    public void Dispose() => store.Dispose();

    [Theory]
    [InlineData("assessment", "e2e-bad-finding", "findings[0].assessment")]
    [InlineData("publishedAt", "e2e-bad-date", "publishedAt")]
    public async Task An_invalid_statement_is_named_precisely_and_nothing_of_its_document_is_appended(string defect, string badId, string field)
    {
        await store.ImportSamplesAsync();
        var before = await store.ExportAsync();
        var statements = Repo.SampleStatements();

        // statements[0] is valid and new: it must not be appended either.
        var valid = statements[1]!.DeepClone().AsObject();
        valid["id"] = "e2e-new-position";
        valid["quote"] = "A statement the ledger has not seen.";
        var invalid = (defect == "assessment" ? statements[0] : statements[1])!.DeepClone().AsObject();
        invalid["id"] = badId;
        if (defect == "assessment")
        {
            invalid["findings"]![0]!["assessment"] = "maybe";
        }
        else
        {
            invalid["publishedAt"] = "yesterday";
        }

        var document = Repo.Sample();
        document["statements"] = new JsonArray(valid, invalid);
        var file = store.PathOf("invalid.json");
        await File.WriteAllTextAsync(file, document.ToJsonString());

        var result = await store.RunAsync("import", file);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(file, result.Stderr, StringComparison.Ordinal);
        Assert.Contains("statements[1]", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(badId, result.Stderr, StringComparison.Ordinal);
        Assert.Contains($"\"{field}\"", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("statements[0]", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, await store.ExportAsync());
    }

    [Fact]
    public async Task An_import_stops_at_the_first_invalid_document_keeping_those_before_it_whole()
    {
        var valid = Repo.Sample();
        valid["matter"] = "e2e/valid-neighbour";
        // Valid on its own, but it reuses the statement ids of the document before it: only the decision sees that.
        var invalid = Repo.Sample();
        var after = Repo.Sample();
        after["matter"] = "e2e/after";
        foreach (var statement in after["statements"]!.AsArray())
        {
            statement!["id"] = "after-" + (string)statement["id"]!;
        }

        var file = store.PathOf("batch.ndjson");
        await File.WriteAllTextAsync(file, valid.ToJsonString() + "\n" + invalid.ToJsonString() + "\n" + after.ToJsonString() + "\n");

        var result = await store.RunAsync("import", file);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"{file}: line 2: statements[0]", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("1 document(s) before the first invalid one were recorded", result.Stderr, StringComparison.Ordinal);
        var streams = System.Text.Encoding.UTF8.GetString(await store.ExportAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => (string)JsonNode.Parse(line)!["stream"]!)
            .ToList();
        Assert.Equal(8, streams.Count);
        Assert.All(streams, s => Assert.Equal("e2e/valid-neighbour", s));
    }

    [Fact]
    public async Task A_malformed_document_anywhere_in_the_input_stops_it_before_anything_is_appended()
    {
        var first = Repo.Sample();
        first["matter"] = "e2e/first";
        var file = store.PathOf("syntax-later.ndjson");
        await File.WriteAllTextAsync(file, first.ToJsonString() + "\n{\"matter\": \"e2e/broken\",\n");

        var result = await store.RunAsync("import", file);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("nothing was appended", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(await store.ExportAsync());
    }

    [Fact]
    public async Task Invalid_json_syntax_exits_2_naming_the_file_and_line()
    {
        var file = store.PathOf("syntax.json");
        await File.WriteAllTextAsync(file, "{\n  \"matter\": \"e2e/syntax\",\n  \"statements\": [\n    { \"id\": \"a\", }\n  ]\n}\n");

        var result = await store.RunAsync("import", file);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(file, result.Stderr, StringComparison.Ordinal);
        Assert.Contains("line 4", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_field_exits_2_naming_it()
    {
        var document = Repo.Sample();
        document["statements"]![2]!.AsObject()["sentiment"] = "negative";
        var file = store.PathOf("unknown-field.json");
        await File.WriteAllTextAsync(file, document.ToJsonString());

        var result = await store.RunAsync("import", file);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(file, result.Stderr, StringComparison.Ordinal);
        Assert.Contains("statements[2]", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("\"sentiment\"", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_file_exits_2_naming_it()
    {
        var file = store.PathOf("no-such-file.json");

        var result = await store.RunAsync("import", file);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(file, result.Stderr, StringComparison.Ordinal);
    }
}
