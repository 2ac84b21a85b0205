using System.Globalization;
using System.Text;

namespace Ledger.Verification;

/// <summary>
/// A C2SP tlog-witness add-checkpoint request body: <c>old &lt;size&gt;\n</c>, up to 63 base64 consistency proof lines,
/// an empty line, then the signed checkpoint note.
/// </summary>
public sealed record AddCheckpointRequest(long OldSize, IReadOnlyList<byte[]> Proof, string Note)
{
    public const int MaxProofLines = 63;

    public string ToBody()
    {
        var body = new StringBuilder("old ").Append(OldSize.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var hash in Proof)
        {
            body.Append(Convert.ToBase64String(hash)).Append('\n');
        }

        return body.Append('\n').Append(Note).ToString();
    }

    /// <exception cref="FormatException">The body is not an add-checkpoint request.</exception>
    public static AddCheckpointRequest Parse(string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var end = body.IndexOf('\n', StringComparison.Ordinal);
        var first = end < 0 ? body : body[..end];
        if (!first.StartsWith("old ", StringComparison.Ordinal) || !IsDecimal(first[4..], out var oldSize))
        {
            throw new FormatException("the request must begin with \"old <size>\": a decimal tree size without leading zeros");
        }

        var proof = new List<byte[]>();
        var at = end + 1;
        while (true)
        {
            var next = at < body.Length ? body.IndexOf('\n', at) : -1;
            if (next < 0)
            {
                throw new FormatException("the request has no empty line before the checkpoint");
            }

            var line = body[at..next];
            at = next + 1;
            if (line.Length == 0)
            {
                break;
            }

            if (proof.Count == MaxProofLines)
            {
                throw new FormatException($"more than {MaxProofLines} consistency proof lines");
            }

            if (!NoteKeys.TryDecodeBase64(line, out var hash) || hash.Length != MerkleHashes.Size)
            {
                throw new FormatException($"\"{line}\" is not the base64 of a SHA-256 hash");
            }

            proof.Add(hash);
        }

        return new AddCheckpointRequest(oldSize, proof, body[at..]);
    }

    /// <summary>An ASCII decimal without leading zeros ("0" for zero), as checkpoints and this protocol write sizes.</summary>
    public static bool IsDecimal(string text, out long value)
    {
        value = 0;
        return text.Length is > 0 and <= 19 && text.All(char.IsAsciiDigit) && (text.Length == 1 || text[0] != '0')
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}

/// <summary>What a witness keeps per log: the origin, and the size and root of the latest checkpoint it cosigned.</summary>
public sealed record WitnessedCheckpoint(string Origin, long Size, byte[] RootHash);

/// <summary>The witness's answer: an HTTP status, its body and media type, and the state to keep (null: keep what is kept).</summary>
public sealed record AddCheckpointOutcome(int Status, string Body, string ContentType, WitnessedCheckpoint? Cosigned)
{
    public const string SizeType = "text/x.tlog.size";
    public const string TextType = "text/plain; charset=utf-8";

    public static AddCheckpointOutcome Refused(int status, string why) => new(status, why + "\n", TextType, null);
}

/// <summary>
/// The witness's decision on an add-checkpoint request, in the order C2SP tlog-witness gives: the origin must be
/// known (404), a trusted log key must sign it (403), the old size must not exceed the new one (400) and must be the
/// size last cosigned (409 with that size), equal sizes need equal roots (409), the consistency proof must verify
/// (422); then the checkpoint is cosigned (200) and becomes the latest. The caller keeps the state atomically with
/// this decision and persists it before answering.
/// </summary>
public static class AddCheckpoint
{
    /// <summary>The origin line of the checkpoint in a request, read before anything is verified (it picks the log's keys).</summary>
    /// <exception cref="FormatException">The note holds no origin line.</exception>
    public static string OriginOf(AddCheckpointRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var end = request.Note.IndexOf('\n', StringComparison.Ordinal);
        return end > 0 ? request.Note[..end] : throw new FormatException("the checkpoint has no origin line");
    }

    public static AddCheckpointOutcome Decide(AddCheckpointRequest request, IReadOnlyCollection<NoteVerifier> logKeys, WitnessedCheckpoint? latest,
        WitnessSigner witness, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(logKeys);
        ArgumentNullException.ThrowIfNull(witness);
        if (logKeys.Count == 0)
        {
            return AddCheckpointOutcome.Refused(404, "unknown log origin");
        }

        string text;
        Checkpoint checkpoint;
        try
        {
            text = SignedNote.Open(request.Note, logKeys);
        }
        catch (NoteVerificationException e)
        {
            return AddCheckpointOutcome.Refused(403, $"the checkpoint is not signed by a trusted key of its log: {e.Message}");
        }

        try
        {
            checkpoint = Checkpoint.Parse(text);
        }
        catch (FormatException e)
        {
            return AddCheckpointOutcome.Refused(400, $"not a checkpoint: {e.Message}");
        }

        if (request.OldSize > checkpoint.Size)
        {
            return AddCheckpointOutcome.Refused(400, $"old size {request.OldSize} exceeds the checkpoint's size {checkpoint.Size}");
        }

        var latestSize = latest?.Size ?? 0;
        if (request.OldSize != latestSize)
        {
            return new AddCheckpointOutcome(409, latestSize.ToString(CultureInfo.InvariantCulture) + "\n", AddCheckpointOutcome.SizeType, null);
        }

        var root = checkpoint.RootHash.Span;
        if (latest is not null && latest.Size == checkpoint.Size)
        {
            if (!root.SequenceEqual(latest.RootHash))
            {
                return AddCheckpointOutcome.Refused(409, $"a checkpoint of size {checkpoint.Size} with another root hash was cosigned: the log forked");
            }
        }
        else if (request.OldSize == 0 ? request.Proof.Count != 0
                 : !MerkleVerifier.VerifyConsistency(request.OldSize, checkpoint.Size, latest!.RootHash, root, request.Proof))
        {
            return AddCheckpointOutcome.Refused(422, $"the consistency proof from size {request.OldSize} to size {checkpoint.Size} does not verify");
        }

        return new AddCheckpointOutcome(200, witness.Cosign(text, now), AddCheckpointOutcome.TextType,
            new WitnessedCheckpoint(checkpoint.Origin, checkpoint.Size, root.ToArray()));
    }
}
