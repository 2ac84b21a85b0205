using Grpc.Core;
using Ledger.Store.EventStoreDb.Protocol.Streams;
using static Ledger.Store.EventStoreDb.Protocol.Streams.ReadReq.Types.Options;

namespace Ledger.Store.EventStoreDb.ProtocolFake;

/// <summary>
/// The Streams service of the protocol fake, following the project's protocol notes: options first on Append, required
/// metadata, wrong expected version as a normal response, stream-not-found as a message, the server's valid read
/// combinations, inclusive read positions and exclusive subscription checkpoints, filter windows and checkpoints,
/// Confirmation → (Checkpoint) → CaughtUp → live events. It is a fake of the protocol, not proof that a real node agrees.
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

        return log.Append(stream, options, proposed);
    }

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
