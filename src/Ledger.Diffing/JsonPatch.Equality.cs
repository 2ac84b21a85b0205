using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ledger.Diffing;

public static partial class JsonPatch
{
    public static bool DeepEquals(JsonNode? a, JsonNode? b)
    {
        a = Normalize(a);
        b = Normalize(b);
        var kind = KindOf(a);
        if (kind != KindOf(b))
        {
            return false;
        }

        switch (kind)
        {
            case JsonValueKind.Object:
                var left = (JsonObject)a!;
                var right = (JsonObject)b!;
                if (left.Count != right.Count)
                {
                    return false;
                }

                foreach (var (key, value) in left)
                {
                    if (!right.TryGetPropertyValue(key, out var other) || !DeepEquals(value, other))
                    {
                        return false;
                    }
                }

                return true;
            case JsonValueKind.Array:
                var first = (JsonArray)a!;
                var second = (JsonArray)b!;
                if (first.Count != second.Count)
                {
                    return false;
                }

                for (var i = 0; i < first.Count; i++)
                {
                    if (!DeepEquals(first[i], second[i]))
                    {
                        return false;
                    }
                }

                return true;
            case JsonValueKind.String:
                return string.Equals(StringOf(a!), StringOf(b!), StringComparison.Ordinal);
            case JsonValueKind.Number:
                return JsonNumber.ValueEquals(a!.ToJsonString(), b!.ToJsonString());
            default:
                return true;
        }
    }

    private static JsonValueKind KindOf(JsonNode? node) => node?.GetValueKind() ?? JsonValueKind.Null;

    // A JsonValue can wrap an arbitrary CLR object that serializes as an object or array; compare its JSON form.
    private static JsonNode? Normalize(JsonNode? node) =>
        node is JsonValue && KindOf(node) is JsonValueKind.Object or JsonValueKind.Array or JsonValueKind.Null
            ? JsonNode.Parse(node.ToJsonString())
            : node;

    private static string StringOf(JsonNode node) =>
        node.AsValue().TryGetValue<string>(out var text)
            ? text
            : JsonSerializer.Deserialize<string>(node.ToJsonString())!;
}
