using System.Threading.Channels;
using Grpc.Core;
using Ledger.Store.EventStoreDb.Protocol;
using Ledger.Store.EventStoreDb.Protocol.Streams;
using static Ledger.Store.EventStoreDb.Protocol.Streams.ReadReq.Types.Options;

namespace Ledger.Store.EventStoreDb.ProtocolFake;

/// <summary>
/// The Streams service of the protocol fake, following the project's protocol notes: options first on Append, required
/// metadata, wrong expected version as a normal response, stream-not-found as a message, the server's valid read
/// combinations, inclusive read positions and exclusive subscription checkpoints, filter windows and checkpoints,
/// Confirmation → (Checkpoint) → CaughtUp → live events; BatchAppend multiplexed by correlation id, its errors as
/// google.rpc.Status with the shared detail messages. It is a fake of the protocol, not proof that a real node agrees.
/// </summary>
internal sealed class FakeStreamsService(FakeLog log, FakeNodeOptions node) : Streams.StreamsBase
{
    public override async Task<AppendResp> Append(IAsyncStreamReader<AppendReq> requestStream, ServerCallContext context)
    {
        node.Admit(context);
        if (!await requestStream.MoveNext(context.CancellationToken) || requestStream.Current.ContentCase != AppendReq.ContentOneofCase.Options)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the first message of an append must be its options"));
        }

