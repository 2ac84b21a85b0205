using System.Globalization;
using System.Text;

namespace Ledger.Verification;

/// <summary>
/// A C2SP tlog-checkpoint: the note text <c>&lt;origin&gt;\n&lt;tree size&gt;\n&lt;base64 root hash&gt;\n</c> followed by
/// optional non-empty extension lines, signed as a C2SP signed note by the log's key (named as the origin).
/// </summary>
public sealed class Checkpoint
{
    public Checkpoint(string origin, long size, byte[] rootHash, IReadOnlyList<string>? extensions = null)
    {
        ArgumentNullException.ThrowIfNull(origin);
        ArgumentNullException.ThrowIfNull(rootHash);
        if (origin.Length == 0 || origin.Contains('\n', StringComparison.Ordinal) || !NoteKeys.IsWellFormed(origin) || origin.Any(char.IsControl))
        {
            throw new ArgumentException("the origin must be one non-empty line", nameof(origin));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(size);
        if (rootHash.Length != MerkleHashes.Size)
        {
            throw new ArgumentException("the root hash is a SHA-256 hash", nameof(rootHash));
        }

        var lines = extensions?.ToArray() ?? [];
        if (lines.Any(l => l.Length == 0 || l.Any(char.IsControl) || !NoteKeys.IsWellFormed(l)))
        {
            throw new ArgumentException("extension lines must be non-empty single lines", nameof(extensions));
        }

        Origin = origin;
        Size = size;
        RootHash = rootHash.ToArray();
        Extensions = lines;
    }

    public string Origin { get; }

    public long Size { get; }

    public ReadOnlyMemory<byte> RootHash { get; }

    public IReadOnlyList<string> Extensions { get; }

    /// <summary>The note text: origin, size, base64 root, extension lines, each ending in a newline.</summary>
    public string ToText()
    {
        var text = new StringBuilder()
            .Append(Origin).Append('\n')
            .Append(Size.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(Convert.ToBase64String(RootHash.Span)).Append('\n');
        foreach (var line in Extensions)
        {
            text.Append(line).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The signed note of this checkpoint.</summary>
    public string Sign(NoteSigner signer) => SignedNote.Sign(ToText(), signer);

    /// <exception cref="FormatException">The text is not a checkpoint.</exception>
    public static Checkpoint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.EndsWith('\n'))
        {
            throw new FormatException("a checkpoint's text ends in a newline");
        }

        var lines = text[..^1].Split('\n');
        if (lines.Length < 3)
        {
            throw new FormatException("a checkpoint has an origin, a tree size and a root hash line");
        }

        var size = lines[1];
        if (size.Length == 0 || size.Length > 19 || !size.All(char.IsAsciiDigit) || (size.Length > 1 && size[0] == '0')
            || !long.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out var treeSize))
        {
            throw new FormatException($"\"{size}\" is not a tree size: decimal digits without leading zeros");
        }

        if (!NoteKeys.TryDecodeBase64(lines[2], out var root) || root.Length != MerkleHashes.Size)
        {
            throw new FormatException($"\"{lines[2]}\" is not the base64 of a SHA-256 root hash");
        }

        try
        {
            return new Checkpoint(lines[0], treeSize, root, lines[3..]);
        }
        catch (ArgumentException e)
        {
            throw new FormatException(e.Message, e);
        }
    }

    /// <summary>
    /// Verifies a signed checkpoint: a signature by one of the trusted keys, then the origin the caller expects
    /// (a checkpoint of another log signed by a shared key must not pass for this one).
    /// </summary>
    /// <exception cref="NoteVerificationException">Bad or missing signature, wrong origin, or not a checkpoint.</exception>
    public static Checkpoint Open(string note, string origin, IReadOnlyCollection<NoteVerifier> verifiers)
    {
        var text = SignedNote.Open(note, verifiers);
        Checkpoint checkpoint;
        try
        {
            checkpoint = Parse(text);
        }
        catch (FormatException e)
        {
            throw new NoteVerificationException($"the signed note is not a checkpoint: {e.Message}", e);
        }

        return checkpoint.Origin == origin
            ? checkpoint
            : throw new NoteVerificationException($"the checkpoint is of \"{checkpoint.Origin}\", not of \"{origin}\"");
    }
}
