using System.Text.Json.Nodes;
using Xunit;

namespace Ledger.EndToEnd;

/// <summary>A finding naming an allegation the matter never reported is a typo until it says it introduces one.</summary>
public sealed class UnknownAllegationTests : IDisposable
{
    private readonly TempStore store = new();

    public void Dispose() => store.Dispose();

    private static JsonObject DocumentWithFinding(string allegation, bool introduces)
    {
        var statements = Repo.SampleStatements();
        var position = statements[1]!.DeepClone().AsObject();
        position["id"] = "e2e-position";
        var finding = statements[4]!.DeepClone().AsObject();
        finding["id"] = "e2e-finding";
        finding["findings"]![0]!["allegation"] = allegation;
        if (introduces)
        {
            finding["findings"]![0]!["newAllegation"] = true;
        }

        var document = Repo.Sample();
        document["statements"] = new JsonArray(position, finding);
        return document;
    }

    [Fact]
    public async Task A_finding_naming_a_misspelt_allegation_exits_2_naming_file_statement_and_field_and_appends_nothing()
    {
        await store.ImportSamplesAsync();
        var before = await store.ExportAsync();
        var file = store.PathOf("typo.json");
        await File.WriteAllTextAsync(file, DocumentWithFinding("azure-surveilance-storage", introduces: false).ToJsonString());

        var result = await store.RunAsync("import", file);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"{file}: statements[1] (id \"e2e-finding\"): field \"findings[0].allegation\": \"azure-surveilance-storage\" is not an allegation", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("newAllegation", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, await store.ExportAsync());
        var status = JsonAssert.Parse(await store.RunAsync("status", Repo.Matter, "--json"));
        Assert.DoesNotContain(status["allegations"]!.AsArray(), a => (string?)a!["id"] == "azure-surveilance-storage");
    }

    [Fact]
    public async Task A_finding_that_declares_its_allegation_new_is_recorded_with_it()
    {
        await store.ImportSamplesAsync();
        var file = store.PathOf("new.json");
        await File.WriteAllTextAsync(file, DocumentWithFinding("cloud-export-controls", introduces: true).ToJsonString());

        var result = await store.RunAsync("import", file);

        Assert.True(result.ExitCode == 0, result.ToString());
        var status = JsonAssert.Parse(await store.RunAsync("status", Repo.Matter, "--json"));
        var added = Assert.Single(status["allegations"]!.AsArray(), a => (string?)a!["id"] == "cloud-export-controls");
        Assert.Equal("partially-substantiated", (string?)added!["assessment"]);
    }
}