        var options = requestStream.Current.Options;
        var proposed = new List<AppendReq.Types.ProposedMessage>();
        while (await requestStream.MoveNext(context.CancellationToken))
        {
            var message = requestStream.Current.ProposedMessage
                ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "options may come only once, first"));
            if (!message.Metadata.ContainsKey("type") || !message.Metadata.ContainsKey("content-type"))
            {
                throw new RpcException(
                    new Status(StatusCode.InvalidArgument, "Required metadata property is missing"),
                    new Metadata { { "exception", "missing-required-metadata-property" } });
            }

            proposed.Add(message);
        }

        var stream = options.StreamIdentifier.StreamName.ToStringUtf8();
        if (node.Hold is { } hold && hold.Stream == stream)
        {
            await hold.WaitAsync(context.CancellationToken);
        }

        node.ServedAppend();
        return log.Append(stream, options, proposed);
    }

    /// <summary>
    /// BatchAppend as a node serves it: requests gathered by correlation id (options on the first, which a batch without
    /// is ignored), written at is_final, each answer as soon as its write ends, so answers may overtake one another; the
    /// correlation id echoed as sent. A client's half-close gets at most one more answer, as on the node, whose send loop
    /// stops after it. The node's own write timeout is not modelled, only a deadline already past.
    /// </summary>
    public override async Task BatchAppend(IAsyncStreamReader<BatchAppendReq> requestStream, IServerStreamWriter<BatchAppendResp> responseStream, ServerCallContext context)
    {
        node.Admit(context);
        if (node.Features != FakeServerFeatures.BatchAppend)
        {
            throw new RpcException(new Status(StatusCode.Unimplemented, "Method is unimplemented."));
        }

        var answers = new FakeBatchAnswers(responseStream);
        _ = ReceiveAsync(requestStream, answers, context);
        await answers.SendAsync(context.CancellationToken);
    }

    private async Task ReceiveAsync(IAsyncStreamReader<BatchAppendReq> requestStream, FakeBatchAnswers answers, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        var batches = new Dictionary<UUID, FakeBatch>();
        try
        {
            while (await requestStream.MoveNext(cancellationToken))
            {
                var request = requestStream.Current;
                if (request.Options is { } options)
                {
                    if (options.StreamIdentifier is null)
                    {
                        answers.Error(request.CorrelationId, null, BadRequest("Required field StreamIdentifier not set."));
                        continue;
                    }

                    if (options.ExpectedStreamPositionCase == BatchAppendReq.Types.Options.ExpectedStreamPositionOneofCase.None)
                    {
                        answers.Error(request.CorrelationId, options.StreamIdentifier, BadRequest("Expected stream position is not set."));
                        continue;
                    }

                    if (options.DeadlineOptionCase switch
                        {
                            BatchAppendReq.Types.Options.DeadlineOptionOneofCase.Deadline => options.Deadline.ToTimeSpan() <= TimeSpan.Zero,
                            BatchAppendReq.Types.Options.DeadlineOptionOneofCase.Deadline21100 => options.Deadline21100.ToDateTime() <= DateTime.UtcNow,
                            _ => false,
                        })
                    {
                        answers.Error(request.CorrelationId, options.StreamIdentifier, Error(Google.Rpc.Code.DeadlineExceeded, "Timeout", new Protocol.Timeout()));
                        continue;
                    }

                    batches.TryAdd(request.CorrelationId, new FakeBatch(options));
                }

                if (!batches.TryGetValue(request.CorrelationId, out var batch))
                {
                    continue;
                }

                if (request.ProposedMessages.Any(m => !m.Metadata.ContainsKey("type") || !m.Metadata.ContainsKey("content-type")))
                {
                    batches.Remove(request.CorrelationId);
                    answers.Error(request.CorrelationId, batch.Options.StreamIdentifier, BadRequest("Required metadata property is missing"));
                    continue;
                }

                batch.Proposed.AddRange(request.ProposedMessages.Select(ToAppend));
                if (request.IsFinal)
                {
                    batches.Remove(request.CorrelationId);
                    _ = WriteAsync(request.CorrelationId, batch, answers, context);
                }
            }
        }
        catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The client dropped the call: nobody is left to answer.
            return;
        }
        catch (Exception ex)
        {
            answers.Fail(ex as RpcException ?? new RpcException(new Status(StatusCode.Internal, ex.Message)));
            return;
        }

        answers.Close();
    }

    private async Task WriteAsync(UUID correlationId, FakeBatch batch, FakeBatchAnswers answers, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        answers.Promise();
        var stream = batch.Options.StreamIdentifier.StreamName.ToStringUtf8();
        try
        {
            if (node.Hold is { } hold && hold.Stream == stream)
            {
                await hold.WaitAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }

        // Leadership is checked at each write, as the node does: a follower now ends the whole call with not-leader.
        if (node.NotLeader(context) is { } notLeader)
        {
            answers.Fail(notLeader);
            return;
        }

        var broken = node.TakeBatchAppendBreak(stream);
        if (broken == FakeBatchBreak.BeforeWrite)
        {
            context.GetHttpContext().Abort();
            return;
        }

        node.ServedBatchAppend();
        var written = log.Append(stream, ToAppend(batch.Options), batch.Proposed);
        if (broken == FakeBatchBreak.AfterWrite)
        {
            context.GetHttpContext().Abort();
            return;
        }
        var response = new BatchAppendResp { CorrelationId = correlationId, StreamIdentifier = batch.Options.StreamIdentifier };
        if (written.ResultCase == AppendResp.ResultOneofCase.Success)
        {
            response.Success = new BatchAppendResp.Types.Success();
            if (written.Success.CurrentRevisionOptionCase == AppendResp.Types.Success.CurrentRevisionOptionOneofCase.CurrentRevision)
            {
                response.Success.CurrentRevision = written.Success.CurrentRevision;
                response.Success.Position = new AllStreamPosition { CommitPosition = written.Success.Position.CommitPosition, PreparePosition = written.Success.Position.PreparePosition };
            }
            else
            {
                response.Success.NoStream = new Google.Protobuf.WellKnownTypes.Empty();
                response.Success.NoPosition = new Google.Protobuf.WellKnownTypes.Empty();
            }
        }
        else
        {
            response.Error = Error(Google.Rpc.Code.AlreadyExists, "WrongExpectedVersion", WrongExpectedVersion(written.WrongExpectedVersion, batch.Options));
        }

        answers.Answer(response);
    }

    private static AppendReq.Types.Options ToAppend(BatchAppendReq.Types.Options options)
    {
        var append = new AppendReq.Types.Options { StreamIdentifier = options.StreamIdentifier };
        switch (options.ExpectedStreamPositionCase)
        {
            case BatchAppendReq.Types.Options.ExpectedStreamPositionOneofCase.StreamPosition:
                append.Revision = options.StreamPosition;
                break;
            case BatchAppendReq.Types.Options.ExpectedStreamPositionOneofCase.NoStream:
                append.NoStream = new Protocol.Empty();
                break;
            case BatchAppendReq.Types.Options.ExpectedStreamPositionOneofCase.StreamExists:
                append.StreamExists = new Protocol.Empty();
                break;
            default:
                append.Any = new Protocol.Empty();
                break;
        }

        return append;
    }

    private static AppendReq.Types.ProposedMessage ToAppend(BatchAppendReq.Types.ProposedMessage message)
    {
        var append = new AppendReq.Types.ProposedMessage { Id = message.Id, CustomMetadata = message.CustomMetadata, Data = message.Data };
        append.Metadata.Add(message.Metadata);
        return append;
    }

    /// <summary>The shared WrongExpectedVersion the node packs into a BatchAppend error.</summary>
    private static WrongExpectedVersion WrongExpectedVersion(AppendResp.Types.WrongExpectedVersion wrong, BatchAppendReq.Types.Options options)
    {
        var shared = new WrongExpectedVersion();
        if (wrong.CurrentRevisionOptionCase == AppendResp.Types.WrongExpectedVersion.CurrentRevisionOptionOneofCase.CurrentRevision)
        {
            shared.CurrentStreamRevision = wrong.CurrentRevision;
        }
        else
        {
            shared.CurrentNoStream = new Google.Protobuf.WellKnownTypes.Empty();
        }

        switch (options.ExpectedStreamPositionCase)
        {
            case BatchAppendReq.Types.Options.ExpectedStreamPositionOneofCase.StreamPosition:
                shared.ExpectedStreamPosition = options.StreamPosition;
                break;
            case BatchAppendReq.Types.Options.ExpectedStreamPositionOneofCase.StreamExists:
                shared.ExpectedStreamExists = new Google.Protobuf.WellKnownTypes.Empty();
                break;
            case BatchAppendReq.Types.Options.ExpectedStreamPositionOneofCase.Any:
                shared.ExpectedAny = new Google.Protobuf.WellKnownTypes.Empty();
                break;
            default:
                shared.ExpectedNoStream = new Google.Protobuf.WellKnownTypes.Empty();
                break;
        }

        return shared;
    }

    private static Google.Rpc.Status BadRequest(string message) => Error(Google.Rpc.Code.InvalidArgument, "BadRequest", new BadRequest { Message = message });

    private static Google.Rpc.Status Error(Google.Rpc.Code code, string message, Google.Protobuf.IMessage detail) =>
        new() { Code = (int)code, Message = message, Details = { Google.Protobuf.WellKnownTypes.Any.Pack(detail) } };

    public override async Task Read(ReadReq request, IServerStreamWriter<ReadResp> responseStream, ServerCallContext context)
    {
        node.Admit(context);
        var options = request.Options ?? throw Invalid("options are required");
        if (options.UuidOption is null || options.UuidOption.ContentCase == Types.UUIDOption.ContentOneofCase.None)
        {
            throw Invalid("uuid_option is required");
        }

        if (options.FilterOptionCase == FilterOptionOneofCase.None)
        {
            throw Invalid("one of filter or no_filter is required");
        }

        var forwards = options.ReadDirection == Types.ReadDirection.Forwards;
        var filtered = options.FilterOptionCase == FilterOptionOneofCase.Filter;
        try
        {
            switch (options.StreamOptionCase, options.CountOptionCase)
            {
                case (StreamOptionOneofCase.Stream, CountOptionOneofCase.Count) when !filtered:
                    await ReadStreamAsync(options, forwards, responseStream, context.CancellationToken);
                    break;
                case (StreamOptionOneofCase.All, CountOptionOneofCase.Count):
                    await ReadAllAsync(options, forwards, responseStream, context.CancellationToken);
                    break;
                case (StreamOptionOneofCase.All, CountOptionOneofCase.Subscription) when forwards:
                    await SubscribeAllAsync(options, responseStream, context.CancellationToken);
                    break;
                case (StreamOptionOneofCase.Stream, CountOptionOneofCase.Subscription):
                    throw new RpcException(new Status(StatusCode.Unimplemented, "stream subscriptions are not in the protocol fake"));
                default:
                    throw Invalid("invalid combination");
            }
        }
        catch (Exception ex) when (context.CancellationToken.IsCancellationRequested && ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            throw node.Cancelled();
        }
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));

    private async Task ReadStreamAsync(ReadReq.Types.Options options, bool forwards, IServerStreamWriter<ReadResp> responses, CancellationToken cancellationToken)
    {
        var name = options.Stream.StreamIdentifier.StreamName.ToStringUtf8();
        var records = log.Stream(name);
        if (records is null)
        {
            await responses.WriteAsync(new ReadResp { StreamNotFound = new ReadResp.Types.StreamNotFound { StreamIdentifier = options.Stream.StreamIdentifier } }, cancellationToken);
            return;
        }

        var from = options.Stream.RevisionOptionCase switch
        {
            Types.StreamOptions.RevisionOptionOneofCase.Revision => (long)Math.Min(options.Stream.Revision, long.MaxValue),
            Types.StreamOptions.RevisionOptionOneofCase.End => records.Count - 1,
            _ => forwards ? 0 : records.Count - 1,
        };
        var selected = forwards
            ? records.Where(r => (long)r.Revision >= from)
            : records.Where(r => (long)r.Revision <= from).Reverse();
        foreach (var record in selected.Take((int)Math.Min(options.Count, int.MaxValue)))
        {
            await responses.WriteAsync(record.ToResponse(options.UuidOption), cancellationToken);
        }

        if (options.ControlOption is { Compatibility: >= 1 })
        {
            await responses.WriteAsync(new ReadResp { LastStreamPosition = (ulong)records.Count - 1 }, cancellationToken);
        }
    }

    private async Task ReadAllAsync(ReadReq.Types.Options options, bool forwards, IServerStreamWriter<ReadResp> responses, CancellationToken cancellationToken)
    {
        var at = options.All.AllOptionCase == Types.AllOptions.AllOptionOneofCase.Position ? options.All.Position.CommitPosition : 0;
        // A node seeks to the position and reads on from there, as of when the read began.
        var (count, start, exact) = log.Seek(at);
        var selected = (options.All.AllOptionCase, forwards) switch
        {
            (Types.AllOptions.AllOptionOneofCase.Position, true) => log.Range(start, count, forwards: true),
            (Types.AllOptions.AllOptionOneofCase.Position, false) => log.Range(0, exact ? start + 1 : start, forwards: false),
            (Types.AllOptions.AllOptionOneofCase.End, true) => [],
            (Types.AllOptions.AllOptionOneofCase.Start, false) => [],
            _ => log.Range(0, count, forwards),
        };
        var filter = options.FilterOptionCase == FilterOptionOneofCase.Filter ? options.Filter : null;
        foreach (var record in selected.Where(r => r.Matches(filter)).Take((int)Math.Min(options.Count, int.MaxValue)))
        {
            await responses.WriteAsync(record.ToResponse(options.UuidOption), cancellationToken);
            node.ServedFromAll();
        }
    }

    private async Task SubscribeAllAsync(ReadReq.Types.Options options, IServerStreamWriter<ReadResp> responses, CancellationToken cancellationToken)
    {
        var filter = options.FilterOptionCase == FilterOptionOneofCase.Filter ? options.Filter : null;
        if (filter is { CheckpointIntervalMultiplier: 0 })
        {
            throw Invalid("checkpointIntervalMultiplier must be at least 1");
        }

        var checkpointEvery = filter is null ? 0 : (filter.WindowCase == Types.FilterOptions.WindowOneofCase.Max ? filter.Max : 32) * filter.CheckpointIntervalMultiplier;
        await responses.WriteAsync(new ReadResp { Confirmation = new ReadResp.Types.SubscriptionConfirmation { SubscriptionId = Guid.NewGuid().ToString() } }, cancellationToken);

        var records = log.All;
        var next = options.All.AllOptionCase switch
        {
            Types.AllOptions.AllOptionOneofCase.Position => records.Count(r => r.Position <= options.All.Position.CommitPosition),
            Types.AllOptions.AllOptionOneofCase.End => records.Count,
            _ => 0,
        };
        var considered = 0L;
        var sent = 0;
        var dropAfter = node.DropNextSubscriptionAfter;
        node.DropNextSubscriptionAfter = null;
        var caughtUp = false;
        while (true)
        {
            var changed = log.Changed;
            records = log.All;
            for (; next < records.Count; next++)
            {
                var record = records[next];
                if (record.Matches(filter))
                {
                    if (sent++ == dropAfter)
                    {
                        node.DroppedSubscriptions++;
                        throw new RpcException(new Status(StatusCode.Unavailable, "Server is shutting down"));
                    }

                    await responses.WriteAsync(record.ToResponse(options.UuidOption), cancellationToken);
                }

                considered++;
                if (!caughtUp && checkpointEvery > 0 && considered % checkpointEvery == 0)
                {
                    await responses.WriteAsync(Checkpoint(record), cancellationToken);
                }
            }

            if (!caughtUp)
            {
                caughtUp = true;
                var last = records.Count > 0 ? records[^1] : null;
                if (filter is not null && last is not null)
                {
                    await responses.WriteAsync(Checkpoint(last), cancellationToken);
                }

                await responses.WriteAsync(new ReadResp { CaughtUp = new ReadResp.Types.CaughtUp { Timestamp = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow) } }, cancellationToken);
            }

            await changed.WaitAsync(cancellationToken);
        }
    }

    private static ReadResp Checkpoint(FakeRecord record) =>
        new() { Checkpoint = new ReadResp.Types.Checkpoint { CommitPosition = record.Position, PreparePosition = record.Position, Timestamp = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow) } };
}

