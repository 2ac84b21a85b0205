using System.CommandLine;
using Ledger.Importing;

namespace Ledger.Cli;

public static class ExitCodes
{
    public const int Ok = 0;
    public const int Usage = 1;
    public const int InvalidInput = 2;
    public const int Conflict = 3;
    public const int StoreFailure = 4;

    /// <summary>The Merkle log does not verify: an event or checkpoint does not match what was signed.</summary>
    public const int VerificationFailed = 5;
}

/// <summary>Options every command shares.</summary>
public static class CliOptions
{
    public static readonly Option<string?> Store = new("--store")
    {
        Description = "Where the ledger lives: sqlite:<path>, postgres:<connection string>, postgresql://user@host:port/db or esdb://[user:pass@]host:2113 (default: LEDGER_STORE, else a SQLite file in the user's data directory)",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Machine output: JSON with stable field names",
        Recursive = true,
    };

    public static Option<int?> Limit() => new("--limit")
    {
        Description = $"How many items a page holds (default {Projections.ReadModels.PageCursor.DefaultLimit}, at most {Projections.ReadModels.PageCursor.MaxLimit})",
    };

    public static Option<string?> After() => new("--after")
    {
        Description = "Start after this cursor: the next page's, as the previous page printed it",
    };

    public static Option<string?> AsOf() => new("--as-of")
    {
        Description = "Publication time: what had been said by then (a date means the end of that day, UTC)",
    };

    public static Option<string?> KnownAt() => new("--known-at")
    {
        Description = "Recording time: what the ledger held then (a date means the end of that day, UTC)",
    };

    /// <summary>
    /// Resolves the two query times. Known-at alone also sets as-of, since the ledger then could not know later statements;
    /// as-of alone reads everything recorded so far.
    /// </summary>
    public static bool TryResolveTimes(string? asOfText, string? knownAtText, DateTimeOffset now, out DateTimeOffset asOf, out DateTimeOffset? knownAt)
    {
        asOf = now;
        knownAt = null;
        if (knownAtText is not null)
        {
            if (!Timestamps.TryParseQueryTime(knownAtText, out var k))
            {
                Console.Error.WriteLine($"--known-at: \"{knownAtText}\" is not a date (2025-09-25) or a timestamp with an offset (2025-09-25T14:00:00Z)");
                return false;
            }

            knownAt = k;
            asOf = k;
        }

        if (asOfText is not null)
        {
            if (!Timestamps.TryParseQueryTime(asOfText, out var a))
            {
                Console.Error.WriteLine($"--as-of: \"{asOfText}\" is not a date (2025-09-25) or a timestamp with an offset (2025-09-25T14:00:00Z)");
                return false;
            }

            asOf = a;
        }

        return true;
    }
}
