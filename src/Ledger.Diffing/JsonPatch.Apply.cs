using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ledger.Diffing;

public static partial class JsonPatch
{
    public static JsonNode? Apply(JsonNode? document, JsonArray patch)
    {
        ArgumentNullException.ThrowIfNull(patch);

        // Every operation works on a private copy, which is what makes the patch atomic.
        var root = document?.DeepClone();
        for (var i = 0; i < patch.Count; i++)
        {
            ApplyOperation(ref root, i, patch[i]);
        }

        return root;
    }

    private static void ApplyOperation(ref JsonNode? root, int index, JsonNode? node)
    {
        if (node is not JsonObject operation)
        {
            throw new Failure(index, null, null).Because("operation must be a JSON object");
        }

        var op = ReadString(operation, "op", new Failure(index, null, null));
        var context = new Failure(index, op, null);
        if (op is not ("add" or "remove" or "replace" or "move" or "copy" or "test"))
        {
            throw context.Because($"unknown op \"{op}\"");
        }

        var pathText = ReadString(operation, "path", context);
        context = new Failure(index, op, pathText);
        var path = ParsePointer(pathText, context);

        switch (op)
        {
            case "add":
                Add(ref root, path, ReadValue(operation, context), context);
                break;
            case "remove":
                Remove(root, path, context, "path");
                break;
            case "replace":
                Replace(ref root, path, ReadValue(operation, context), context);
                break;
            case "move" or "copy":
                var fromText = ReadString(operation, "from", context);
                var from = ParsePointer(fromText, context);
                var source = $"\"from\" location {(fromText.Length == 0 ? "\"\"" : fromText)}";
                if (op == "move")
                {
                    Move(ref root, from, path, context, source);
                }
                else
                {
                    Add(ref root, path, Get(root, from, context, source)?.DeepClone(), context);
                }

                break;
            default:
                var expected = ReadValue(operation, context);
                var actual = Get(root, path, context, "path");
                if (!DeepEquals(actual, expected))
                {
                    throw context.Because($"test failed: value is {Show(actual)}, expected {Show(expected)}");
                }

                break;
        }
    }

    private static string ReadString(JsonObject operation, string member, Failure context)
    {
        if (!operation.TryGetPropertyValue(member, out var node))
        {
            throw context.Because($"missing \"{member}\" member");
        }

        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String && value.TryGetValue<string>(out var text))
        {
            return text;
        }

        throw context.Because($"\"{member}\" must be a string, not {Show(node)}");
    }

    // The patch is never handed out: callers get a clone of the value.
    private static JsonNode? ReadValue(JsonObject operation, Failure context) =>
        operation.TryGetPropertyValue("value", out var value)
            ? value?.DeepClone()
            : throw context.Because("missing \"value\" member");

    private static string[] ParsePointer(string pointer, Failure context) =>
        JsonPointer.TryParse(pointer, out var tokens, out var error) ? tokens : throw context.Because(error);

    private static JsonNode? Get(JsonNode? root, string[] path, Failure context, string what)
    {
        var node = root;
        foreach (var token in path)
        {
            node = node switch
            {
                JsonObject obj when obj.TryGetPropertyValue(token, out var child) => child,
                JsonArray array when TryParseIndex(token, out var i) && i < array.Count => array[i],
                _ => throw context.Because($"{what} does not exist"),
            };
        }

        return node;
    }

    private static JsonNode Parent(JsonNode? root, string[] path, Failure context, string what)
    {
        var parent = Get(root, path[..^1], context, what);
        return parent is JsonObject or JsonArray
            ? parent
            : throw context.Because($"{what} does not exist: its parent is {Show(parent)}, not an object or array");
    }

    private static void Add(ref JsonNode? root, string[] path, JsonNode? value, Failure context)
    {
        if (path.Length == 0)
        {
            root = value;
            return;
        }

        var token = path[^1];
        switch (Parent(root, path, context, "parent of path"))
        {
            case JsonObject obj:
                obj[token] = value;
                break;
            case JsonArray array when token == "-":
                array.Add(value);
                break;
            case JsonArray array:
                var index = ArrayIndex(token, context);
                if (index > array.Count)
                {
                    throw context.Because($"array index {token} is out of bounds (array has {array.Count} elements)");
                }

                array.Insert(index, value);
                break;
        }
    }

    private static JsonNode? Remove(JsonNode? root, string[] path, Failure context, string what)
    {
        if (path.Length == 0)
        {
            throw context.Because("cannot remove the document root");
        }

        var token = path[^1];
        var parent = Parent(root, path, context, what);
        if (parent is JsonObject obj)
        {
            if (!obj.TryGetPropertyValue(token, out var member))
            {
                throw context.Because($"{what} does not exist");
            }

            obj.Remove(token);
            return member;
        }

        var array = (JsonArray)parent;
        var index = ArrayIndex(token, context);
        if (index >= array.Count)
        {
            throw context.Because($"{what} does not exist: array index {token} is out of bounds (array has {array.Count} elements)");
        }

        var element = array[index];
        array.RemoveAt(index);
        return element;
    }

    private static void Replace(ref JsonNode? root, string[] path, JsonNode? value, Failure context)
    {
        if (path.Length == 0)
        {
            root = value;
            return;
        }

        _ = Get(root, path, context, "path");
        switch (Parent(root, path, context, "path"))
        {
            case JsonObject obj:
                obj[path[^1]] = value;
                break;
            case JsonArray array:
                array[ArrayIndex(path[^1], context)] = value;
                break;
        }
    }

    private static void Move(ref JsonNode? root, string[] from, string[] path, Failure context, string source)
    {
        _ = Get(root, from, context, source);
        if (from.AsSpan().SequenceEqual(path))
        {
            return;
        }

        if (from.Length < path.Length && from.AsSpan().SequenceEqual(path.AsSpan(0, from.Length)))
        {
            throw context.Because("cannot move a location into one of its own children");
        }

        var value = Remove(root, from, context, source);
        Add(ref root, path, value, context);
    }

    private static int ArrayIndex(string token, Failure context)
    {
        if (token == "-")
        {
            throw context.Because("array index \"-\" refers to the nonexistent element after the last one");
        }

        return TryParseIndex(token, out var index)
            ? index
            : throw context.Because($"\"{token}\" is not a valid array index");
    }

    // RFC 6901: "0" or digits without a leading zero; values too large for an int are out of bounds anyway.
    private static bool TryParseIndex(string token, out int index)
    {
        index = 0;
        if (token.Length == 0 || (token.Length > 1 && token[0] == '0') || !token.All(char.IsAsciiDigit))
        {
            return false;
        }

        index = int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : int.MaxValue;
        return true;
    }

    private static string Show(JsonNode? node)
    {
        var text = node?.ToJsonString() ?? "null";
        return text.Length <= 60 ? text : string.Concat(text.AsSpan(0, 57), "...");
    }

    private sealed class Failure(int index, string? op, string? path)
    {
        public JsonPatchException Because(string reason)
        {
            var where = (op, path) switch
            {
                (null, _) => "",
                (_, null) => $" ({op})",
                (_, "") => $" ({op} \"\")",
                _ => $" ({op} {path})",
            };
            return new JsonPatchException($"patch operation {index}{where}: {reason}");
        }
    }
}
