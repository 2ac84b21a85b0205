using System.Text;
using Ledger.Importing;
using static Ledger.Specs.SpecLedger;

namespace Ledger.Specs;

/// <summary>Input a parser lets through but the ledger must refuse, each with the file, the place and the field named.</summary>
public class HostileInputSpecs
{
    private const string File = "hostile.json";

    public static TheoryData<string, byte[]> BadUtf8 => new()
    {
        { "bytes ff fe", [0xFF, 0xFE] },
        { "a lone continuation byte", [0x80] },
        { "a truncated two-byte form", [0xC3] },
        { "an overlong slash in two bytes", [0xC0, 0xAF] },
        { "an overlong slash in three bytes", [0xE0, 0x80, 0xAF] },
        { "an overlong slash in four bytes", [0xF0, 0x80, 0x80, 0xAF] },
        { "an encoded high surrogate", [0xED, 0xA0, 0x80] },
        { "an encoded low surrogate", [0xED, 0xBF, 0xBF] },
        { "a code point above U+10FFFF", [0xF4, 0x90, 0x80, 0x80] },
        { "a five-byte form", [0xF8, 0x88, 0x80, 0x80, 0x80] },
    };

    [Theory]
    [MemberData(nameof(BadUtf8))]
    public void Bytes_that_are_not_utf8_in_a_quote_are_refused_naming_the_file_and_byte_offset(string what, byte[] bad)
    {
        var (prefix, suffix) = Split(Document(Statement("s1", "ReviewConcluded", "2025-05-15")), "Quote of s1.");

        var errors = Read([.. prefix, .. bad, .. suffix]);

        var error = Assert.Single(errors);
        Assert.Contains($"byte offset {prefix.Length} of the file", error.ToString(), StringComparison.Ordinal);
        Assert.StartsWith(File, error.ToString(), StringComparison.Ordinal);
        Assert.True(error.Message.Contains("not valid UTF-8", StringComparison.Ordinal), what);
    }

