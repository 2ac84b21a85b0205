using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Xunit;

namespace Ledger.EndToEnd;

/// <summary>`ledger sources add` and `source.archive` through the real executable, over the reference case and its reconstructed sources.</summary>
public sealed class ArchivedSourceTests : IDisposable
{
    /// <summary>Which reconstructed page (samples/sources) holds each sample statement.</summary>
    private static readonly Dictionary<string, string> SampleSources = new(StringComparer.Ordinal)
    {
        ["msft-2025-05-15-findings"] = "msft-2025-05-15-statement.html",
        ["msft-2025-05-15-visibility"] = "msft-2025-05-15-statement.html",
        ["guardian-2025-08-06-unit-8200"] = "guardian-2025-08-06-unit-8200.html",
        ["msft-2025-08-15-review"] = "msft-2025-08-15-review.html",
        ["msft-2025-09-25-findings"] = "msft-2025-09-25-update.html",
        ["msft-2025-09-25-termination"] = "msft-2025-09-25-update.html",
        ["msft-2025-09-25-more-information"] = "msft-2025-09-25-update.html",
    };

    private readonly TempStore store = new();

    public void Dispose() => store.Dispose();

    private static string SourcePath(string file) => Path.Combine(Repo.Samples, "sources", file);

    private static string Sha256Of(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public async Task Sources_add_finds_the_quote_of_every_sample_statement_in_its_reconstructed_source()
    {
        await store.ImportSamplesAsync();
        var statements = Repo.Sample()["statements"]!.AsArray().Select(s => (string)s!["id"]!).ToList();
        Assert.Equal(SampleSources.Keys.Order(StringComparer.Ordinal), statements.Order(StringComparer.Ordinal));

        foreach (var id in statements)
        {
            var path = SourcePath(SampleSources[id]);
            var json = JsonAssert.Parse(await store.RunAsync("sources", "add", id, path, "--json"));

            Assert.True((bool)json["quoteFound"]!, $"{id}: {json}");
            Assert.Equal((id, "text/html", "html", Sha256Of(path), false), ((string)json["statementId"]!, (string)json["mediaType"]!, (string)json["extraction"]!, (string)json["sha256"]!, (bool)json["alreadyPresent"]!));
            Assert.True((int)json["quoteOffset"]! > 0);
        }

        var status = JsonAssert.Parse(await store.RunAsync("status", Repo.Matter, "--json"));
        var archived = status["archivedSources"]!.AsArray();
        Assert.Equal(statements.Order(StringComparer.Ordinal), archived.Select(a => (string)a!["statementId"]!).Order(StringComparer.Ordinal));
        Assert.All(archived, a => Assert.True((bool)a!["quoteFound"]!));
        var history = await store.RunAsync("history", Repo.Matter);
        var update = Sha256Of(SourcePath("msft-2025-09-25-update.html"));
        Assert.Contains($"quote found in the archived source (sha256 {update})", history.Stdout, StringComparison.Ordinal);
        var statusText = await store.RunAsync("status", Repo.Matter);
        Assert.Contains($"quote found in the archived source (sha256 {update})", statusText.Stdout, StringComparison.Ordinal);
        var exported = System.Text.Encoding.UTF8.GetString(await store.ExportAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(statements.Count, exported.Count(line => (string?)JsonNode.Parse(line)!["type"] == "SourceArchived"));
    }

    [Fact]
    public async Task A_source_with_the_quote_altered_by_one_word_is_archived_with_a_warning_that_the_quote_was_not_found()
    {
        await store.ImportSamplesAsync();
        var altered = store.PathOf("altered.html");
        var original = await File.ReadAllTextAsync(SourcePath("msft-2025-09-25-update.html"));
        await File.WriteAllTextAsync(altered, original.Replace("in the coming weeks", "in the coming months", StringComparison.Ordinal));

        var json = JsonAssert.Parse(await store.RunAsync("sources", "add", "msft-2025-09-25-more-information", altered, "--json"));
        var text = await store.RunAsync("status", Repo.Matter);

        Assert.False((bool)json["quoteFound"]!);
        Assert.Null(json["quoteOffset"]);
        Assert.Contains($"warning: quote NOT found in the archived source (sha256 {Sha256Of(altered)})", text.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Other_bytes_an_unknown_media_type_an_oversized_file_or_an_unknown_statement_are_refused_and_append_nothing()
    {
        await store.ImportSamplesAsync();
        var statement = "msft-2025-05-15-findings";
        var first = await store.RunAsync("sources", "add", statement, SourcePath("msft-2025-05-15-statement.html"));
        Assert.True(first.ExitCode == 0, first.ToString());
        var before = await store.ExportAsync();
        var other = store.PathOf("other.html");
        await File.WriteAllTextAsync(other, "<p>Based on these reviews, we have found no evidence.</p>");
        var image = store.PathOf("photo.png");
        await File.WriteAllBytesAsync(image, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0]);
        var big = store.PathOf("big.html");
        await File.WriteAllTextAsync(big, "<p>" + new string('x', 2 * 1024 * 1024) + "</p>");

        var otherBytes = await store.RunAsync("sources", "add", statement, other);
        var unknownType = await store.RunAsync("sources", "add", "msft-2025-05-15-visibility", image);
        var tooBig = await store.RunAsync("sources", "add", "msft-2025-05-15-visibility", big, "--max-mb", "1");
        var unknownStatement = await store.RunAsync("sources", "add", "no-such-statement", other);
        var same = await store.RunAsync("sources", "add", statement, SourcePath("msft-2025-05-15-statement.html"));

        Assert.Equal((2, 2, 2, 2, 0), (otherBytes.ExitCode, unknownType.ExitCode, tooBig.ExitCode, unknownStatement.ExitCode, same.ExitCode));
        Assert.Contains($"error: {other}: field \"source.archive\": statement \"{statement}\" already has an archived source", otherBytes.Stderr, StringComparison.Ordinal);
        Assert.Contains($"error: {image}: field \"source.archive\": statement \"msft-2025-05-15-visibility\": file \"{image}\" is not HTML, PDF or plain text", unknownType.Stderr, StringComparison.Ordinal);
        Assert.Contains("over the limit of 1,048,576 bytes", tooBig.Stderr, StringComparison.Ordinal);
        Assert.Contains("statement \"no-such-statement\" is not recorded in the ledger", unknownStatement.Stderr, StringComparison.Ordinal);
        Assert.All([otherBytes, unknownType, tooBig, unknownStatement], r => Assert.Contains("nothing was appended", r.Stderr, StringComparison.Ordinal));
        Assert.Contains("already archived", same.Stdout, StringComparison.Ordinal);
        Assert.Equal(before, await store.ExportAsync());
    }

    [Fact]
    public async Task An_import_document_archives_the_source_file_beside_it_and_refuses_a_whole_document_with_an_unknown_media_type()
    {
        Directory.CreateDirectory(store.PathOf("files"));
        File.Copy(SourcePath("msft-2025-08-15-review.html"), store.PathOf("files/review.html"));
        await File.WriteAllBytesAsync(store.PathOf("files/scan.png"), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]);
        var review = Repo.Sample()["statements"]!.AsArray().Select(s => s!.DeepClone().AsObject()).Single(s => (string)s["id"]! == "msft-2025-08-15-review");
        review["source"]!["archive"] = "files/review.html";
        var document = new JsonObject { ["matter"] = "microsoft/review-only", ["organization"] = "Microsoft", ["title"] = "Review", ["statements"] = new JsonArray(review) };
        await File.WriteAllTextAsync(store.PathOf("doc.json"), document.ToJsonString());
        var refusedStatement = review.DeepClone().AsObject();
        refusedStatement["id"] = "msft-2025-08-15-review-scan";
        refusedStatement["source"]!["archive"] = "files/scan.png";
        var refusedDocument = new JsonObject { ["matter"] = "microsoft/scan", ["organization"] = "Microsoft", ["title"] = "Scan", ["statements"] = new JsonArray(refusedStatement) };
        await File.WriteAllTextAsync(store.PathOf("scan.json"), refusedDocument.ToJsonString());

        var imported = await store.RunAsync("import", store.PathOf("doc.json"));
        var status = JsonAssert.Parse(await store.RunAsync("status", "microsoft/review-only", "--json"));
        var before = await store.ExportAsync();
        var again = await store.RunAsync("import", store.PathOf("doc.json"));
        var refused = await store.RunAsync("import", store.PathOf("scan.json"));

        Assert.True(imported.ExitCode == 0, imported.ToString());
        var archived = Assert.Single(status["archivedSources"]!.AsArray())!;
        Assert.Equal(("msft-2025-08-15-review", Sha256Of(store.PathOf("files/review.html")), true),
            ((string)archived["statementId"]!, (string)archived["sha256"]!, (bool)archived["quoteFound"]!));
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("statements[0] (id \"msft-2025-08-15-review-scan\"): field \"source.archive\": file \"files/scan.png\" is not HTML, PDF or plain text", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, await store.ExportAsync());
    }
}
