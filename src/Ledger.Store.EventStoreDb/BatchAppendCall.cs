using System.Collections.Concurrent;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Ledger.Store.EventStoreDb.Protocol;
using Ledger.Store.EventStoreDb.Protocol.Streams;

namespace Ledger.Store.EventStoreDb;

/// <summary>
/// One Streams.BatchAppend call kept open for a channel, each append a single is_final request answered by its correlation id.
/// One long-lived call, as the official clients keep: an append then costs one message each way on an open HTTP/2 stream
/// instead of a new call with its headers, and concurrent appends (a document's statement-id reservations) share it. The
/// request side is never half-closed, since a node that has seen the half-close stops answering the batches still pending.
/// </summary>
internal sealed class BatchAppendCall : IDisposable
{
    private readonly AsyncDuplexStreamingCall<BatchAppendReq, BatchAppendResp> call;
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource<BatchAppendResp>> pending = new();
    private readonly System.Threading.Channels.Channel<BatchAppendReq> requests = System.Threading.Channels.Channel.CreateUnbounded<BatchAppendReq>(new() { SingleReader = true });
    private readonly bool deadlineAsDuration;
    private RpcException? ended;

    /// <summary>Opens the call; <paramref name="deadlineAsDuration"/>: the node takes a deadline as a duration (feature deadline_duration, 22.x on).</summary>
    public BatchAppendCall(Streams.StreamsClient client, Metadata headers, bool deadlineAsDuration)
    {
        this.deadlineAsDuration = deadlineAsDuration;

        // No deadline and no caller's token: the call outlives every append; each append has its own deadline and cancellation.
        call = client.BatchAppend(new CallOptions(headers));
        _ = Task.Run(ReadAsync);
        _ = Task.Run(WriteAsync);
    }

    /// <summary>Whether the call has ended; a new append needs a new call.</summary>
    public bool Ended => Volatile.Read(ref ended) is not null;

    /// <summary>The error the call ended with, which every append on it then failed with; null while it is open.</summary>
    public RpcException? EndedWith => Volatile.Read(ref ended);

