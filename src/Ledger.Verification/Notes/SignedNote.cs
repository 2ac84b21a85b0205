using System.Buffers.Binary;
using System.Text;

namespace Ledger.Verification;

/// <summary>
/// C2SP signed notes: the text (ending in a newline), a blank line, then one line per signature,
/// <c>— &lt;key name&gt; &lt;base64(4-byte key id || signature)&gt;</c>. The signatures cover the text's UTF-8 bytes,
/// final newline included.
/// </summary>
public static class SignedNote
{
    /// <summary>More signatures than this and the note is refused (the spec asks to accept at least 16).</summary>
    public const int MaxSignatures = 100;

    internal const string Dash = "\u2014 ";

    /// <exception cref="ArgumentException">The text is empty, does not end in a newline, holds a blank line's worth of separator at its end, or a control character.</exception>
    public static string Sign(string text, params IReadOnlyList<NoteSigner> signers)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(signers);
        if (signers.Count == 0)
        {
            throw new ArgumentException("a note needs at least one signer", nameof(signers));
        }

        if (!IsValidText(text))
        {
            throw new ArgumentException("note text must be non-empty well-formed text ending in a newline, without control characters other than newlines", nameof(text));
        }

        var bytes = Encoding.UTF8.GetBytes(text);
        var note = new StringBuilder(text).Append('\n');
        foreach (var signer in signers)
        {
            note.Append(Dash).Append(signer.Name).Append(' ').Append(Convert.ToBase64String(signer.Sign(bytes))).Append('\n');
        }

        return note.ToString();
    }

    /// <summary>
    /// The text of the note if a signature by one of <paramref name="verifiers"/> verifies. Signatures by unknown
    /// keys are ignored; a signature by a known key that fails rejects the whole note.
    /// </summary>
    /// <exception cref="NoteVerificationException">Malformed, unsigned by any known key, or a known key's signature is bad.</exception>
    public static string Open(string note, IReadOnlyCollection<NoteVerifier> verifiers)
    {
        ArgumentNullException.ThrowIfNull(note);
        ArgumentNullException.ThrowIfNull(verifiers);
        var (text, lines) = Split(note);
        var textBytes = Encoding.UTF8.GetBytes(text);
        var verified = 0;
        foreach (var line in lines)
        {
            var (name, keyId, signature) = ParseSignature(line);
            foreach (var verifier in verifiers)
            {
                if (verifier.Name == name && verifier.KeyId == keyId)
                {
                    if (!verifier.Verify(textBytes, signature))
                    {
                        throw new NoteVerificationException($"the signature by {name}+{NoteKeys.Hex(keyId)} does not verify");
                    }

                    verified++;
                }
            }
        }

        return verified > 0 ? text : throw new NoteVerificationException("the note is not signed by any trusted key");
    }

    /// <summary>The note's text (final newline included) and its signature lines (without their newlines), unverified.</summary>
    /// <exception cref="NoteVerificationException">Not a well-formed signed note.</exception>
    public static (string Text, IReadOnlyList<string> Signatures) Split(string note)
    {
        ArgumentNullException.ThrowIfNull(note);
        if (!NoteKeys.IsWellFormed(note) || note.Any(c => c < ' ' && c != '\n'))
        {
            throw new NoteVerificationException("a note must be UTF-8 text without control characters other than newlines");
        }

        var split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0 || split + 2 >= note.Length || !note.EndsWith('\n'))
        {
            throw new NoteVerificationException("malformed note: no blank line followed by signatures, or no final newline");
        }

        var text = note[..(split + 1)];
        var lines = note[(split + 2)..^1].Split('\n');
        if (lines.Length > MaxSignatures)
        {
            throw new NoteVerificationException($"the note has more than {MaxSignatures} signatures");
        }

        foreach (var line in lines)
        {
            ParseSignature(line);
        }

        return (text, lines);
    }

    /// <summary>A signature line (without its newline): the key name, the key id and the signature bytes after it.</summary>
    /// <exception cref="NoteVerificationException">Not a signature line.</exception>
    internal static (string Name, uint KeyId, byte[] Signature) ParseSignature(string line)
    {
        var space = line.StartsWith(Dash, StringComparison.Ordinal) ? line.IndexOf(' ', Dash.Length) : -1;
        if (space < 0
            || line[Dash.Length..space] is not { } name || !NoteKeys.IsValidName(name)
            || !NoteKeys.TryDecodeBase64(line[(space + 1)..], out var blob) || blob.Length < 5)
        {
            throw new NoteVerificationException($"malformed signature line \"{line}\"");
        }

        return (name, BinaryPrimitives.ReadUInt32BigEndian(blob), blob[4..]);
    }

    private static bool IsValidText(string text) =>
        text.Length > 0 && text.EndsWith('\n') && NoteKeys.IsWellFormed(text) && !text.Any(c => c < ' ' && c != '\n');
}

/// <summary>A signed note or checkpoint that must not be trusted, with why.</summary>
public sealed class NoteVerificationException : Exception
{
    public NoteVerificationException()
    {
    }

    public NoteVerificationException(string message)
        : base(message)
    {
    }

    public NoteVerificationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
