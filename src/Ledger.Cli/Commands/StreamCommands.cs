using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ledger.Events;
using Ledger.Messaging.Notifying;
using Ledger.Serialization;
using Ledger.Cli.Output;
using Ledger.Storage;
using Ledger.Verification;

namespace Ledger.Cli.Commands;

/// <summary>
/// An event as export and tail print it: its place in the ledger, its envelope and its data unchanged. Export adds the
/// leaf hash the Merkle log holds for it, when the store keeps one, so that an offline verifier can name an event whose
/// content no longer gives it.
/// </summary>
public sealed record EventLine(long Position, string Stream, long Version, string Type, string? StatementId, string Organization,
    DateTimeOffset? PublishedAt, DateTimeOffset RecordedAt, string RecordedBy, JsonElement Data,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? LeafHash = null)
{
    public static EventLine From(StoredEvent e, byte[]? leafHash = null)
    {
        using var data = JsonDocument.Parse(e.Data);
        return new(e.Position, e.Stream, e.Version, e.Type, e.StatementId, e.Organization, e.PublishedAt, e.RecordedAt, e.RecordedBy, data.RootElement.Clone(),
            leafHash is null ? null : Convert.ToBase64String(leafHash));
    }

    public string ToJson() => JsonSerializer.Serialize(this, LedgerJson.OutputLine);
}

public static class StreamCommands
{
    public static void AddExportCommand(this RootCommand root)
    {
        var format = new Option<string>("--format") { Description = "ndjson (every event) or csv (one view: see --view)", DefaultValueFactory = _ => "ndjson" };
        format.AcceptOnlyFromAmong("ndjson", "csv");
        var view = new Option<string>("--view")
        {
            Description = "With --format csv: statements (one row per statement, with its promise, due date, findings and action), promises or allegations (as they stand now)",
            DefaultValueFactory = _ => CsvViews.Statements,
        };
        view.AcceptOnlyFromAmong(CsvViews.Statements, CsvViews.Promises, CsvViews.Allegations);
        var output = new Option<string?>("--output", "-o") { Description = "Write to this file instead of standard output" };
        var command = new Command("export", "Export the whole ledger: NDJSON of events in global order, or one CSV view (statements, promises or allegations)") { format, view, output };
        command.SetStoreAction(async (context, cancellationToken) =>
        {
            var csv = context.Value(format) == "csv";
            if (!csv && context.Parse.GetResult(view) is { Implicit: false })
            {
                throw new UsageException("--view goes with --format csv");
            }

            await using var stream = context.Value(output) is { } path ? File.Create(path) : Console.OpenStandardOutput();
            await using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\n" };
            if (csv)
            {
                await CsvViews.WriteAsync(context.Value(view)!, context, writer, cancellationToken);
                return ExitCodes.Ok;
            }

            var leaves = context.Store is IVerifiableStore verifiable ? new LeafHashes(verifiable.Merkle, cancellationToken) : null;
            await using var disposeLeaves = leaves;
            await foreach (var e in context.Store.ReadAllAsync(1, null, cancellationToken))
            {
                await writer.WriteLineAsync(EventLine.From(e, leaves is null ? null : await leaves.AtAsync(e.Position)).ToJson());
            }

            return ExitCodes.Ok;
        });
        root.Subcommands.Add(command);
    }

