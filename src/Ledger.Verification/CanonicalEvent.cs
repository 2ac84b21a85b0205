using System.Globalization;
using System.Text;
using System.Text.Json;
using Ledger.Storage;

namespace Ledger.Verification;

/// <summary>
/// The bytes of a recorded event that the verifiable log commits to: the RFC 8785 canonical JSON of the envelope
/// <code>
/// {"matter":…,"organization":…,"payload":{…},"publishedAt":…|null,"recordedAt":…,"recordedBy":…,
///  "statementId":…|null,"type":…,"version":…}
/// </code>
/// Every member is always present. <c>matter</c> is the stream, <c>version</c> the event's 1-based version in it,
/// <c>payload</c> the event's data as a JSON value (canonicalized, not a string), timestamps UTC as
/// <c>yyyy-MM-ddTHH:mm:ss.fffffffZ</c>. The source hashes are committed through the payload
/// (<c>/quoteSha256</c>, <c>/source/archiveSha256</c>). The global position is left out on purpose: the leaf index is
/// the log's own dense order, and positions are a backend's numbering (sequences may have gaps), whereas everything
/// in the envelope survives a migration between backends unchanged.
/// </summary>
public static class CanonicalEvent
{
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    /// <exception cref="JsonException">The event's data is not I-JSON, or a field holds a lone surrogate.</exception>
    public static byte[] Bytes(StoredEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        using var payload = JsonDocument.Parse(e.Data);

        // Members in RFC 8785 order (ordinal by name), so the envelope needs no second pass.
        var text = new StringBuilder(e.Data.Length + 256);
        text.Append('{');
        Member(text, "matter", first: true).Append(Str(e.Stream));
        Member(text, "organization").Append(Str(e.Organization));
        Member(text, "payload");
        JsonCanonicalizer.Write(payload.RootElement, text);
        Member(text, "publishedAt").Append(e.PublishedAt is { } published ? Str(Time(published)) : "null");
        Member(text, "recordedAt").Append(Str(Time(e.RecordedAt)));
        Member(text, "recordedBy").Append(Str(e.RecordedBy));
        Member(text, "statementId").Append(e.StatementId is { } id ? Str(id) : "null");
        Member(text, "type").Append(Str(e.Type));
        Member(text, "version").Append(JsonCanonicalizer.FormatNumber(e.Version));
        text.Append('}');
        return JsonCanonicalizer.ToUtf8(text.ToString());
    }

    /// <summary>The Merkle leaf hash of the event: SHA-256(0x00 || canonical bytes).</summary>
    public static byte[] LeafHash(StoredEvent e) => MerkleHashes.Leaf(Bytes(e));

    private static StringBuilder Member(StringBuilder text, string name, bool first = false)
    {
        if (!first)
        {
            text.Append(',');
        }

        JsonCanonicalizer.WriteString(name, text);
        return text.Append(':');
    }

    private static string Str(string value)
    {
        var text = new StringBuilder(value.Length + 2);
        JsonCanonicalizer.WriteString(value, text);
        return text.ToString();
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);
}
