using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ledger.Testing;
using Xunit;

namespace Ledger.Diffing.Tests;

// Runs the json-patch/json-patch-tests suites vendored in tests/conformance/json-patch, one test case per enabled record.
public sealed class JsonPatchConformanceTests
{
    private static readonly string[] SuiteFiles = ["tests.json", "spec_tests.json"];

    private static readonly ConcurrentDictionary<string, JsonElement[]> Suites = new(StringComparer.Ordinal);

    public static TheoryData<string, int, string> Records
    {
        get
        {
            var data = new TheoryData<string, int, string>();
            foreach (var file in SuiteFiles)
            {
                var records = Load(file);
                for (var i = 0; i < records.Length; i++)
                {
                    if (!IsDisabled(records[i]))
                    {
                        var comment = records[i].TryGetProperty("comment", out var c) ? c.GetString() ?? "" : "";
                        data.Add(file, i, comment);
                    }
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Records))]
    public void Record_applies_as_the_suite_expects(string file, int index, string comment)
    {
        var record = Load(file)[index];
        var doc = JsonNode.Parse(record.GetProperty("doc").GetRawText());
        var patch = JsonNode.Parse(record.GetProperty("patch").GetRawText())!.AsArray();
        var docBefore = ToText(doc);
        var patchBefore = patch.ToJsonString();
        var context = $"{file} #{index} ({comment})";

        if (record.TryGetProperty("error", out var error))
        {
            var thrown = Assert.Throws<JsonPatchException>(() => JsonPatch.Apply(doc, patch));
            Assert.StartsWith("patch operation ", thrown.Message, StringComparison.Ordinal);
            Assert.True(thrown.Message.Length > "patch operation 0: ".Length, $"{context}: empty reason, expected: {error}");
        }
        else
        {
            var result = JsonPatch.Apply(doc, patch);
            if (record.TryGetProperty("expected", out var expectedElement))
            {
                var expected = JsonNode.Parse(expectedElement.GetRawText());
                Assert.True(
                    JsonPatch.DeepEquals(expected, result),
                    $"{context}: expected {ToText(expected)} but got {ToText(result)}");
            }
        }

        Assert.Equal(docBefore, ToText(doc));
        Assert.Equal(patchBefore, patch.ToJsonString());
    }

    [Fact]
    public void Suites_are_found_and_not_empty()
    {
        foreach (var file in SuiteFiles)
        {
            var path = JsonPatchSuite(file);
            Assert.True(File.Exists(path), $"Conformance suite {path} is missing.");
            Assert.True(Load(file).Count(r => !IsDisabled(r)) >= 10, $"{path} has fewer records than expected.");
        }
    }

    private static JsonElement[] Load(string file) =>
        Suites.GetOrAdd(file, static name =>
        {
            var path = JsonPatchSuite(name);
            if (!File.Exists(path))
            {
                throw new InvalidOperationException($"Conformance suite {path} is missing.");
            }

            // JsonDocument tolerates the duplicate "op" members that some disabled records carry on purpose.
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            return [.. document.RootElement.EnumerateArray().Select(r => r.Clone())];
        });

    private static string JsonPatchSuite(string file) => Path.Combine(Checkout.Conformance, "json-patch", file);

    private static bool IsDisabled(JsonElement record) =>
        record.TryGetProperty("disabled", out var disabled) && disabled.ValueKind == JsonValueKind.True;

    private static string ToText(JsonNode? node) => node?.ToJsonString() ?? "null";
}
