using System.Text.Json.Nodes;
using Xunit;

namespace Ledger.Diffing.Tests;

public sealed class JsonPatchTests
{
    private static JsonArray Patch(string json) => JsonNode.Parse(json)!.AsArray();

    private static string Text(JsonNode? node) => node?.ToJsonString() ?? "null";

    [Fact]
    public void Apply_returns_a_new_document_and_leaves_inputs_alone()
    {
        var doc = JsonNode.Parse("""{"a":{"b":[1,2]}}""");
        var patch = Patch("""[{"op":"add","path":"/a/b/-","value":{"c":3}},{"op":"replace","path":"/a/b/0","value":9}]""");

        var result = JsonPatch.Apply(doc, patch);

        Assert.Equal("""{"a":{"b":[9,2,{"c":3}]}}""", Text(result));
        Assert.Equal("""{"a":{"b":[1,2]}}""", Text(doc));
        Assert.Equal("""[{"op":"add","path":"/a/b/-","value":{"c":3}},{"op":"replace","path":"/a/b/0","value":9}]""", patch.ToJsonString());
        Assert.NotSame(doc, JsonPatch.Apply(doc, []));
    }

    [Fact]
    public void Result_does_not_share_nodes_with_the_patch()
    {
        var patch = Patch("""[{"op":"add","path":"/x","value":{"y":1}}]""");
        var result = JsonPatch.Apply(new JsonObject(), patch)!;

        result["x"]!["y"] = 2;

        Assert.Equal("""[{"op":"add","path":"/x","value":{"y":1}}]""", patch.ToJsonString());
    }

    [Fact]
    public void A_failing_operation_leaves_the_input_unchanged()
    {
        var doc = JsonNode.Parse("""{"a":1,"list":[1,2,3]}""");
        var patch = Patch("""
            [{"op":"remove","path":"/list/0"},
             {"op":"add","path":"/b","value":2},
             {"op":"remove","path":"/a/b"}]
            """);

        var error = Assert.Throws<JsonPatchException>(() => JsonPatch.Apply(doc, patch));

        Assert.Equal("patch operation 2 (remove /a/b): path does not exist: its parent is 1, not an object or array", error.Message);
        Assert.Equal("""{"a":1,"list":[1,2,3]}""", Text(doc));
    }

