using Ledger.Store.EventStoreDb.Protocol;
using Ledger.Store.EventStoreDb.Protocol.Streams;

namespace Ledger.Store.EventStoreDb;

/// <summary>Read requests as the server wants them: a uuid option and a filter option are always set.</summary>
internal static class Requests
{
    /// <summary>The server's own cap for reads we mean to be unbounded.</summary>
    public const ulong Unbounded = long.MaxValue;

    public static ReadReq.Types.Options.Types.Position At(ulong commit, ulong prepare) => new() { CommitPosition = commit, PreparePosition = prepare };

    /// <summary>An append's options: after the stream's event at <paramref name="lastRevision"/>, or to a stream that must not exist yet (null).</summary>
    public static AppendReq.Types.Options Append(string stream, ulong? lastRevision)
    {
        var options = new AppendReq.Types.Options { StreamIdentifier = EventEncoding.Identifier(stream) };
        if (lastRevision is { } revision)
        {
            options.Revision = revision;
        }
        else
        {
            options.NoStream = new Empty();
        }

        return options;
    }

    public static ReadReq Stream(string name, ulong revision, ulong count) =>
        new()
        {
            Options = new ReadReq.Types.Options
            {
                Stream = new ReadReq.Types.Options.Types.StreamOptions { StreamIdentifier = EventEncoding.Identifier(name), Revision = revision },
                ReadDirection = ReadReq.Types.Options.Types.ReadDirection.Forwards,
                Count = count,
                NoFilter = new Empty(),
                UuidOption = new ReadReq.Types.Options.Types.UUIDOption { String = new Empty() },
            },
        };

    /// <summary>$all forwards from a position (inclusive for reads, exclusive for subscriptions) or from the start; count or subscription is the caller's.</summary>
    public static ReadReq All(ReadReq.Types.Options.Types.Position? from, ReadReq.Types.Options.Types.FilterOptions filter)
    {
        var all = new ReadReq.Types.Options.Types.AllOptions();
        if (from is null)
        {
            all.Start = new Empty();
        }
        else
        {
            all.Position = from;
        }

        return new ReadReq
        {
            Options = new ReadReq.Types.Options
            {
                All = all,
                ReadDirection = ReadReq.Types.Options.Types.ReadDirection.Forwards,
                Filter = filter,
                UuidOption = new ReadReq.Types.Options.Types.UUIDOption { String = new Empty() },
            },
        };
    }

    public static ReadReq.Types.Options.Types.FilterOptions StreamPrefixes(IEnumerable<string> prefixes) =>
        new()
        {
            StreamIdentifier = new ReadReq.Types.Options.Types.FilterOptions.Types.Expression { Prefix = { prefixes } },
            Max = 32,
            CheckpointIntervalMultiplier = 1,
        };

    public static ReadReq.Types.Options.Types.FilterOptions EventTypes(IEnumerable<string> types) =>
        new()
        {
            EventType = new ReadReq.Types.Options.Types.FilterOptions.Types.Expression { Prefix = { types } },
            Max = 32,
            CheckpointIntervalMultiplier = 1,
        };
}
