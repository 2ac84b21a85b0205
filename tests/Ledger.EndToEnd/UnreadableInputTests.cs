using System.Text;
using Xunit;

namespace Ledger.EndToEnd;

/// <summary>Input that is not UTF-8 or not JSON is invalid input (exit 2), explained in plain words with its place.</summary>
public sealed class UnreadableInputTests : IDisposable
{
    private readonly TempStore store = new();

    public void Dispose() => store.Dispose();

    [Fact]
    public async Task Bytes_that_are_not_utf8_inside_a_quote_exit_2_naming_the_file_and_byte_offset()
    {
        var text = Encoding.UTF8.GetBytes(Repo.Sample().ToJsonString());
        var at = text.AsSpan().IndexOf("\"quote\":\""u8) + "\"quote\":\"".Length;
        var file = store.PathOf("not-utf8.json");
        await File.WriteAllBytesAsync(file, [.. text[..at], 0xFF, 0xFE, .. text[at..]]);

        var result = await store.RunAsync("import", file);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(file, result.Stderr, StringComparison.Ordinal);
        Assert.Contains($"not valid UTF-8 at byte offset {at} of the file", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("store failed", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(await store.ExportAsync());
    }

    [Fact]
    public async Task Text_that_is_not_json_says_what_is_wrong_and_where_without_parser_internals()
    {
        var file = store.PathOf("not-json.json");
        await File.WriteAllTextAsync(file, "{\"matter\": \"acme/x\",\n  statements: []}\n");

        var result = await store.RunAsync("import", file);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"{file}: line 2, column 3: a key must be text in double quotes, but 's' starts one", result.Stderr, StringComparison.Ordinal);
        foreach (var internals in new[] { "LineNumber", "BytePositionInLine", "reader options", "Expected", "invalid start" })
        {
            Assert.DoesNotContain(internals, result.Stderr, StringComparison.Ordinal);
        }
    }
}
