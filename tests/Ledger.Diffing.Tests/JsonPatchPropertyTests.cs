using System.Text.Json.Nodes;
using CsCheck;
using Xunit;

namespace Ledger.Diffing.Tests;

public sealed class JsonPatchPropertyTests
{
    // A tiny alphabet makes shared keys between two documents likely; "/" and "~" exercise pointer escaping.
    private static readonly Gen<string> GenKey = Gen.Char["ab/~0"].Array[0, 3].Select(chars => new string(chars));

    private static readonly Gen<JsonNode?> GenScalar = Gen.OneOf<JsonNode?>(
        Gen.Const<JsonNode?>(() => null),
        Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b)),
        Gen.Int[-3, 3].Select(i => (JsonNode?)JsonValue.Create(i)),
        Gen.Int[-3, 3].Select(i => JsonNode.Parse($"{i}.0")),
        Gen.Int[-300, 300].Select(i => (JsonNode?)JsonValue.Create(i / 100m)),
        Gen.Int[-20, 20].Select(i => (JsonNode?)JsonValue.Create(i / 4.0)),
        Gen.Char["ab /~"].Array[0, 3].Select(chars => (JsonNode?)JsonValue.Create(new string(chars))));

    private static readonly Gen<JsonNode?> GenJson = Gen.Recursive<JsonNode?>((depth, self) =>
    {
        if (depth >= 3)
        {
            return GenScalar;
        }

        var genObject = Gen.Select(GenKey, self).Array[0, 4].Select(members =>
        {
            var obj = new JsonObject();
            foreach (var (key, value) in members)
            {
                obj[key] = value;
            }

            return (JsonNode?)obj;
        });
        var genArray = self.Array[0, 4].Select(items => (JsonNode?)new JsonArray(items));
        return Gen.Frequency((2, GenScalar), (1, genObject), (1, genArray));
    });

    private static readonly Gen<Mutation> GenMutation =
        Gen.Select(Gen.Int[0, 1000], Gen.Int[0, 3], GenKey, GenJson, (pick, kind, key, value) => new Mutation(pick, kind, key, value));

    private static readonly Gen<(JsonNode? A, JsonNode? B)> GenPair = Gen.OneOf(
        Gen.Select(GenJson, GenJson),
        Gen.Select(GenJson, GenMutation.Array[1, 4], (a, mutations) => (a, Mutate(a, mutations))));

    [Fact]
    public void Applying_the_diff_reproduces_the_target_without_touching_the_source()
    {
        GenPair.Sample(
            pair =>
            {
                var (a, b) = pair;
                var aText = Text(a);
                var bText = Text(b);

                var patch = JsonPatch.Diff(a, b);
                var result = JsonPatch.Apply(a, patch);

                Assert.True(JsonPatch.DeepEquals(result, b), $"diff {patch.ToJsonString()} gave {Text(result)}");
                Assert.Equal(aText, Text(a));
                Assert.Equal(bText, Text(b));
                Assert.True(JsonPatch.DeepEquals(b, JsonPatch.Apply(a, JsonNode.Parse(patch.ToJsonString())!.AsArray())));
            },
            iter: 2000,
            print: Print);
    }

    [Fact]
    public void Diff_operations_are_well_formed()
    {
        GenPair.Sample(
            pair =>
            {
                foreach (var operation in JsonPatch.Diff(pair.A, pair.B).Select(o => o!.AsObject()))
                {
                    var members = operation.Select(m => m.Key).ToArray();
                    var op = operation["op"]!.GetValue<string>();
                    Assert.Equal(op == "remove" ? ["op", "path"] : ["op", "path", "value"], members);
                    Assert.Contains(op, new[] { "add", "remove", "replace" });
                    _ = JsonPointer.Parse(operation["path"]!.GetValue<string>());
                }
            },
            iter: 500,
            print: Print);
    }

    [Fact]
    public void Diff_of_equal_documents_is_empty()
    {
        GenJson.Sample(
            a =>
            {
                Assert.Empty(JsonPatch.Diff(a, a));
                Assert.Empty(JsonPatch.Diff(a, a?.DeepClone()));
                Assert.Empty(JsonPatch.Diff(a, JsonNode.Parse(Text(a))));
                Assert.True(JsonPatch.DeepEquals(a, JsonPatch.Apply(a, [])));
            },
            iter: 1000,
            print: a => Text(a));
    }

    [Fact]
    public void Diff_is_deterministic_and_DeepEquals_is_symmetric()
    {
        GenPair.Sample(
            pair =>
            {
                Assert.Equal(JsonPatch.Diff(pair.A, pair.B).ToJsonString(), JsonPatch.Diff(pair.A?.DeepClone(), pair.B?.DeepClone()).ToJsonString());
                Assert.Equal(JsonPatch.DeepEquals(pair.A, pair.B), JsonPatch.DeepEquals(pair.B, pair.A));
                Assert.Equal(JsonPatch.DeepEquals(pair.A, pair.B), JsonPatch.Diff(pair.A, pair.B).Count == 0);
            },
            iter: 500,
            print: Print);
    }

    private static string Text(JsonNode? node) => node?.ToJsonString() ?? "null";

    private static string Print((JsonNode? A, JsonNode? B) pair) => $"a = {Text(pair.A)}, b = {Text(pair.B)}";

    // Edits a copy of the document at randomly picked places, giving a target close to the source.
    private static JsonNode? Mutate(JsonNode? source, Mutation[] mutations)
    {
        var root = source?.DeepClone();
        foreach (var mutation in mutations)
        {
            var nodes = new List<JsonNode>();
            Collect(root, nodes);
            var value = mutation.Value?.DeepClone();
            if (nodes.Count == 0)
            {
                root = value;
                continue;
            }

            var node = nodes[mutation.Pick % nodes.Count];
            switch (mutation.Kind, node)
            {
                case (0, _) when node.Parent is null:
                    root = value;
                    break;
                case (0, _):
                    node.ReplaceWith(value);
                    break;
                case (1, JsonObject obj):
                    obj[mutation.Key] = value;
                    break;
                case (1, JsonArray array):
                    array.Insert(mutation.Pick % (array.Count + 1), value);
                    break;
                case (2, JsonObject obj) when obj.Count > 0:
                    obj.Remove(obj.ElementAt(mutation.Pick % obj.Count).Key);
                    break;
                case (2, JsonArray array) when array.Count > 0:
                    array.RemoveAt(mutation.Pick % array.Count);
                    break;
                case (3, JsonArray array) when array.Count > 1:
                    var moved = array[mutation.Pick % array.Count];
                    array.RemoveAt(mutation.Pick % array.Count);
                    array.Insert(mutation.Pick / 7 % (array.Count + 1), moved);
                    break;
                default:
                    break;
            }
        }

        return root;
    }

    private static void Collect(JsonNode? node, List<JsonNode> nodes)
    {
        if (node is null)
        {
            return;
        }

        nodes.Add(node);
        var children = node switch
        {
            JsonObject obj => obj.Select(m => m.Value),
            JsonArray array => array,
            _ => [],
        };
        foreach (var child in children)
        {
            Collect(child, nodes);
        }
    }

    private sealed record Mutation(int Pick, int Kind, string Key, JsonNode? Value);
}
