using System.Text.Json;
using System.Text.Json.Serialization;
using Ledger.Events;
using Ledger.Serialization;

namespace Ledger.Store.Marten.Projections;

/// <summary>
/// A statement inside a projected document: its stable type name beside its data in the ledger's own JSON.
/// System.Text.Json cannot read the abstract Statement on its own; concrete event types never reach this converter.
/// </summary>
internal sealed class StatementJsonConverter : JsonConverter<Statement>
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert == typeof(Statement);

    public override Statement Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        var type = document.RootElement.GetProperty("type").GetString()
            ?? throw new JsonException("a projected statement has no type");
        return LedgerJson.Deserialize(type, document.RootElement.GetProperty("data").GetRawText()) as Statement
            ?? throw new JsonException($"projected event type {type} is not a statement");
    }

    public override void Write(Utf8JsonWriter writer, Statement value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("type", value.Type);
        writer.WritePropertyName("data");
        writer.WriteRawValue(LedgerJson.Serialize(value));
        writer.WriteEndObject();
    }
}