    [Fact]
    public void Bytes_that_are_not_utf8_in_a_key_are_refused_naming_the_byte_offset()
    {
        var (prefix, suffix) = Split(Document(Statement("s1", "ReviewConcluded", "2025-05-15")), "quote");

        var error = Assert.Single(Read([.. prefix, 0xFF, .. suffix]));

        Assert.Contains($"byte offset {prefix.Length} of the file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_encoding_line_of_ndjson_is_refused_like_a_line_that_is_not_json()
    {
        var good = Encoding.UTF8.GetBytes(Document(Statement("s1", "ReviewConcluded", "2025-05-15")) + "\n");
        var (prefix, suffix) = Split(DocumentFor("acme/other", Statement("s2", "ReviewConcluded", "2025-05-15")), "Quote of s2.");
        var notJson = Encoding.UTF8.GetBytes("\n{\"matter\": tru}\n");

        var errors = Read([.. good, .. prefix, 0xC0, 0xAF, .. suffix, .. notJson]);

        Assert.Equal(["line 2", "line 3"], errors.Select(e => e.Location.Document));
        Assert.Contains($"byte offset {good.Length + prefix.Length} of the file", errors[0].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\\ud800", "quote")]
    [InlineData("\\udc00", "quote")]
    [InlineData("\\ud800\\u0041", "quote")]
    public void An_escaped_lone_surrogate_in_a_value_is_refused_naming_the_field(string escaped, string field)
    {
        var json = Document(Statement("s1", "ReviewConcluded", "2025-05-15")).Replace("Quote of s1.", "Quote " + escaped, StringComparison.Ordinal);

        var error = Assert.Single(Read(Encoding.UTF8.GetBytes(json)));

        Assert.Equal($"statements[0].{field}", error.Field);
        Assert.Contains("lone surrogate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_escaped_lone_surrogate_in_a_key_is_refused()
    {
        var json = Document(Statement("s1", "ReviewConcluded", "2025-05-15")).Replace("\"quote\"", "\"quote\\udc00\"", StringComparison.Ordinal);

        var error = Assert.Single(Read(Encoding.UTF8.GetBytes(json)));

        Assert.Contains("lone surrogate", error.Message, StringComparison.Ordinal);
        Assert.Equal("statements[0]", error.Field);
    }

    [Theory]
    [InlineData("statements[0].quote", "\"quote\":\"Quote of s1.\"", "\"quote\":\"We will end the contract.\",\"quote\":\"We will keep the contract.\"")]
    [InlineData("statements[0].id", "\"id\":\"s1\"", "\"id\":\"s1\",\"id\":\"s9\"")]
    [InlineData("matter", "\"matter\":\"acme/data-review\"", "\"matter\":\"acme/data-review\",\"matter\":\"acme/other\"")]
    [InlineData("statements[0].publishedAt", "\"publishedAt\":\"2025-05-15\"", "\"publishedAt\":\"2025-05-15\",\"publishedAt\":\"2025-05-16\"")]
    [InlineData("statements", "\"statements\":[", "\"statements\":[],\"statements\":[")]
    [InlineData("statements[0].promise.dueBy", "\"dueBy\":\"2025-07-01\"", "\"dueBy\":\"2025-07-01\",\"dueBy\":\"2025-08-01\"")]
    public void A_duplicate_key_is_refused_naming_the_key_and_where_it_is(string path, string once, string twice)
    {
        var json = Document(Promise("s1", "2025-05-15", "p1", "2025-07-01"));
        Assert.Contains(once, json, StringComparison.Ordinal);

        var error = Assert.Single(Read(Encoding.UTF8.GetBytes(json.Replace(once, twice, StringComparison.Ordinal))));

        Assert.Equal(path, error.Field);
        Assert.Contains($"the key \"{path.Split('.')[^1]}\" appears twice", error.Message, StringComparison.Ordinal);
        Assert.Matches(@"^hostile\.json: line 1, column \d+: field ", error.ToString());
    }

    [Theory]
    [InlineData("quote", "\\u001b[2J")]
    [InlineData("quote", "\\u001b]0;title\\u0007")]
    [InlineData("quote", "\\u0000")]
    [InlineData("quote", "line\\r\\nbreak")]
    [InlineData("source.title", "\\u009b31m")]
    [InlineData("speaker.name", "\u0085")]
    public void Control_characters_in_a_statements_text_are_refused_naming_statement_and_field(string field, string text)
    {
        var statement = Statement("s1", "ReviewConcluded", "2025-05-15", "\"speaker\":{\"name\":\"Ann\"}")
            .Replace("\"url\":\"https://example.org/s1\"", "\"url\":\"https://example.org/s1\",\"title\":\"T\"", StringComparison.Ordinal);
        var value = field switch { "quote" => "Quote of s1.", "source.title" => "T", _ => "Ann" };
        var json = Document(statement).Replace($"\"{value}\"", $"\"{value}{text}\"", StringComparison.Ordinal);

        var decision = new SpecLedger().Decide(json, At("2026-01-10"), File);

        var error = Assert.Single(decision.Errors);
        Assert.Equal(field, error.Field);
        Assert.Equal((0, "s1"), (error.Location.StatementIndex, error.Location.StatementId));
        Assert.Contains("control character", error.Message, StringComparison.Ordinal);
        Assert.Empty(decision.Events);
    }

    [Theory]
    [InlineData("organization")]
    [InlineData("title")]
    public void Control_characters_in_a_documents_text_are_refused(string field)
    {
        var json = Document(Statement("s1", "ReviewConcluded", "2025-05-15")).Replace($"\"{field}\":\"", $"\"{field}\":\"\\u001b]0;owned\\u0007", StringComparison.Ordinal);

        var error = Assert.Single(new SpecLedger().Decide(json, At("2026-01-10"), File).Errors);

        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void Tab_and_newline_are_text()
    {
        var json = Document(Statement("s1", "ReviewConcluded", "2025-05-15")).Replace("Quote of s1.", "First line\\n\\tsecond line", StringComparison.Ordinal);

        var decision = new SpecLedger().Decide(json, At("2026-01-10"), File);

        Assert.Empty(decision.Errors);
    }

    [Theory]
    [InlineData("{\"matter\": \"acme/x\", }", "line 1, column ")]
    [InlineData("{\"matter\": tru }", "line 1, column ")]
    [InlineData("{\n\"matter\": \"acme/x\"", "line 2, column ")]
    [InlineData("{\"matter\": \"a\u0001\"}", "line 1, column ")]
    public void Text_that_is_not_json_is_explained_in_plain_words_with_its_place(string text, string place)
    {
        var error = Assert.Single(Read(Encoding.UTF8.GetBytes(text)));

        Assert.StartsWith(place, error.Location.Document, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("BytePositionInLine", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("reader options", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Expected", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"matter\": \"a/b\", statements: []}", "line 1, column 19", "a key must be text in double quotes, but 's' starts one")]
    [InlineData("hello world", "line 1, column 1", "this is not JSON: a value is text in double quotes, a number, true, false, null, an object or an array, and cannot start with 'h'")]
    [InlineData("{\"matter\": \"été\" \"x\": 1}", "line 1, column 18", "after a value comes ',' or a closing '}' or ']', not '\"'")]
    [InlineData("{\"matter\" 1}", "line 1, column 11", "a key must be followed by ':', not '1'")]
    [InlineData("{\"matter\": \"a\\qb\"}", "line 1, column ", "a backslash in text starts an escape, and \\q is none; write \\\\ for a backslash")]
    [InlineData("{\"matter\": \"ab", "line 1, column ", "a text is not closed: its closing '\"' is missing")]
    public void Common_syntax_errors_read_as_what_is_wrong_and_where_in_characters(string text, string place, string message)
    {
        var error = Assert.Single(Read(Encoding.UTF8.GetBytes(text)));

        Assert.StartsWith(place, error.Location.Document, StringComparison.Ordinal);
        Assert.Equal(message, error.Message);
    }

    private static List<InputError> Read(byte[] utf8)
    {
        var errors = new List<InputError>();
        var documents = ImportDocument.ReadValid(DisclosureReader.Read(File, utf8, errors), "spec", errors).ToList();
        Assert.True(errors.Count > 0, "the input was accepted");
        Assert.True(documents.Count <= 1, "a document after the bad one was accepted");
        return errors;
    }

    private static (byte[] Prefix, byte[] Suffix) Split(string json, string at)
    {
        var index = json.IndexOf(at, StringComparison.Ordinal);
        Assert.True(index >= 0);
        return (Encoding.UTF8.GetBytes(json[..index]), Encoding.UTF8.GetBytes(json[index..]));
    }
}
