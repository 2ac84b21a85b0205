using System.Buffers.Binary;
using System.Globalization;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Ledger.Store.EventStoreDb.Protocol;
using Ledger.Store.EventStoreDb.Protocol.Streams;

namespace Ledger.Store.EventStoreDb.ProtocolFake;

/// <summary>
/// The protocol fake's memory: one log ($all) of records with byte-offset-like commit/prepare positions (gaps between
/// them, as on a real node), and the streams as views of it. Not a database: no scavenging, deletes, links or projections.
/// </summary>
internal sealed class FakeLog
{
    private readonly Lock gate = new();
    private readonly List<FakeRecord> all = [];
    private readonly Dictionary<string, List<FakeRecord>> streams = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, FakeRecord> ids = [];
    private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ulong nextPosition = 4096;

    public FakeLog()
    {
        // A real node's $all starts with its own system events; ledger positions must not count them.
        var settings = new AppendReq.Types.ProposedMessage { Id = new UUID { String = Guid.NewGuid().ToString() }, Data = ByteString.CopyFromUtf8("{}") };
        settings.Metadata.Add("type", "$settings");
        settings.Metadata.Add("content-type", "application/json");
        Append("$settings", new AppendReq.Types.Options { Any = new Empty() }, [settings]);
    }

    /// <summary>
    /// Another ledger on the same node: each append outside it is followed by the neighbour's own copy under this prefix
    /// (same types and envelopes, fresh ids), so that $all interleaves foreign events as a shared node does.
    /// </summary>
    public string? Neighbour { get; set; }

    public IReadOnlyList<FakeRecord> All
    {
        get
        {
            lock (gate)
            {
                return [.. all];
            }
        }
    }

    /// <summary>How many records $all holds, the index of the first at or after the position, and whether it is at it.</summary>
    public (int Count, int Index, bool Exact) Seek(ulong position)
    {
        lock (gate)
        {
            var (low, high) = (0, all.Count);
            while (low < high)
            {
                var middle = (low + high) / 2;
                (low, high) = all[middle].Position < position ? (middle + 1, high) : (low, middle);
            }

            return (all.Count, low, low < all.Count && all[low].Position == position);
        }
    }

    /// <summary>
    /// The records of $all from index <paramref name="from"/> up to <paramref name="to"/> (excluded), forwards or backwards,
    /// copied a chunk at a time: $all only grows, so the indices hold, and a read of a few records copies no more.
    /// </summary>
    public IEnumerable<FakeRecord> Range(int from, int to, bool forwards)
    {
        const int Chunk = 1000;
        for (var done = 0; done < to - from; done += Chunk)
        {
            var size = Math.Min(Chunk, to - from - done);
            List<FakeRecord> chunk;
            lock (gate)
            {
                chunk = all.GetRange(forwards ? from + done : to - done - size, size);
            }

            if (!forwards)
            {
                chunk.Reverse();
            }

            foreach (var record in chunk)
            {
                yield return record;
            }
        }
    }

    public IReadOnlyList<FakeRecord>? Stream(string name)
    {
        lock (gate)
        {
            return streams.TryGetValue(name, out var records) ? [.. records] : null;
        }
    }

