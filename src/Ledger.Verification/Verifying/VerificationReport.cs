namespace Ledger.Verification;

/// <summary>The kinds of <see cref="EventFinding"/>.</summary>
public static class FindingKinds
{
    /// <summary>The event's content no longer gives the hash its leaf holds.</summary>
    public const string Changed = "changed";

    /// <summary>The event now at a leaf's position is the one another leaf committed to: events were reordered.</summary>
    public const string Moved = "moved";

    /// <summary>A leaf's event is no longer stored.</summary>
    public const string Missing = "missing";

    /// <summary>An event is stored at a position inside the tree that no leaf covers.</summary>
    public const string NotInTree = "notInTree";

    /// <summary>An event the ledger's writer did not append: stored outside the log's positions, or after the last leaf without proof of its append.</summary>
    public const string Forged = "forged";

    /// <summary>An export line's position does not follow the line before it.</summary>
    public const string OutOfOrder = "outOfOrder";
}

/// <summary>One event that does not match what the log committed to. <paramref name="Line"/> is the export line (offline only).</summary>
public sealed record EventFinding(string Kind, long? LeafIndex, long? Line, long Position, string? StatementId, string? Matter, long? Version, string Message);

/// <summary>One signed checkpoint and what is wrong with it (nothing when <paramref name="Ok"/>).</summary>
public sealed record CheckpointFinding(string Name, long? TreeSize, byte[]? RootHash, bool Ok, IReadOnlyList<string> Problems);

/// <summary>
/// What verification found: the leaves read, the root recomputed from the events, every event that differs, every
/// checkpoint with its problems, and problems of the log as a whole. Events stored after the last leaf are counted in
/// <paramref name="NotYetInTree"/>: a log extended behind the appends has them normally, so they are not a failure.
/// </summary>
public sealed record VerificationReport(
    bool Ok,
    long Leaves,
    byte[] Root,
    IReadOnlyList<EventFinding> Events,
    IReadOnlyList<CheckpointFinding> Checkpoints,
    IReadOnlyList<string> Problems,
    long NotYetInTree);