    [Theory]
    [InlineData("""[{"op":"remove","path":"/a/x"}]""", "patch operation 0 (remove /a/x): path does not exist")]
    [InlineData("""[{"op":"test","path":"/a/b/0","value":1},{"op":"remove","path":"/missing"}]""", "patch operation 1 (remove /missing): path does not exist")]
    [InlineData("""[{"path":"/a"}]""", "patch operation 0: missing \"op\" member")]
    [InlineData("""[{"op":"add","value":1}]""", "patch operation 0 (add): missing \"path\" member")]
    [InlineData("""[{"op":"add","path":"/x"}]""", "patch operation 0 (add /x): missing \"value\" member")]
    [InlineData("""[{"op":"copy","path":"/x"}]""", "patch operation 0 (copy /x): missing \"from\" member")]
    [InlineData("""[{"op":"spam","path":"/a"}]""", "patch operation 0 (spam): unknown op \"spam\"")]
    [InlineData("""[{"op":"add","path":null,"value":1}]""", "patch operation 0 (add): \"path\" must be a string, not null")]
    [InlineData("""[1]""", "patch operation 0: operation must be a JSON object")]
    [InlineData("""[{"op":"remove","path":""}]""", "patch operation 0 (remove \"\"): cannot remove the document root")]
    [InlineData("""[{"op":"move","from":"/a","path":"/a/x"}]""", "patch operation 0 (move /a/x): cannot move a location into one of its own children")]
    [InlineData("""[{"op":"move","from":"/nope","path":"/x"}]""", "patch operation 0 (move /x): \"from\" location /nope does not exist")]
    [InlineData("""[{"op":"copy","from":"/a/b/2","path":"/x"}]""", "patch operation 0 (copy /x): \"from\" location /a/b/2 does not exist")]
    [InlineData("""[{"op":"test","path":"/a","value":"x"}]""", "patch operation 0 (test /a): test failed: value is {\"b\":[1,2]}, expected \"x\"")]
    [InlineData("""[{"op":"add","path":"/a/b/3","value":0}]""", "patch operation 0 (add /a/b/3): array index 3 is out of bounds (array has 2 elements)")]
    [InlineData("""[{"op":"add","path":"/a/b/01","value":0}]""", "patch operation 0 (add /a/b/01): \"01\" is not a valid array index")]
    [InlineData("""[{"op":"replace","path":"/a/b/-","value":0}]""", "patch operation 0 (replace /a/b/-): path does not exist")]
    [InlineData("""[{"op":"add","path":"a","value":0}]""", "patch operation 0 (add a): invalid JSON pointer \"a\": must be empty or start with \"/\"")]
    public void Errors_name_the_operation_index_op_and_path(string patch, string message)
    {
        var doc = JsonNode.Parse("""{"a":{"b":[1,2]}}""");
        var error = Assert.Throws<JsonPatchException>(() => JsonPatch.Apply(doc, Patch(patch)));
        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("""{"a":[1,2,3]}""", """[{"op":"move","from":"/a/0","path":"/a/-"}]""", """{"a":[2,3,1]}""")]
    [InlineData("""{"a":[1,2,3]}""", """[{"op":"move","from":"/a/2","path":"/a/0"}]""", """{"a":[3,1,2]}""")]
    [InlineData("""{"a":{"b":1}}""", """[{"op":"move","from":"/a","path":"/c"}]""", """{"c":{"b":1}}""")]
    [InlineData("""{"a":{"b":1}}""", """[{"op":"move","from":"/a/b","path":"/a/b"}]""", """{"a":{"b":1}}""")]
    [InlineData("""{"a":{"b":1}}""", """[{"op":"move","from":"/a/b","path":""}]""", "1")]
    [InlineData("""{"a":1}""", """[{"op":"copy","from":"","path":"/self"}]""", """{"a":1,"self":{"a":1}}""")]
    [InlineData("""[1]""", """[{"op":"test","path":"/0","value":1.0},{"op":"test","path":"","value":[10e-1]}]""", "[1]")]
    [InlineData("null", """[{"op":"test","path":"","value":null},{"op":"add","path":"","value":{"a":1}}]""", """{"a":1}""")]
    [InlineData("""{"a":{"b":1}}""", """[{"op":"replace","path":"","value":[1]},{"op":"add","path":"/0","value":0}]""", "[0,1]")]
    public void Operations_follow_rfc_6902(string doc, string patch, string expected)
    {
        var result = JsonPatch.Apply(JsonNode.Parse(doc), Patch(patch));
        Assert.True(JsonPatch.DeepEquals(JsonNode.Parse(expected), result), Text(result));
    }

    [Fact]
    public void Null_document_can_only_be_replaced_or_tested()
    {
        Assert.Throws<JsonPatchException>(() => JsonPatch.Apply(null, Patch("""[{"op":"add","path":"/a","value":1}]""")));
        Assert.Equal("2", Text(JsonPatch.Apply(null, Patch("""[{"op":"replace","path":"","value":2}]"""))));
    }

    [Theory]
    [InlineData("1", "1.0", true)]
    [InlineData("1", "10e-1", true)]
    [InlineData("0", "-0.0", true)]
    [InlineData("100", "1E2", true)]
    [InlineData("123456789012345678901234567890.5", "1234567890123456789012345678905e-1", true)]
    [InlineData("123456789012345678901234567890", "123456789012345678901234567891", false)]
    [InlineData("1", "\"1\"", false)]
    [InlineData("1", "-1", false)]
    [InlineData("null", "false", false)]
    [InlineData("true", "true", true)]
    [InlineData("\"a\"", "\"\\u0061\"", true)]
    [InlineData("""{"a":1,"b":[1,{"c":null}]}""", """{"b":[1.0,{"c":null}],"a":1}""", true)]
    [InlineData("""{"a":1}""", """{"a":1,"b":null}""", false)]
    [InlineData("[1,2]", "[2,1]", false)]
    [InlineData("[]", "{}", false)]
    public void DeepEquals_compares_json_values(string a, string b, bool equal)
    {
        Assert.Equal(equal, JsonPatch.DeepEquals(JsonNode.Parse(a), JsonNode.Parse(b)));
        Assert.Equal(equal, JsonPatch.DeepEquals(JsonNode.Parse(b), JsonNode.Parse(a)));
    }