    /// <summary>
    /// Forgets the latest <paramref name="count"/> records of $all, as a node does that loses its latest writes (a failover
    /// that truncates the log to what the new leader had): later writes take their positions again.
    /// </summary>
    public void DropLatest(int count)
    {
        lock (gate)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(count, all.Count);
            var dropped = all.GetRange(all.Count - count, count);
            all.RemoveRange(all.Count - count, count);
            foreach (var record in dropped)
            {
                ids.Remove(record.Id);
                var records = streams[record.Stream];
                records.Remove(record);
                if (records.Count == 0)
                {
                    streams.Remove(record.Stream);
                }
            }

            if (dropped.Count > 0)
            {
                nextPosition = dropped[0].Position;
            }
        }
    }

    /// <summary>Completes at the next append.</summary>
    public Task Changed
    {
        get
        {
            lock (gate)
            {
                return changed.Task;
            }
        }
    }

    public AppendResp Append(string stream, AppendReq.Types.Options options, IReadOnlyList<AppendReq.Types.ProposedMessage> proposed)
    {
        TaskCompletionSource wake;
        AppendResp response;
        lock (gate)
        {
            streams.TryGetValue(stream, out var records);
            long current = records is null ? -1 : records.Count - 1;
            var expectedOk = options.ExpectedStreamRevisionCase switch
            {
                AppendReq.Types.Options.ExpectedStreamRevisionOneofCase.NoStream => current == -1,
                AppendReq.Types.Options.ExpectedStreamRevisionOneofCase.StreamExists => current >= 0,
                AppendReq.Types.Options.ExpectedStreamRevisionOneofCase.Revision => current == (long)options.Revision,
                _ => true,
            };
            if (!expectedOk)
            {
                return AlreadyWritten(records, options, proposed) ?? WrongExpectedVersion(current, options);
            }

            if (options.ExpectedStreamRevisionCase is not (AppendReq.Types.Options.ExpectedStreamRevisionOneofCase.NoStream or AppendReq.Types.Options.ExpectedStreamRevisionOneofCase.Revision)
                && SeenBefore(stream, current, options, proposed) is { } repeated)
            {
                return repeated;
            }

            records ??= streams[stream] = [];
            Write(records, stream, proposed);
            response = Success(records);
            if (Neighbour is { } neighbour && !stream.StartsWith(neighbour, StringComparison.Ordinal) && !stream.StartsWith('$'))
            {
                Write(streams.TryGetValue(neighbour + stream, out var copies) ? copies : streams[neighbour + stream] = [], neighbour + stream, proposed.Select(Copy));
            }

            wake = changed;
            changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        wake.TrySetResult();
        return response;
    }

    /// <summary>
    /// The node's check for "any" and "stream exists", against the event ids it remembers (a cache on the node, so
    /// best-effort there; the fake forgets none): all of them in this stream is the same write again, answered as it was;
    /// only the first of them is a partial repeat, refused as a wrong expected version; none of them is a new write (null).
    /// </summary>
    private AppendResp? SeenBefore(string stream, long current, AppendReq.Types.Options options, IReadOnlyList<AppendReq.Types.ProposedMessage> proposed)
    {
        FakeRecord? last = null;
        for (var i = 0; i < proposed.Count; i++)
        {
            if (!ids.TryGetValue(Guid.Parse(proposed[i].Id.String), out var record) || record.Stream != stream)
            {
                return i == 0 ? null : WrongExpectedVersion(current, options);
            }

            last = record;
        }

        return last is null ? null : Success([.. streams[stream].Take((int)last.Revision + 1)]);
    }

    private void Write(List<FakeRecord> records, string stream, IEnumerable<AppendReq.Types.ProposedMessage> proposed)
    {
        foreach (var message in proposed)
        {
            var record = new FakeRecord(
                Guid.Parse(message.Id.String),
                stream,
                (ulong)records.Count,
                nextPosition,
                new Dictionary<string, string>(message.Metadata) { ["created"] = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks.ToString(CultureInfo.InvariantCulture) },
                message.CustomMetadata,
                message.Data);
            nextPosition += 64UL + (ulong)message.Data.Length + (ulong)message.CustomMetadata.Length;
            records.Add(record);
            all.Add(record);
            ids[record.Id] = record;
        }
    }

    private static AppendReq.Types.ProposedMessage Copy(AppendReq.Types.ProposedMessage message)
    {
        var copy = message.Clone();
        copy.Id = new UUID { String = Guid.NewGuid().ToString() };
        return copy;
    }

    /// <summary>
    /// The node's check for an exact expected revision or "no stream" that is behind the stream: the same event ids right
    /// after the expected revision are the same write again, answered as it was (not written twice); anything else, a
    /// partial repeat among them, is a wrong expected version (null here).
    /// </summary>
    private static AppendResp? AlreadyWritten(List<FakeRecord>? records, AppendReq.Types.Options options, IReadOnlyList<AppendReq.Types.ProposedMessage> proposed)
    {
        var first = options.ExpectedStreamRevisionCase switch
        {
            AppendReq.Types.Options.ExpectedStreamRevisionOneofCase.NoStream => 0L,
            AppendReq.Types.Options.ExpectedStreamRevisionOneofCase.Revision => (long)options.Revision + 1,
            _ => -1L,
        };
        if (records is null || first < 0 || proposed.Count == 0 || first + proposed.Count > records.Count)
        {
            return null;
        }

        for (var i = 0; i < proposed.Count; i++)
        {
            if (records[(int)first + i].Id != Guid.Parse(proposed[i].Id.String))
            {
                return null;
            }
        }

        return Success(records.Take((int)first + proposed.Count).ToList());
    }

    private static AppendResp Success(List<FakeRecord> records)
    {
        var success = new AppendResp.Types.Success();
        if (records.Count == 0)
        {
            success.NoStream = new Empty();
            success.NoPosition = new Empty();
        }
        else
        {
            success.CurrentRevision = (ulong)records.Count - 1;
            success.Position = new AppendResp.Types.Position { CommitPosition = records[^1].Position, PreparePosition = records[^1].Position };
        }

        return new AppendResp { Success = success };
    }

    /// <summary>Both the 20.6.0 fields and the current ones are filled, as the server does.</summary>
    private static AppendResp WrongExpectedVersion(long current, AppendReq.Types.Options options)
    {
        var wrong = new AppendResp.Types.WrongExpectedVersion();
        if (current < 0)
        {
            wrong.CurrentNoStream = new Empty();
            wrong.NoStream2060 = new Empty();
        }
        else
        {
            wrong.CurrentRevision = (ulong)current;
            wrong.CurrentRevision2060 = (ulong)current;
        }

        switch (options.ExpectedStreamRevisionCase)
        {
            case AppendReq.Types.Options.ExpectedStreamRevisionOneofCase.Revision:
                wrong.ExpectedRevision = options.Revision;
                wrong.ExpectedRevision2060 = options.Revision;
                break;
            case AppendReq.Types.Options.ExpectedStreamRevisionOneofCase.StreamExists:
                wrong.ExpectedStreamExists = new Empty();
                wrong.StreamExists2060 = new Empty();
                break;
            default:
                wrong.ExpectedNoStream = new Empty();
                break;
        }

        return new AppendResp { WrongExpectedVersion = wrong };
    }
}

