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
    public const int ProjectionVersion = 3;

    public static string Serialize(MatterStatus status) => JsonSerializer.Serialize(status, ReadModelJsonContext.Default.MatterStatus);

    public static string Serialize(MatterRow row) => JsonSerializer.Serialize(row, ReadModelJsonContext.Default.MatterRow);

    public static string Serialize(PromiseRow row) => JsonSerializer.Serialize(row, ReadModelJsonContext.Default.PromiseRow);

    public static string Serialize(OrganizationRow row) => JsonSerializer.Serialize(row, ReadModelJsonContext.Default.OrganizationRow);

    public static MatterStatus Status(string json) => Parsed<MatterStatus>.Of(json, ReadModelJsonContext.Default.MatterStatus);

    public static MatterRow MatterRow(string json) => Parsed<MatterRow>.Of(json, ReadModelJsonContext.Default.MatterRow);

    public static PromiseRow PromiseRow(string json) => Parsed<PromiseRow>.Of(json, ReadModelJsonContext.Default.PromiseRow);

    public static OrganizationRow OrganizationRow(string json) => Parsed<OrganizationRow>.Of(json, ReadModelJsonContext.Default.OrganizationRow);

    /// <summary>
    /// Rows read again and again (every list page) are parsed once: keyed by their stored text, so a changed row is
    /// parsed anew and nothing stale is ever answered. The models are immutable records, safe to share.
    /// </summary>
    private static class Parsed<T>
        where T : class
    {
        private const int Capacity = 20_000;
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, T> Cache = new(StringComparer.Ordinal);

        public static T Of(string json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        {
            if (Cache.TryGetValue(json, out var parsed))
            {
                return parsed;
            }

            parsed = JsonSerializer.Deserialize(json, type) ?? throw new JsonException($"a stored {typeof(T).Name} is empty");
            if (Cache.Count >= Capacity)
            {
                Cache.Clear();
            }

            Cache[json] = parsed;
            return parsed;
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(MatterStatus))]
[JsonSerializable(typeof(MatterRow))]
[JsonSerializable(typeof(PromiseRow))]
[JsonSerializable(typeof(OrganizationRow))]
internal sealed partial class ReadModelJsonContext : JsonSerializerContext;