    [Fact]
    public void DeepEquals_compares_numbers_of_any_clr_type_by_value()
    {
        Assert.True(JsonPatch.DeepEquals(JsonValue.Create(1), JsonValue.Create(1.0)));
        Assert.True(JsonPatch.DeepEquals(JsonValue.Create(0.5m), JsonNode.Parse("5e-1")));
        Assert.True(JsonPatch.DeepEquals(JsonValue.Create(2.50m), JsonValue.Create(2.5f)));
        Assert.False(JsonPatch.DeepEquals(JsonValue.Create(1L), JsonValue.Create(1.5)));
        Assert.True(JsonPatch.DeepEquals(JsonValue.Create('x'), JsonValue.Create("x")));
        Assert.True(JsonPatch.DeepEquals(null, JsonNode.Parse("null")));
    }

    [Fact]
    public void Diff_emits_the_documented_deterministic_patch()
    {
        var from = JsonNode.Parse("""{"gone":1,"same":{"x":1},"changed":{"k":"v","drop":true},"list":[1,2,3,4,5],"kind":[1]}""");
        var to = JsonNode.Parse("""{"kind":{"now":"object"},"list":[1,9,{"n":1},4,5,6],"changed":{"k":"w"},"same":{"x":1.0},"new/key~":[]}""");

        var patch = JsonPatch.Diff(from, to);

        Assert.Equal(
            """
            [{"op":"remove","path":"/gone"},{"op":"replace","path":"/changed/k","value":"w"},{"op":"remove","path":"/changed/drop"},{"op":"replace","path":"/list/1","value":9},{"op":"replace","path":"/list/2","value":{"n":1}},{"op":"add","path":"/list/5","value":6},{"op":"replace","path":"/kind","value":{"now":"object"}},{"op":"add","path":"/new~1key~0","value":[]}]
            """,
            patch.ToJsonString());
        Assert.True(JsonPatch.DeepEquals(to, JsonPatch.Apply(from, patch)));
    }

    [Fact]
    public void Diff_trims_common_prefix_and_suffix_of_arrays()
    {
        var from = JsonNode.Parse("[0,1,2,3,4,5,9]");
        var to = JsonNode.Parse("[0,7,9]");

        Assert.Equal(
            """[{"op":"replace","path":"/1","value":7},{"op":"remove","path":"/5"},{"op":"remove","path":"/4"},{"op":"remove","path":"/3"},{"op":"remove","path":"/2"}]""",
            JsonPatch.Diff(from, to).ToJsonString());
        Assert.Equal(
            """[{"op":"add","path":"/1","value":8},{"op":"add","path":"/2","value":9}]""",
            JsonPatch.Diff(JsonNode.Parse("[1,2]"), JsonNode.Parse("[1,8,9,2]")).ToJsonString());
    }

    [Theory]
    [InlineData("1", "2")]
    [InlineData("{}", "[]")]
    [InlineData("null", """{"a":1}""")]
    [InlineData("[1]", "null")]
    public void Diff_replaces_the_root_with_an_empty_path(string from, string to)
    {
        var patch = JsonPatch.Diff(JsonNode.Parse(from), JsonNode.Parse(to));
        Assert.Equal($$"""[{"op":"replace","path":"","value":{{to}}}]""", patch.ToJsonString());
        Assert.True(JsonPatch.DeepEquals(JsonNode.Parse(to), JsonPatch.Apply(JsonNode.Parse(from), patch)));
    }

    [Fact]
    public void Diff_output_does_not_alias_the_target_document()
    {
        var to = JsonNode.Parse("""{"a":{"b":1}}""")!;
        var patch = JsonPatch.Diff(new JsonObject(), to);

        to["a"]!["b"] = 2;

        Assert.Equal("""[{"op":"add","path":"/a","value":{"b":1}}]""", patch.ToJsonString());
    }
}
