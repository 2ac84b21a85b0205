using System.Globalization;
using System.Text;
using System.Text.Json;
using Ledger.Storage;
using Ledger.Verification;

namespace Ledger.Messaging.Notifying;

/// <summary>
/// Events as CloudEvents 1.0 in structured JSON: id is the statement id, time its publication, subject the matter,
/// and the extensions recordedtime, recordedby, organization, ledgerposition and ledgerversion carry the rest of the
/// envelope, so that a receiver rebuilds the event's canonical bytes from the CloudEvent alone (<see cref="FromJson"/>). When the store keeps a
/// Merkle log the event's inclusion proof rides along as extensions: merkleleaf and merkletreesize (decimal strings, as
/// CloudEvents integers are 32-bit), merkleleafhash and merkleroot (base64), merklepath (base64 hashes, lowest first,
/// comma-separated).
/// </summary>
public static class LedgerCloudEvents
{
    public const string TypePrefix = "org.ledger.";

    /// <summary>The event's CloudEvents id: its statement id, or for a matter's opening the matter itself.</summary>
    public static string IdOf(StoredEvent e) => e.StatementId ?? $"{e.Stream}#opened";

    public static string ToJson(StoredEvent e, InclusionProof? proof = null)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            Write(json, e, proof);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static void Write(Utf8JsonWriter json, StoredEvent e, InclusionProof? proof = null)
    {
        json.WriteStartObject();
        json.WriteString("specversion", "1.0");
        json.WriteString("type", TypePrefix + e.Type);
        json.WriteString("source", "/matters/" + e.Stream);
        json.WriteString("id", IdOf(e));
        json.WriteString("time", Timestamp(e.PublishedAt ?? e.RecordedAt));
        json.WriteString("subject", e.Stream);
        json.WriteString("datacontenttype", "application/json");
        json.WriteString("recordedtime", Timestamp(e.RecordedAt));
        json.WriteString("organization", e.Organization);
        json.WriteString("recordedby", e.RecordedBy);
        json.WriteNumber("ledgerposition", e.Position);
        json.WriteNumber("ledgerversion", e.Version);
        if (proof is not null)
        {
            json.WriteString("merkleleaf", proof.LeafIndex.ToString(CultureInfo.InvariantCulture));
            json.WriteString("merkletreesize", proof.TreeSize.ToString(CultureInfo.InvariantCulture));
            json.WriteString("merkleleafhash", Convert.ToBase64String(proof.LeafHash));
            json.WriteString("merkleroot", Convert.ToBase64String(proof.RootHash));
            json.WriteString("merklepath", string.Join(',', proof.Path.Select(Convert.ToBase64String)));
        }

        json.WritePropertyName("data");
        json.WriteRawValue(e.Data, skipInputValidation: true);
        json.WriteEndObject();
    }

    /// <summary>
    /// The recorded event a CloudEvent of this ledger carries: what a receiver hashes to check the inclusion proof.
    /// Statements carry their publication as <c>time</c>; a matter's opening has none.
    /// </summary>
    /// <exception cref="FormatException">Not a ledger CloudEvent.</exception>
    public static StoredEvent FromJson(string cloudEvent)
    {
        using var document = JsonDocument.Parse(cloudEvent);
        var root = document.RootElement;
        try
        {
            var type = root.GetProperty("type").GetString()!;
            if (!type.StartsWith(TypePrefix, StringComparison.Ordinal))
            {
                throw new FormatException($"type \"{type}\" is not a ledger event type");
            }

            var stream = root.GetProperty("subject").GetString()!;
            var id = root.GetProperty("id").GetString()!;
            string? statementId = id == $"{stream}#opened" ? null : id;
            return new StoredEvent(
                root.GetProperty("ledgerposition").GetInt64(),
                stream,
                root.GetProperty("ledgerversion").GetInt64(),
                type[TypePrefix.Length..],
                statementId,
                root.GetProperty("organization").GetString()!,
                statementId is null ? null : DateTimeOffset.Parse(root.GetProperty("time").GetString()!, CultureInfo.InvariantCulture),
                DateTimeOffset.Parse(root.GetProperty("recordedtime").GetString()!, CultureInfo.InvariantCulture),
                root.GetProperty("recordedby").GetString()!,
                root.GetProperty("data").GetRawText());
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"not a ledger CloudEvent: {ex.Message}", ex);
        }
    }

    private static string Timestamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
