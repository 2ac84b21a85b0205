using System.Text.Json;
using Ledger.Storage;

namespace Ledger.Verification;

/// <summary>
/// One line of <c>ledger export</c> (NDJSON): the event as stored, and the leaf hash the log recorded for it when the
/// store keeps a log. Line i (1-based) is leaf i − 1.
/// </summary>
public sealed record ExportedEvent(long Line, StoredEvent Event, byte[]? LeafHash)
{
    /// <exception cref="FormatException">The line is not an export line; the message names the line and the field.</exception>
    public static ExportedEvent Parse(string text, long line)
    {
        ArgumentNullException.ThrowIfNull(text);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"line {line}: not JSON ({ex.Message})", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"line {line}: not a JSON object");
            }

            var e = new StoredEvent(
                Field(root, "position", line, v => v.GetInt64()),
                Field(root, "stream", line, v => v.GetString()!),
                Field(root, "version", line, v => v.GetInt64()),
                Field(root, "type", line, v => v.GetString()!),
                OptionalField(root, "statementId", line, v => v.GetString()),
                Field(root, "organization", line, v => v.GetString()!),
                OptionalField(root, "publishedAt", line, v => (DateTimeOffset?)v.GetDateTimeOffset()),
                Field(root, "recordedAt", line, v => v.GetDateTimeOffset()),
                Field(root, "recordedBy", line, v => v.GetString()!),
                Field(root, "data", line, v => v.GetRawText()));
            var leafHash = OptionalField(root, "leafHash", line, DecodeLeafHash);
            return new ExportedEvent(line, e, leafHash);
        }
    }

    private static T Field<T>(JsonElement root, string name, long line, Func<JsonElement, T> read) =>
        root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? Read(value, name, line, read)
            : throw new FormatException($"line {line}: field \"{name}\" is missing");

    private static T? OptionalField<T>(JsonElement root, string name, long line, Func<JsonElement, T?> read) =>
        root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? Read(value, name, line, read) : default;

    private static T Read<T>(JsonElement value, string name, long line, Func<JsonElement, T> read)
    {
        try
        {
            return read(value);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            throw new FormatException($"line {line}: field \"{name}\": {ex.Message}", ex);
        }
    }

    private static byte[] DecodeLeafHash(JsonElement value) =>
        value.ValueKind == JsonValueKind.String && value.TryGetBytesFromBase64(out var bytes) && bytes.Length == MerkleHashes.Size
            ? bytes
            : throw new FormatException("not the base64 of a SHA-256 hash");
}