    public static void AddTailCommand(this RootCommand root)
    {
        var from = new Option<long>("--from") { Description = "Start at this global position", DefaultValueFactory = _ => 1 };
        var matter = new Option<string[]>("--matter") { Description = "Only these matters", AllowMultipleArgumentsPerToken = true };
        var organization = new Option<string[]>("--organization") { Description = "Only these organizations", AllowMultipleArgumentsPerToken = true };
        var type = new Option<string[]>("--type") { Description = "Only these event types", AllowMultipleArgumentsPerToken = true };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep following new events until interrupted" };
        var checkpoint = new Option<string?>("--checkpoint")
        {
            Description = "Resume after the position saved in this file (instead of --from) and save each printed event's position to it",
        };
        var command = new Command("tail", "Print events and promise notices from a global position, filtered; --follow keeps listening") { from, matter, organization, type, follow, checkpoint };
        command.SetStoreAction(async (context, cancellationToken) =>
        {
            var types = context.Value(type) ?? [];
            foreach (var unknown in types.Where(t => !EventTypes.TryGetType(t, out _) && !PromiseNotices.IsType(t)))
            {
                throw new UsageException($"--type \"{unknown}\" is not one of {string.Join(", ", EventTypes.All.Concat(PromiseNotices.Types))}");
            }

            var filter = new EventFilter(context.Value(matter), context.Value(organization), types);
            var saved = context.Value(checkpoint) is { } path ? new TailCheckpoint(path) : null;
            var (afterPosition, afterSequence) = saved?.Read() ?? (context.Value(from) - 1, 0);
            await using var feed = await context.Backend.OpenFeedAsync(cancellationToken);
            var notices = (await PromiseNotices.ReadAsync(feed, filter, afterPosition, cancellationToken))
                .Where(After).ToList();
            bool After(Notification n) => PromiseNotices.PositionOf(n) > afterPosition || (PromiseNotices.PositionOf(n) == afterPosition && n.Sequence > afterSequence);
            var printed = new HashSet<long>();
            var last = afterPosition;
            void Print(LedgerItem item)
            {
                if (item.Event is { } e)
                {
                    Console.WriteLine(context.Json
                        ? EventLine.From(e).ToJson()
                        : $"{e.Position,8}  {Printer.Date(e.RecordedAt)}  {Printer.Plain(e.Stream)}  {Printer.Plain(e.Type)}  {Printer.Plain(e.StatementId ?? "-")}");
                    last = e.Position;

                    // Saved after printing: a tail killed in between prints that one event again, never skips one.
                    saved?.Save(e.Position.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    return;
                }

                var n = item.Notice!;
                printed.Add(n.Sequence);
                Console.WriteLine(context.Json
                    ? NoticeLine.From(n).ToJson()
                    : $"{PromiseNotices.PositionOf(n),8}  {Printer.Date(n.NotifiedAt)}  {Printer.Plain(n.Matter)}  {PromiseNotices.TypeOf(n.Kind)}  {Printer.Plain(n.Id)}");
                saved?.Save(PromiseNotices.CursorOf(n));
            }

            await foreach (var item in PromiseNotices.MergeAsync(context.Store.ReadAllAsync(afterPosition + 1, filter, cancellationToken), notices))
            {
                Print(item);
            }

            if (context.Value(follow))
            {
                await foreach (var item in FollowAsync(context.Store, feed, filter, last, cancellationToken))
                {
                    if (item.Event is not null || (After(item.Notice!) && printed.Add(item.Notice!.Sequence)))
                    {
                        Print(item);
                    }
                }
            }

            return ExitCodes.Ok;
        });
        root.Subcommands.Add(command);
    }

    /// <summary>New events from the subscription and new notices from the feed (read every second), as they come.</summary>
    private static async IAsyncEnumerable<LedgerItem> FollowAsync(IEventStore store, INotificationFeed feed, EventFilter filter, long after,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var items = System.Threading.Channels.Channel.CreateUnbounded<LedgerItem>();
        var events = Task.Run(
            async () =>
            {
                await foreach (var e in store.SubscribeAsync(after + 1, filter, cancellationToken))
                {
                    await items.Writer.WriteAsync(new LedgerItem(e, null), cancellationToken);
                }
            },
            cancellationToken);
        var notices = Task.Run(
            async () =>
            {
                var sequence = 0L;
                while (!cancellationToken.IsCancellationRequested)
                {
                    await foreach (var n in feed.ReadNoticesAsync(sequence, cancellationToken))
                    {
                        sequence = n.Sequence;
                        if (PromiseNotices.Matches(filter, n))
                        {
                            await items.Writer.WriteAsync(new LedgerItem(null, n), cancellationToken);
                        }
                    }

                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                }
            },
            cancellationToken);
        _ = Task.WhenAll(events, notices).ContinueWith(t => items.Writer.TryComplete(t.Exception?.InnerException is OperationCanceledException ? null : t.Exception?.InnerException), TaskScheduler.Default);
        await foreach (var item in items.Reader.ReadAllAsync(cancellationToken))
        {
            yield return item;
        }
    }
}

/// <summary>A promise notice as tail prints it with --json: its type, stable id and the log position it follows.</summary>
public sealed record NoticeLine(string Type, string Id, long Position, long Sequence, string Matter, string Organization, string? PromiseStatementId,
    DateTimeOffset OccurredAt, DateTimeOffset NotifiedAt, JsonElement Data)
{
    public static NoticeLine From(Notification n)
    {
        using var data = JsonDocument.Parse(n.Data);
        return new(PromiseNotices.TypeOf(n.Kind), n.Id, PromiseNotices.PositionOf(n), n.Sequence, n.Matter, n.Organization, n.StatementId, n.OccurredAt, n.NotifiedAt,
            data.RootElement.Clone());
    }

    public string ToJson() => JsonSerializer.Serialize(this, LedgerJson.OutputLine);
}

/// <summary>
/// The last position a tail printed, in a file of its own. Replaced by rename, so a tail killed at any moment leaves
/// either the old position or the new one, never a torn file.
/// </summary>
internal sealed class TailCheckpoint(string path)
{
    private readonly string temporary = path + ".tmp";

    /// <summary>The last event's position and, after a promise notice there, the notice's feed sequence ("8" or "8.12").</summary>
    /// <exception cref="UsageException">The file holds something other than a position.</exception>
    public (long Position, long Sequence)? Read()
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var text = File.ReadAllText(path).Trim();
        var parts = text.Split('.');
        var numbers = parts.Select(p => long.TryParse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : (long?)null).ToList();
        return parts.Length <= 2 && numbers.All(n => n is not null)
            ? (numbers[0]!.Value, parts.Length == 2 ? numbers[1]!.Value : 0)
            : throw new UsageException($"--checkpoint {path}: expected the last printed position (a whole number), found \"{text}\"");
    }

    public void Save(string cursor)
    {
        File.WriteAllText(temporary, cursor + "\n");
        File.Move(temporary, path, overwrite: true);
    }
}

/// <summary>The log's leaves read alongside the events in global order: both ascend by position.</summary>
internal sealed class LeafHashes(IMerkleLog log, CancellationToken cancellationToken) : IAsyncDisposable
{
    private readonly IAsyncEnumerator<MerkleLeaf> leaves = log.ReadLeavesAsync(0, cancellationToken).GetAsyncEnumerator(cancellationToken);
    private bool more = true;
    private bool started;

    /// <summary>The hash of the leaf at this position; null when no leaf covers it (yet).</summary>
    public async Task<byte[]?> AtAsync(long position)
    {
        if (!started)
        {
            started = true;
            more = await leaves.MoveNextAsync();
        }

        while (more && leaves.Current.Position < position)
        {
            more = await leaves.MoveNextAsync();
        }

        return more && leaves.Current.Position == position ? leaves.Current.StoredHash : null;
    }

    public ValueTask DisposeAsync() => leaves.DisposeAsync();
}
