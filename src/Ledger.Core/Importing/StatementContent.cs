using System.Text.Json;
using System.Text.Json.Nodes;
using Ledger.Events;
using Ledger.Serialization;

namespace Ledger.Importing;

/// <summary>A statement as its author wrote it: the input fields, without what the ledger adds.</summary>
public static class StatementContent
{
    private static readonly string[] LedgerFields = ["statementId", "matter", "recordedAt", "recordedBy", "quoteSha256"];

    public static JsonObject ToInput(Statement statement)
    {
        var data = JsonNode.Parse(LedgerJson.Serialize(statement))!.AsObject();
        var input = new JsonObject { ["id"] = statement.StatementId, ["type"] = statement.Type };
        foreach (var (name, value) in data.ToArray())
        {
            if (name != "type" && !LedgerFields.Contains(name))
            {
                data.Remove(name);
                input[name] = value;
            }
        }

        return input;
    }

    /// <summary>Identity of content: equal for the same statement however its JSON was spaced or ordered.</summary>
    public static string Fingerprint(Statement statement) => Hashing.Sha256Hex(Canonical(ToInput(statement)));

    public static string Canonical(JsonNode? node)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteSorted(writer, node);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteSorted(Utf8JsonWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                writer.WriteStartObject();
                foreach (var (name, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(name);
                    WriteSorted(writer, value);
                }

                writer.WriteEndObject();
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var item in array)
                {
                    WriteSorted(writer, item);
                }

                writer.WriteEndArray();
                break;
            case null:
                writer.WriteNullValue();
                break;
            default:
                node.WriteTo(writer);
                break;
        }
    }
}