/// <summary>A batch gathered from its requests until is_final.</summary>
internal sealed class FakeBatch(BatchAppendReq.Types.Options options)
{
    public BatchAppendReq.Types.Options Options => options;

    public List<AppendReq.Types.ProposedMessage> Proposed { get; } = [];
}

/// <summary>The answers of one BatchAppend call, written one at a time in the order their writes end.</summary>
internal sealed class FakeBatchAnswers(IServerStreamWriter<BatchAppendResp> responses)
{
    private readonly Channel<BatchAppendResp?> queue = Channel.CreateUnbounded<BatchAppendResp?>();
    private int promised;

    /// <summary>An answer will follow: a write has begun.</summary>
    public void Promise() => Interlocked.Increment(ref promised);

    public void Answer(BatchAppendResp response) => queue.Writer.TryWrite(response);

    public void Error(UUID correlationId, StreamIdentifier? stream, Google.Rpc.Status error)
    {
        Promise();
        Answer(new BatchAppendResp { CorrelationId = correlationId, StreamIdentifier = stream, Error = error });
    }

    /// <summary>The client has half-closed.</summary>
    public void Close() => queue.Writer.TryWrite(null);

    /// <summary>Ends the call with this error once the answers before it are sent.</summary>
    public void Fail(RpcException error) => queue.Writer.TryComplete(error);

    public async Task SendAsync(CancellationToken cancellationToken)
    {
        var closing = false;
        try
        {
            await foreach (var response in queue.Reader.ReadAllAsync(cancellationToken))
            {
                if (response is null)
                {
                    closing = true;
                    if (Volatile.Read(ref promised) == 0)
                    {
                        return;
                    }

                    continue;
                }

                await responses.WriteAsync(response, cancellationToken);
                if (Interlocked.Decrement(ref promised) >= 0 && closing)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is OperationCanceledException or IOException or InvalidOperationException)
        {
        }
    }
}
