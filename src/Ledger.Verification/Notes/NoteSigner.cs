namespace Ledger.Verification;

/// <summary>
/// An Ed25519 note signing key with its name. Its text form is the signed-note ecosystem's private key
/// <c>PRIVATE+KEY+&lt;name&gt;+&lt;hex key id&gt;+&lt;base64(0x01 || 32-byte seed)&gt;</c>; keep it secret.
/// </summary>
public sealed class NoteSigner : IDisposable
{
    private readonly NamedPrivateKey key;

    private NoteSigner(NamedPrivateKey key)
    {
        this.key = key;
        Verifier = NoteVerifier.From(key.Public);
    }

    public string Name => key.Name;

    public uint KeyId => Verifier.KeyId;

    /// <summary>The public half, to hand to verifiers (as its <see cref="NoteVerifier.ToString"/> text).</summary>
    public NoteVerifier Verifier { get; }

    public static NoteSigner Generate(string name) => new(NamedPrivateKey.Generate(name, NoteKeys.Ed25519Type));

    /// <summary>A signer from a 32-byte RFC 8032 private key (seed).</summary>
    public static NoteSigner FromSeed(string name, ReadOnlySpan<byte> seed) => new(NamedPrivateKey.FromSeed(name, seed, NoteKeys.Ed25519Type));

    /// <exception cref="FormatException">Not a well-formed Ed25519 private key text, or its key id does not match.</exception>
    public static NoteSigner Parse(string privateKey) => new(NamedPrivateKey.Parse(privateKey, NoteKeys.Ed25519Type,
        "not a note private key of the form PRIVATE+KEY+<name>+<hex id>+<base64 of 0x01 and a 32-byte Ed25519 key>",
        "the private key's id does not match its name and key"));

    /// <summary>The private key text; see the class summary.</summary>
    public string ExportPrivateKey() => key.Export();

    /// <summary>The note signature: 4-byte big-endian key id followed by the Ed25519 signature of the text's UTF-8 bytes.</summary>
    internal byte[] Sign(ReadOnlySpan<byte> text)
    {
        var signature = NoteKeys.Algorithm.Sign(key.Key, text);
        var result = new byte[4 + signature.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(result, KeyId);
        signature.CopyTo(result, 4);
        return result;
    }

    public void Dispose() => key.Dispose();
}
