using System.Text.Json.Nodes;

namespace Ledger.Diffing;

public static partial class JsonPatch
{
    public static JsonArray Diff(JsonNode? from, JsonNode? to)
    {
        var patch = new JsonArray();
        DiffInto(patch, "", from, to);
        return patch;
    }

    private static void DiffInto(JsonArray patch, string path, JsonNode? from, JsonNode? to)
    {
        if (DeepEquals(from, to))
        {
            return;
        }

        switch (Normalize(from), Normalize(to))
        {
            case (JsonObject a, JsonObject b):
                DiffObjects(patch, path, a, b);
                break;
            case (JsonArray a, JsonArray b):
                DiffArrays(patch, path, a, b);
                break;
            default:
                patch.Add(Operation("replace", path, to));
                break;
        }
    }

    private static void DiffObjects(JsonArray patch, string path, JsonObject from, JsonObject to)
    {
        foreach (var (key, value) in from)
        {
            var child = JsonPointer.Append(path, key);
            if (to.TryGetPropertyValue(key, out var other))
            {
                DiffInto(patch, child, value, other);
            }
            else
            {
                patch.Add(Operation("remove", child));
            }
        }

        foreach (var (key, value) in to)
        {
            if (!from.ContainsKey(key))
            {
                patch.Add(Operation("add", JsonPointer.Append(path, key), value));
            }
        }
    }

    private static void DiffArrays(JsonArray patch, string path, JsonArray from, JsonArray to)
    {
        var shorter = Math.Min(from.Count, to.Count);
        var prefix = 0;
        while (prefix < shorter && DeepEquals(from[prefix], to[prefix]))
        {
            prefix++;
        }

        var suffix = 0;
        while (suffix < shorter - prefix && DeepEquals(from[from.Count - 1 - suffix], to[to.Count - 1 - suffix]))
        {
            suffix++;
        }

        var fromMiddle = from.Count - prefix - suffix;
        var toMiddle = to.Count - prefix - suffix;
        var paired = Math.Min(fromMiddle, toMiddle);
        for (var i = prefix; i < prefix + paired; i++)
        {
            DiffInto(patch, JsonPointer.Append(path, i), from[i], to[i]);
        }

        // Highest index first so each remove leaves the indices still to be removed unchanged.
        for (var i = prefix + fromMiddle - 1; i >= prefix + paired; i--)
        {
            patch.Add(Operation("remove", JsonPointer.Append(path, i)));
        }

        for (var i = prefix + paired; i < prefix + toMiddle; i++)
        {
            patch.Add(Operation("add", JsonPointer.Append(path, i), to[i]));
        }
    }

    private static JsonObject Operation(string op, string path) => new() { ["op"] = op, ["path"] = path };

    private static JsonObject Operation(string op, string path, JsonNode? value) =>
        new() { ["op"] = op, ["path"] = path, ["value"] = value?.DeepClone() };
}
