using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Ledger.Storage;
using Ledger.Store.EventStoreDb.Protocol;
using Ledger.Store.EventStoreDb.Protocol.Streams;

namespace Ledger.Store.EventStoreDb;

/// <summary>
/// Statement ids unique across matters, with the node's own tool: one stream per statement id (<c>ledger-id/&lt;id&gt;</c>
/// for the prefix <c>ledger/</c>), whose single event names the matter holding it, appended with expected state "no stream"
/// before the matter's append, so that of two writers racing for a new id only one gets it. The event's id is derived from
/// the matter and the statement's content, so the same statement reserved again (a retried import) is the server's
/// idempotent append; a reservation the same matter holds with other content lets the matter's append go ahead too, as the
/// matter's expected version settles that race. A reservation outlives an append refused after it: the id stays with its matter.
/// </summary>
internal sealed class StatementReservations(EventStoreDbConnection connection, string ledgerPrefix)
{
    public const string EventType = "StatementIdReserved";

    /// <summary>Outside the ledger's prefix, so that reservations are no events of the ledger.</summary>
    public string StreamOf(string statementId) => $"{ledgerPrefix.TrimEnd('/')}-id/{statementId}";

    /// <exception cref="ConcurrencyConflictException">Another matter holds the statement id.</exception>
    public async Task ReserveAsync(string matter, EventToAppend statement, CancellationToken cancellationToken)
    {
        var id = statement.StatementId ?? throw new ArgumentException("only statements have ids to reserve", nameof(statement));
        var response = await connection.AppendAsync(Requests.Append(StreamOf(id), null), [Reservation(matter, statement)], cancellationToken);
        if (response.ResultCase == AppendResp.ResultOneofCase.WrongExpectedVersion
            && await HolderAsync(id, cancellationToken) is var holder && holder != matter)
        {
            throw new ConcurrencyConflictException(
                $"statement {id} is held by matter {holder ?? "(unreadable reservation)"}, recorded there by another writer; nothing of this document was appended to matter {matter}");
        }
    }

    private static AppendReq.Types.ProposedMessage Reservation(string matter, EventToAppend statement)
    {
        var content = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', matter, statement.StatementId, statement.Type, statement.Organization, statement.Data)));
        var message = new AppendReq.Types.ProposedMessage
        {
            Id = new UUID { String = new Guid(content.AsSpan(0, 16)).ToString() },
            Data = ByteString.CopyFrom(JsonSerializer.SerializeToUtf8Bytes(new Holder(matter), ReservationJson.Default.Holder)),
        };
        message.Metadata.Add("type", EventType);
        message.Metadata.Add("content-type", EventEncoding.ContentType);
        return message;
    }

    /// <summary>The matter the reservation names; null when the stream holds no reservation of ours.</summary>
    private async Task<string?> HolderAsync(string statementId, CancellationToken cancellationToken) =>
        await connection.RunAsync(
            async client =>
            {
                using var call = client.Read(Requests.Stream(StreamOf(statementId), 0, 1), connection.Options(cancellationToken));
                while (await call.ResponseStream.MoveNext(cancellationToken))
                {
                    if (call.ResponseStream.Current.Event?.Event is { } e)
                    {
                        return JsonSerializer.Deserialize(e.Data.Span, ReservationJson.Default.Holder)?.Matter;
                    }
                }

                return null;
            },
            cancellationToken);
}

internal sealed record Holder(string Matter);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(Holder))]
internal sealed partial class ReservationJson : System.Text.Json.Serialization.JsonSerializerContext;
