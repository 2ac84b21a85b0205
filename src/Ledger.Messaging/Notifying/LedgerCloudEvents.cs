using System.Text;
using System.Text.Json;
using Ledger.Storage;

namespace Ledger.Messaging.Notifying;

/// <summary>
/// Events as CloudEvents 1.0 in structured JSON: id is the statement id, time its publication, subject the matter,
/// and the extensions recordedtime, organization and ledgerposition carry the rest of the envelope.
/// </summary>
public static class LedgerCloudEvents
{
    public const string TypePrefix = "org.ledger.";

    /// <summary>The event's CloudEvents id: its statement id, or for a matter's opening the matter itself.</summary>
    public static string IdOf(StoredEvent e) => e.StatementId ?? $"{e.Stream}#opened";

    public static string ToJson(StoredEvent e)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            Write(json, e);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static void Write(Utf8JsonWriter json, StoredEvent e)
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
        json.WriteNumber("ledgerposition", e.Position);
        json.WritePropertyName("data");
        json.WriteRawValue(e.Data, skipInputValidation: true);
        json.WriteEndObject();
    }

    private static string Timestamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
