using System.Buffers;
using System.Globalization;
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

    /// <exception cref="JsonException">The event's data is not I-JSON, or a field holds a lone surrogate.</exception>
    public static byte[] Bytes(StoredEvent e)
    {
        using var writer = Write(e, prefix: false);
        return writer.Written.ToArray();
    }

    /// <summary>The Merkle leaf hash of the event: SHA-256(0x00 || canonical bytes).</summary>
    /// <exception cref="JsonException">The event's data is not I-JSON, or a field holds a lone surrogate.</exception>
    public static byte[] LeafHash(StoredEvent e)
    {
        // The leaf prefix is written ahead of the bytes, so the hash is one call over one buffer.
        using var writer = Write(e, prefix: true);
        return MerkleHashes.Sha256(writer.Written);
    }

    private static CanonicalJsonWriter Write(StoredEvent e, bool prefix)
    {
        ArgumentNullException.ThrowIfNull(e);
        var (utf8, length) = CanonicalJsonWriter.RentUtf8(e.Data);
        var writer = new CanonicalJsonWriter(length + 512);
        try
        {
            if (prefix)
            {
                writer.WriteByte(0x00);
            }

            // Members in RFC 8785 order (ordinal by name), so the envelope needs no second pass.
            writer.WriteAscii("{\"matter\":");
            writer.WriteString(e.Stream);
            writer.WriteAscii(",\"organization\":");
            writer.WriteString(e.Organization);
            writer.WriteAscii(",\"payload\":");
            writer.WriteJson(utf8.AsSpan(0, length));
            writer.WriteAscii(",\"publishedAt\":");
            WriteTime(writer, e.PublishedAt);
            writer.WriteAscii(",\"recordedAt\":");
            WriteTime(writer, e.RecordedAt);
            writer.WriteAscii(",\"recordedBy\":");
            writer.WriteString(e.RecordedBy);
            writer.WriteAscii(",\"statementId\":");
            if (e.StatementId is { } id)
            {
                writer.WriteString(id);
            }
            else
            {
                writer.WriteAscii("null");
            }

            writer.WriteAscii(",\"type\":");
            writer.WriteString(e.Type);
            writer.WriteAscii(",\"version\":");
            WriteVersion(writer, e.Version);
            writer.WriteByte((byte)'}');
            return writer;
        }
        catch
        {
            writer.Dispose();
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(utf8);
        }
    }

    private static void WriteTime(CanonicalJsonWriter writer, DateTimeOffset? at)
    {
        if (at is not { } value)
        {
            writer.WriteAscii("null");
            return;
        }

        Span<char> text = stackalloc char[32];
        // The round-trip format of a UTC DateTime is yyyy-MM-ddTHH:mm:ss.fffffffZ, and far cheaper than that custom format.
        value.UtcDateTime.TryFormat(text, out var written, "O", CultureInfo.InvariantCulture);
        writer.WriteByte((byte)'"');
        writer.WriteAscii(text[..written]);
        writer.WriteByte((byte)'"');
    }

    /// <summary>Versions are integers, canonical as their digits up to 2^53; beyond, as ECMAScript formats the double.</summary>
    private static void WriteVersion(CanonicalJsonWriter writer, long version)
    {
        if (Math.Abs(version) < (1L << 53))
        {
            Span<char> digits = stackalloc char[20];
            version.TryFormat(digits, out var written, provider: CultureInfo.InvariantCulture);
            writer.WriteAscii(digits[..written]);
        }
        else
        {
            writer.WriteAscii(JsonCanonicalizer.FormatNumber(version));
        }
    }
}