internal sealed record FakeRecord(Guid Id, string Stream, ulong Revision, ulong Position, IReadOnlyDictionary<string, string> Metadata, ByteString CustomMetadata, ByteString Data)
{
    public string Type => Metadata["type"];

    public ReadResp ToResponse(ReadReq.Types.Options.Types.UUIDOption uuidOption)
    {
        var recorded = new ReadResp.Types.ReadEvent.Types.RecordedEvent
        {
            Id = ToUuid(Id, uuidOption),
            StreamIdentifier = new StreamIdentifier { StreamName = ByteString.CopyFromUtf8(Stream) },
            StreamRevision = Revision,
            CommitPosition = Position,
            PreparePosition = Position,
            CustomMetadata = CustomMetadata,
            Data = Data,
        };
        foreach (var (key, value) in Metadata)
        {
            recorded.Metadata.Add(key, value);
        }

        return new ReadResp { Event = new ReadResp.Types.ReadEvent { Event = recorded, CommitPosition = Position } };
    }

    private static UUID ToUuid(Guid id, ReadReq.Types.Options.Types.UUIDOption option)
    {
        if (option.ContentCase == ReadReq.Types.Options.Types.UUIDOption.ContentOneofCase.String)
        {
            return new UUID { String = id.ToString() };
        }

        var bytes = id.ToByteArray(bigEndian: true);
        return new UUID
        {
            Structured = new UUID.Types.Structured
            {
                MostSignificantBits = BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(0, 8)),
                LeastSignificantBits = BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(8, 8)),
            },
        };
    }

    public bool Matches(ReadReq.Types.Options.Types.FilterOptions? filter)
    {
        if (filter is null)
        {
            return true;
        }

        return filter.FilterCase switch
        {
            ReadReq.Types.Options.Types.FilterOptions.FilterOneofCase.StreamIdentifier => Matches(filter.StreamIdentifier, Stream),
            ReadReq.Types.Options.Types.FilterOptions.FilterOneofCase.EventType => Matches(filter.EventType, Type),
            _ => true,
        };
    }

    private static bool Matches(ReadReq.Types.Options.Types.FilterOptions.Types.Expression expression, string value) =>
        expression.Regex.Length > 0
            ? Regex.IsMatch(value, expression.Regex, RegexOptions.None, TimeSpan.FromSeconds(1))
            : expression.Prefix.Count == 0 || expression.Prefix.Any(p => value.StartsWith(p, StringComparison.Ordinal));
}
