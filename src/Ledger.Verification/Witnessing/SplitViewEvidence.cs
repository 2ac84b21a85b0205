using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ledger.Verification;

/// <summary>A signed checkpoint as one server served it.</summary>
public sealed record ObservedCheckpoint(string Source, string Checkpoint);

/// <summary>A consistency proof a server served between the two checkpoints' sizes (hashes base64, RFC 9162 order).</summary>
public sealed record ServedConsistencyProof(string Source, long OldSize, long NewSize, IReadOnlyList<string> Path);

/// <summary>
/// What a monitor writes when a log showed two views: both signed checkpoints, and the proof that they conflict —
/// either the same tree size with two roots, or a consistency proof that leads to the larger checkpoint's root while
/// implying another root at the smaller size. Checkable offline with the log's verifier key alone.
/// </summary>
public sealed record SplitViewEvidence(string Origin, string LogKey, DateTimeOffset DetectedAt, string Finding,
    ObservedCheckpoint First, ObservedCheckpoint Second, ServedConsistencyProof? Proof)
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Options);

    /// <exception cref="FormatException">Not an evidence bundle.</exception>
    public static SplitViewEvidence Parse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<SplitViewEvidence>(json, Options) is { First: not null, Second: not null, Origin: not null, LogKey: not null } evidence
                ? evidence
                : throw new FormatException("not a split-view evidence bundle");
        }
        catch (JsonException e)
        {
            throw new FormatException($"not a split-view evidence bundle: {e.Message}", e);
        }
    }

    /// <summary>
    /// Checks the bundle with the log's verifier key: both checkpoints verify and are of its origin, and they conflict.
    /// The reasons it does not prove a split view; none when it does.
    /// </summary>
    public IReadOnlyList<string> Check(NoteVerifier logKey)
    {
        ArgumentNullException.ThrowIfNull(logKey);
        var problems = new List<string>();
        if (Origin != logKey.Name)
        {
            problems.Add($"the bundle is of \"{Origin}\", the key of \"{logKey.Name}\"");
        }

        var first = Open(First, logKey, problems);
        var second = Open(Second, logKey, problems);
        if (first is null || second is null)
        {
            return problems;
        }

        var (small, large) = first.Size <= second.Size ? (first, second) : (second, first);
        if (small.Size == large.Size)
        {
            if (small.RootHash.Span.SequenceEqual(large.RootHash.Span))
            {
                problems.Add($"both checkpoints of size {small.Size} have the same root: no conflict");
            }

            return problems;
        }

        if (Proof is null)
        {
            problems.Add($"checkpoints of sizes {small.Size} and {large.Size}: no consistency proof to show they conflict");
            return problems;
        }

        var path = new List<byte[]>();
        foreach (var hash in Proof.Path)
        {
            if (!NoteKeys.TryDecodeBase64(hash, out var bytes) || bytes.Length != MerkleHashes.Size)
            {
                problems.Add($"the proof's \"{hash}\" is not a base64 SHA-256 hash");
                return problems;
            }

            path.Add(bytes);
        }

        if (Proof.OldSize != small.Size || Proof.NewSize != large.Size)
        {
            problems.Add($"the proof is from size {Proof.OldSize} to {Proof.NewSize}, not from {small.Size} to {large.Size}");
        }
        else if (!MerkleVerifier.ProvesFork(small.Size, large.Size, small.RootHash.Span, large.RootHash.Span, path))
        {
            problems.Add($"the proof does not show that the checkpoints of sizes {small.Size} and {large.Size} conflict (a proof that merely fails shows a bad server, not a fork)");
        }

        return problems;
    }

    private static Checkpoint? Open(ObservedCheckpoint observed, NoteVerifier logKey, List<string> problems)
    {
        try
        {
            return Checkpoint.Open(observed.Checkpoint, logKey.Name, [logKey]);
        }
        catch (NoteVerificationException e)
        {
            problems.Add($"the checkpoint from {observed.Source} does not verify: {e.Message}");
            return null;
        }
    }
}
