using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ledger.Events;

namespace Ledger.Serialization;

/// <summary>The one JSON dialect of the ledger: camelCase names, enum values as stable kebab-case strings.</summary>
public static class LedgerJson
{
    /// <summary>Stored event data: nulls omitted, compact.</summary>
    public static JsonSerializerOptions Events { get; } = new(EventJsonContext.Default.Options);

    /// <summary>Query output: every field present (nulls included), indented.</summary>
    public static JsonSerializerOptions Output { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Query output on one line, for NDJSON.</summary>
    public static JsonSerializerOptions OutputLine { get; } = new(Output) { WriteIndented = false };

    public static string Serialize(ILedgerEvent e) => JsonSerializer.Serialize(e, e.GetType(), EventJsonContext.Default);

    public static ILedgerEvent Deserialize(string type, string data) =>
        (ILedgerEvent)(JsonSerializer.Deserialize(data, EventTypes.TypeOf(type), EventJsonContext.Default)
            ?? throw new JsonException($"event data of type {type} is null"));
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(MatterOpened))]
[JsonSerializable(typeof(AllegationReported))]
[JsonSerializable(typeof(ReviewLaunched))]
[JsonSerializable(typeof(FindingsDisclosed))]
[JsonSerializable(typeof(ActionTaken))]
[JsonSerializable(typeof(DisclosurePromised))]
[JsonSerializable(typeof(DisclosureDelivered))]
[JsonSerializable(typeof(ReviewConcluded))]
[JsonSerializable(typeof(PositionStated))]
[JsonSerializable(typeof(StatementWithdrawn))]
[JsonSerializable(typeof(EntryCorrected))]
[JsonSerializable(typeof(SourceArchived))]
internal sealed partial class EventJsonContext : JsonSerializerContext;
