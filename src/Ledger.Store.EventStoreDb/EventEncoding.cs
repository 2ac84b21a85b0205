using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Google.Protobuf;
using Ledger.Storage;
using Ledger.Store.EventStoreDb.Protocol;
using Ledger.Store.EventStoreDb.Protocol.Streams;

namespace Ledger.Store.EventStoreDb;

/// <summary>
/// Our events on the wire: the type and content-type application/json in the system metadata, the data as UTF-8 JSON,
/// and our envelope fields (statementId, organization, publishedAt, recordedAt, recordedBy) as the custom metadata JSON.
/// </summary>
internal static class EventEncoding
{
    public const string ContentType = "application/json";

    public static AppendReq.Types.ProposedMessage Propose(EventToAppend e)
    {
        var message = new AppendReq.Types.ProposedMessage
        {
            Id = new UUID { String = Guid.NewGuid().ToString() },
            CustomMetadata = ByteString.CopyFrom(JsonSerializer.SerializeToUtf8Bytes(
                new Envelope(e.StatementId, e.Organization, e.PublishedAt, e.RecordedAt, e.RecordedBy), EnvelopeJson.Default.Envelope)),
            Data = ByteString.CopyFromUtf8(e.Data),
        };
        message.Metadata.Add("type", e.Type);
        message.Metadata.Add("content-type", ContentType);
        return message;
    }

    public static StreamIdentifier Identifier(string name) => new() { StreamName = ByteString.CopyFromUtf8(name) };

    public static string StreamName(ReadResp.Types.ReadEvent.Types.RecordedEvent e) => e.StreamIdentifier.StreamName.ToStringUtf8();

    /// <summary>The envelope of a recorded event; null when the event is not one of ours (no envelope JSON).</summary>
    public static Envelope? EnvelopeOf(ReadResp.Types.ReadEvent.Types.RecordedEvent e)
    {
        if (e.CustomMetadata.IsEmpty)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(e.CustomMetadata.Span, EnvelopeJson.Default.Envelope);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static StoredEvent ToStored(ReadResp.Types.ReadEvent.Types.RecordedEvent e, string matter, long position)
    {
        var envelope = EnvelopeOf(e) ?? throw new InvalidDataException($"event {e.StreamRevision} of {StreamName(e)} carries no ledger envelope in its custom metadata");
        return new StoredEvent(
            position,
            matter,
            checked((long)e.StreamRevision + 1),
            e.Metadata.TryGetValue("type", out var type) ? type : string.Empty,
            envelope.StatementId,
            envelope.Organization,
            envelope.PublishedAt,
            envelope.RecordedAt,
            envelope.RecordedBy,
            Encoding.UTF8.GetString(e.Data.Span));
    }
}

internal sealed record Envelope(
    string? StatementId,
    string Organization,
    DateTimeOffset? PublishedAt,
    DateTimeOffset RecordedAt,
    string RecordedBy);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Envelope))]
internal sealed partial class EnvelopeJson : JsonSerializerContext;
