using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Ledger.Projections.ReadModels;

/// <summary>
/// The stored read side of a ledger, kept by its backend as events are appended and read by the CLI, the API and the
/// dashboard alike. Every list pages by a cursor over a sort key that never changes for an item, so the union of the
/// pages holds each item once even while the ledger grows. Each answer carries the log position it reflects.
/// </summary>
public interface IReadModelStore
{
    /// <summary>The last global position folded into the read models (0 before the first event).</summary>
    Task<long> PositionAsync(CancellationToken cancellationToken = default);

    /// <summary>One matter's stored status and row; null for a matter the read models do not hold.</summary>
    Task<StoredMatter?> MatterAsync(string matter, CancellationToken cancellationToken = default);

    /// <summary>Matters, newest opened first.</summary>
    Task<Page<MatterRow>> MattersAsync(MatterQuery query, CancellationToken cancellationToken = default);

    /// <summary>Promises by due date, then matter and id, rendered for <see cref="PromiseQuery.Today"/>.</summary>
    Task<Page<TrackedPromise>> PromisesAsync(PromiseQuery query, CancellationToken cancellationToken = default);

    /// <summary>Organizations by name, their overdue promises counted for <see cref="OrganizationQuery.Today"/>.</summary>
    Task<Page<OrganizationSummary>> OrganizationsAsync(OrganizationQuery query, CancellationToken cancellationToken = default);

    /// <summary>What the board counts: matters, and promises open and overdue on a day.</summary>
    Task<LedgerCounts> CountsAsync(DateOnly today, CancellationToken cancellationToken = default);
}

/// <summary>A backend whose store keeps the read models (every backend's; decorators pass it on).</summary>
public interface IReadModelSource
{
    IReadModelStore ReadModels { get; }
}

/// <summary>The kept read models of a matter with the position they reflect.</summary>
public sealed record StoredMatter(MatterStatus Status, MatterRow Row);

public sealed record Page<T>(IReadOnlyList<T> Items, string? Next, long Position);

public sealed record LedgerCounts(int Matters, int OpenPromises, int OverduePromises, long Position);

/// <summary>A page of matters: at most Limit after the cursor, filtered by organization, phase and overdue promises (OverdueOn: open and due before that day).</summary>
public sealed record MatterQuery(int Limit, string? After = null, string? Organization = null, string? Phase = null, DateOnly? OverdueOn = null);

/// <summary>
/// A page of promises: at most Limit after the cursor, filtered by organization, matter, status (open, overdue,
/// delivered or withdrawn, open and overdue as of Today) and due date (DueBefore: due before that day).
/// </summary>
public sealed record PromiseQuery(int Limit, DateOnly Today, string? After = null, string? Organization = null, string? Matter = null, string? Status = null, DateOnly? DueBefore = null);

/// <summary>A page of organizations after the cursor, or the one named.</summary>
public sealed record OrganizationQuery(int Limit, DateOnly Today, string? After = null, string? Name = null);

/// <summary>
/// Opaque page cursors: the sort key of the last item of a page, so the next page starts after it. The same key
/// layout on every backend, so a cursor means the same on each.
/// </summary>
public static class PageCursor
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    public static string Of(params string[] key) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Join('\n', key)));

    public static string Of(MatterRow row) => Of(row.Opened.ToString(CultureInfo.InvariantCulture));

    public static string Of(TrackedPromise promise) => Of(promise.DueBy.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), promise.Matter, promise.Id);

    public static string Of(OrganizationSummary organization) => Of(organization.Organization);

    /// <exception cref="FormatException">The cursor was not made by <see cref="Of(string[])"/> with this many parts.</exception>
    public static string[] Parse(string cursor, int parts)
    {
        string[] key;
        try
        {
            key = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor)).Split('\n');
        }
        catch (FormatException)
        {
            key = [];
        }

        return key.Length == parts ? key : throw new FormatException($"cursor \"{cursor}\" is not one this list gave");
    }

    public static long ParseMatter(string cursor) =>
        long.TryParse(Parse(cursor, 1)[0], NumberStyles.None, CultureInfo.InvariantCulture, out var opened) ? opened : throw new FormatException($"cursor \"{cursor}\" is not one this list gave");

    public static (DateOnly DueBy, string Matter, string Id) ParsePromise(string cursor)
    {
        var key = Parse(cursor, 3);
        return DateOnly.TryParseExact(key[0], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var due)
            ? (due, key[1], key[2])
            : throw new FormatException($"cursor \"{cursor}\" is not one this list gave");
    }

    public static string ParseOrganization(string cursor) => Parse(cursor, 1)[0];

    /// <summary>The next cursor when a page came back full (the store reads one item more than the limit to know).</summary>
    public static Page<T> PageOf<T>(List<T> items, int limit, long position, Func<T, string> cursor)
    {
        var more = items.Count > limit;
        if (more)
        {
            items.RemoveRange(limit, items.Count - limit);
        }

        return new Page<T>(items, more ? cursor(items[^1]) : null, position);
    }
}

/// <summary>
/// Read models kept beside another store's events (an EventStoreDB ledger's state) by a projector that follows the
/// log: it saves the refolded models of the matters a batch touched together with the batch's last position.
/// </summary>
public interface IReadModelWriter : IAsyncDisposable
{
    IReadModelStore Reader { get; }

    /// <summary>The last global position saved (0 before the first, and after a change of projection version).</summary>
    Task<long> PositionAsync(CancellationToken cancellationToken = default);

    /// <summary>Stores these matters' models and moves the position, atomically.</summary>
    Task SaveAsync(IReadOnlyList<MatterReadModel> matters, long position, CancellationToken cancellationToken = default);

    /// <summary>Empties the models and moves the position back to 0, for the projector to fold the log again.</summary>
    Task ResetAsync(CancellationToken cancellationToken = default);
}

/// <summary>A backend that rebuilds its read models from the events: idempotent, and resumed where a rebuild stopped.</summary>
public interface IRebuildsReadModels
{
    /// <summary>Reports (done, total) in the backend's units: matters, or events for a projector-fed store.</summary>
    Task RebuildReadModelsAsync(IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken = default);
}
