using Ledger.Storage;

namespace Ledger.Migrating;

/// <summary>
/// Copies a whole ledger from one store to another, in global order, keeping statement ids, stream versions,
/// recording times, actors and event data exactly. It resumes: what the target already holds must be the start of
/// the source, and only the rest is copied. It ends by comparing every event of both stores.
/// </summary>
public sealed class MigrateLedger(IEventStore source, IEventStore target)
{
    private const int RunLimit = 500;

    public async Task<MigrationResult> RunAsync(IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        var present = new List<EventFingerprint>();
        await foreach (var e in target.ReadAllAsync(1, null, cancellationToken))
        {
            present.Add(EventFingerprint.Of(e));
        }

        long read = 0, copied = 0;
        var run = new List<StoredEvent>();
        async Task FlushAsync()
        {
            if (run.Count == 0)
            {
                return;
            }

            await target.AppendAsync(run[0].Stream, run[0].Version - 1, run.Select(ToAppend).ToList(), cancellationToken);
            copied += run.Count;
            progress?.Report(read);
            run.Clear();
        }

        await foreach (var e in source.ReadAllAsync(1, null, cancellationToken))
        {
            if (read < present.Count)
            {
                var expected = EventFingerprint.Of(e);
                if (present[(int)read] != expected)
                {
                    return MigrationResult.Refused(
                        $"the target's event {read + 1} ({present[(int)read]}) differs from the source's ({expected}): migrate into an empty store, or one an interrupted migrate of this source left");
                }

                read++;
                continue;
            }

            read++;
            if (run.Count > 0 && (run[^1].Stream != e.Stream || run.Count == RunLimit))
            {
                await FlushAsync();
            }

            run.Add(e);
        }

        await FlushAsync();
        if (present.Count > read)
        {
            return MigrationResult.Refused($"the target holds {present.Count} events, more than the source's {read}");
        }

        return await VerifyAsync(copied, present.Count, cancellationToken);
    }

    /// <summary>Every event of the target equals the source's at the same place: type, stream, version, envelope and data hash.</summary>
    private async Task<MigrationResult> VerifyAsync(long copied, long alreadyPresent, CancellationToken cancellationToken)
    {
        await using var left = source.ReadAllAsync(1, null, cancellationToken).GetAsyncEnumerator(cancellationToken);
        await using var right = target.ReadAllAsync(1, null, cancellationToken).GetAsyncEnumerator(cancellationToken);
        long compared = 0;
        while (true)
        {
            var hasLeft = await left.MoveNextAsync();
            var hasRight = await right.MoveNextAsync();
            if (!hasLeft || !hasRight)
            {
                return hasLeft == hasRight
                    ? new MigrationResult(copied, alreadyPresent, compared, null)
                    : MigrationResult.Refused($"after {compared} equal events, the {(hasLeft ? "target" : "source")} has no more events and the other has");
            }

            compared++;
            var a = EventFingerprint.Of(left.Current);
            var b = EventFingerprint.Of(right.Current);
            if (a != b)
            {
                return MigrationResult.Refused($"event {compared} differs after the copy: source {a}, target {b}");
            }
        }
    }

    private static EventToAppend ToAppend(StoredEvent e) =>
        new(e.Type, e.StatementId, e.Organization, e.PublishedAt, e.RecordedAt, e.RecordedBy, e.Data);
}

/// <summary>What identifies a recorded event across stores: everything but its global position, with its data hashed.</summary>
public sealed record EventFingerprint(string Stream, long Version, string Type, string? StatementId, string Organization,
    DateTimeOffset? PublishedAt, DateTimeOffset RecordedAt, string RecordedBy, string DataSha256)
{
    public static EventFingerprint Of(StoredEvent e) =>
        new(e.Stream, e.Version, e.Type, e.StatementId, e.Organization, e.PublishedAt, e.RecordedAt, e.RecordedBy, Hashing.Sha256Hex(e.Data));

    public override string ToString() => $"{Stream} v{Version} {Type} {StatementId ?? "-"} data {DataSha256[..12]}";
}

/// <summary>Copied and already-present counts, events compared, or why the migration was refused.</summary>
public sealed record MigrationResult(long Copied, long AlreadyPresent, long Verified, string? Problem)
{
    public static MigrationResult Refused(string problem) => new(0, 0, 0, problem);
}
