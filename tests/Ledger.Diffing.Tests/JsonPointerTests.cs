using Xunit;

namespace Ledger.Diffing.Tests;

public sealed class JsonPointerTests
{
    [Theory]
    [InlineData("", "")]
    [InlineData("plain", "plain")]
    [InlineData("a/b", "a~1b")]
    [InlineData("m~n", "m~0n")]
    [InlineData("~1", "~01")]
    [InlineData("/~", "~1~0")]
    public void Escape_encodes_tilde_before_slash(string token, string escaped) =>
        Assert.Equal(escaped, JsonPointer.Escape(token));

    [Theory]
    [InlineData("", new string[0])]
    [InlineData("/", new[] { "" })]
    [InlineData("/foo/0", new[] { "foo", "0" })]
    [InlineData("/a~1b/m~0n", new[] { "a/b", "m~n" })]
    [InlineData("/~01", new[] { "~1" })]
    [InlineData("/foo//", new[] { "foo", "", "" })]
    [InlineData("/ /c%d", new[] { " ", "c%d" })]
    public void Parse_splits_and_unescapes(string pointer, string[] tokens) =>
        Assert.Equal(tokens, JsonPointer.Parse(pointer));

    [Theory]
    [InlineData("foo")]
    [InlineData("#/foo")]
    [InlineData("/foo~")]
    [InlineData("/foo~2")]
    [InlineData("/~a")]
    public void Parse_rejects_malformed_pointers(string pointer)
    {
        var error = Assert.Throws<JsonPatchException>(() => JsonPointer.Parse(pointer));
        Assert.Contains(pointer, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b~c")]
    [InlineData("~/~/")]
    [InlineData("~01")]
    public void Escape_then_parse_round_trips(string token) =>
        Assert.Equal([token], JsonPointer.Parse("/" + JsonPointer.Escape(token)));
}