    /// <summary>Appends as one batch and answers as the classic Append would: success, or wrong expected version as a result.</summary>
    /// <exception cref="RpcException">The node refused the batch for another reason, or the call ended (not-leader among them).</exception>
    /// <exception cref="OperationCanceledException">The caller cancelled the wait; the node may still write the batch.</exception>
    public async Task<AppendResp> AppendAsync(AppendReq.Types.Options options, IReadOnlyList<AppendReq.Types.ProposedMessage> proposed, TimeSpan? deadline, CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid();
        var request = new BatchAppendReq { CorrelationId = new UUID { String = id.ToString() }, Options = ToBatch(options, deadline), IsFinal = true };
        request.ProposedMessages.AddRange(proposed.Select(ToBatch));

        var answer = new TaskCompletionSource<BatchAppendResp>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[id] = answer;
        try
        {
            // Checked after registering, so that an end the reader reports meanwhile reaches this append either way.
            if (Volatile.Read(ref ended) is { } error)
            {
                throw error;
            }

            // Queued, not written here: the call takes one message at a time, and a write cancelled midway would end it for all.
            if (!requests.Writer.TryWrite(request))
            {
                throw Volatile.Read(ref ended) ?? new RpcException(new Status(StatusCode.Unavailable, "the BatchAppend call has ended"));
            }

            var response = deadline is { } timeout
                ? await answer.Task.WaitAsync(timeout, cancellationToken)
                : await answer.Task.WaitAsync(cancellationToken);
            return ToAppendResponse(response);
        }
        catch (TimeoutException)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"no answer to the append within {deadline}"));
        }
        finally
        {
            pending.TryRemove(id, out _);
        }
    }

    private async Task WriteAsync()
    {
        try
        {
            await foreach (var request in requests.Reader.ReadAllAsync())
            {
                await call.RequestStream.WriteAsync(request);
            }
        }
        catch (RpcException error)
        {
            End(error);
        }
        catch (Exception error)
        {
            // Whatever stopped the writes ends the call: appends queued behind it would otherwise wait for nothing.
            End(new RpcException(new Status(StatusCode.Unavailable, "the BatchAppend call failed", error)));
        }
    }

    private async Task ReadAsync()
    {
        try
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                var response = call.ResponseStream.Current;

                // Answers come in any order; one for an append whose caller gave up finds nobody waiting.
                if (IdOf(response.CorrelationId) is { } id && pending.TryRemove(id, out var answer))
                {
                    answer.TrySetResult(response);
                }
            }

            End(new RpcException(new Status(StatusCode.Unavailable, "the node ended the BatchAppend call")));
        }
        catch (RpcException error)
        {
            End(error);
        }
        catch (Exception error)
        {
            End(new RpcException(new Status(StatusCode.Unavailable, "the BatchAppend call failed", error)));
        }
    }

    /// <summary>Every append waiting, and every later one, fails as the call did: a not-leader error keeps its leader trailers.</summary>
    private void End(RpcException error)
    {
        if (Interlocked.CompareExchange(ref ended, error, null) is not null)
        {
            return;
        }

        requests.Writer.TryComplete();
        foreach (var id in pending.Keys)
        {
            if (pending.TryRemove(id, out var answer))
            {
                answer.TrySetException(error);
            }
        }
    }

    /// <summary>The node echoes the id as sent, but reports its own timeouts with the structured form.</summary>
    private static Guid? IdOf(UUID? uuid)
    {
        if (uuid is null)
        {
            return null;
        }

        if (uuid.ValueCase == UUID.ValueOneofCase.String)
        {
            return Guid.TryParse(uuid.String, out var id) ? id : null;
        }

        Span<byte> bytes = stackalloc byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(bytes[..8], uuid.Structured.MostSignificantBits);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(bytes[8..], uuid.Structured.LeastSignificantBits);
        return new Guid(bytes, bigEndian: true);
    }

    private BatchAppendReq.Types.Options ToBatch(AppendReq.Types.Options options, TimeSpan? deadline)
    {
        var batch = new BatchAppendReq.Types.Options { StreamIdentifier = options.StreamIdentifier };
        switch (options.ExpectedStreamRevisionCase)
        {
            case AppendReq.Types.Options.ExpectedStreamRevisionOneofCase.Revision:
                batch.StreamPosition = options.Revision;
                break;
            case AppendReq.Types.Options.ExpectedStreamRevisionOneofCase.NoStream:
                batch.NoStream = new Google.Protobuf.WellKnownTypes.Empty();
                break;
            case AppendReq.Types.Options.ExpectedStreamRevisionOneofCase.StreamExists:
                batch.StreamExists = new Google.Protobuf.WellKnownTypes.Empty();
                break;
            default:
                batch.Any = new Google.Protobuf.WellKnownTypes.Empty();
                break;
        }

        if (deadline is { } timeout)
        {
            if (deadlineAsDuration)
            {
                batch.Deadline = Duration.FromTimeSpan(timeout);
            }
            else
            {
                batch.Deadline21100 = Timestamp.FromDateTime(DateTime.UtcNow + timeout);
            }
        }

        return batch;
    }

    private static BatchAppendReq.Types.ProposedMessage ToBatch(AppendReq.Types.ProposedMessage message)
    {
        var batch = new BatchAppendReq.Types.ProposedMessage { Id = message.Id, CustomMetadata = message.CustomMetadata, Data = message.Data };
        batch.Metadata.Add(message.Metadata);
        return batch;
    }

    /// <summary>The classic Append's answer: a wrong expected version is a result there, an error status here.</summary>
    private static AppendResp ToAppendResponse(BatchAppendResp response)
    {
        if (response.ResultCase == BatchAppendResp.ResultOneofCase.Success)
        {
            var success = new AppendResp.Types.Success();
            if (response.Success.CurrentRevisionOptionCase == BatchAppendResp.Types.Success.CurrentRevisionOptionOneofCase.CurrentRevision)
            {
                success.CurrentRevision = response.Success.CurrentRevision;
            }
            else
            {
                success.NoStream = new Protocol.Empty();
            }

            if (response.Success.Position is { } position)
            {
                success.Position = new AppendResp.Types.Position { CommitPosition = position.CommitPosition, PreparePosition = position.PreparePosition };
            }
            else
            {
                success.NoPosition = new Protocol.Empty();
            }

            return new AppendResp { Success = success };
        }

        var error = response.Error ?? new Google.Rpc.Status { Code = (int)StatusCode.Unknown, Message = "the node answered with neither success nor error" };
        var detail = error.Details.FirstOrDefault();
        if (detail is not null && detail.TryUnpack<WrongExpectedVersion>(out var wrong))
        {
            var result = new AppendResp.Types.WrongExpectedVersion();
            if (wrong.CurrentStreamRevisionOptionCase == WrongExpectedVersion.CurrentStreamRevisionOptionOneofCase.CurrentStreamRevision)
            {
                result.CurrentRevision = wrong.CurrentStreamRevision;
            }
            else
            {
                result.CurrentNoStream = new Protocol.Empty();
            }

            return new AppendResp { WrongExpectedVersion = result };
        }

        // "Server is not ready / busy" come without a code; the classic Append reports them as Unavailable.
        var code = error.Code == 0 ? StatusCode.Unavailable : (StatusCode)error.Code;
        var text = detail is not null && detail.TryUnpack<BadRequest>(out var bad) ? $"{error.Message}: {bad.Message}" : error.Message;
        throw new RpcException(new Status(code, text));
    }

    public void Dispose()
    {
        End(new RpcException(new Status(StatusCode.Unavailable, "the connection has closed or moved to another node")));
        call.Dispose();
    }
}
