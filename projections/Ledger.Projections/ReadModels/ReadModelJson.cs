using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ledger.Projections.ReadModels;

/// <summary>How the read models are stored where a backend keeps them as JSON text, and the version of their projection code.</summary>
public static class ReadModelJson
{
    /// <summary>
    /// Bumped whenever the folds behind the read models, or their stored shape, change: a store that holds another
    /// version rebuilds its read models from the events before it answers from them.
    /// </summary>
    public const int ProjectionVersion = 1;

    public static string Serialize(MatterStatus status) => JsonSerializer.Serialize(status, ReadModelJsonContext.Default.MatterStatus);

    public static string Serialize(MatterRow row) => JsonSerializer.Serialize(row, ReadModelJsonContext.Default.MatterRow);

    public static string Serialize(PromiseRow row) => JsonSerializer.Serialize(row, ReadModelJsonContext.Default.PromiseRow);

    public static string Serialize(OrganizationRow row) => JsonSerializer.Serialize(row, ReadModelJsonContext.Default.OrganizationRow);

    public static MatterStatus Status(string json) => JsonSerializer.Deserialize(json, ReadModelJsonContext.Default.MatterStatus) ?? throw Empty(nameof(MatterStatus));

    public static MatterRow MatterRow(string json) => JsonSerializer.Deserialize(json, ReadModelJsonContext.Default.MatterRow) ?? throw Empty(nameof(MatterRow));

    public static PromiseRow PromiseRow(string json) => JsonSerializer.Deserialize(json, ReadModelJsonContext.Default.PromiseRow) ?? throw Empty(nameof(PromiseRow));

    public static OrganizationRow OrganizationRow(string json) => JsonSerializer.Deserialize(json, ReadModelJsonContext.Default.OrganizationRow) ?? throw Empty(nameof(OrganizationRow));

    private static JsonException Empty(string what) => new($"a stored {what} is empty");
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(MatterStatus))]
[JsonSerializable(typeof(MatterRow))]
[JsonSerializable(typeof(PromiseRow))]
[JsonSerializable(typeof(OrganizationRow))]
internal sealed partial class ReadModelJsonContext : JsonSerializerContext;
