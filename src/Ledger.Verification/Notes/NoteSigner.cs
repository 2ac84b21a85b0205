using NSec.Cryptography;

namespace Ledger.Verification;

/// <summary>
/// An Ed25519 note signing key with its name. Its text form is the signed-note ecosystem's private key
/// <c>PRIVATE+KEY+&lt;name&gt;+&lt;hex key id&gt;+&lt;base64(0x01 || 32-byte seed)&gt;</c>; keep it secret.
/// </summary>
public sealed class NoteSigner : IDisposable
{
    private const string Prefix = "PRIVATE+KEY+";
    private readonly Key key;

    private NoteSigner(string name, Key key)
    {
        Name = name;
        this.key = key;
        Verifier = NoteVerifier.FromPublicKey(name, key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    public string Name { get; }

    public uint KeyId => Verifier.KeyId;

    /// <summary>The public half, to hand to verifiers (as its <see cref="NoteVerifier.ToString"/> text).</summary>
    public NoteVerifier Verifier { get; }

    public static NoteSigner Generate(string name)
    {
        NoteKeys.CheckName(name);
        return new NoteSigner(name, Key.Create(NoteKeys.Algorithm, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));
    }

    /// <summary>A signer from a 32-byte RFC 8032 private key (seed).</summary>
    public static NoteSigner FromSeed(string name, ReadOnlySpan<byte> seed)
    {
        NoteKeys.CheckName(name);
        if (seed.Length != 32)
        {
            throw new ArgumentException("an Ed25519 private key is 32 bytes", nameof(seed));
        }

        return new NoteSigner(name, Key.Import(NoteKeys.Algorithm, seed, KeyBlobFormat.RawPrivateKey, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));
    }

    /// <exception cref="FormatException">Not a well-formed Ed25519 private key text, or its key id does not match.</exception>
    public static NoteSigner Parse(string privateKey)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        var parts = privateKey.StartsWith(Prefix, StringComparison.Ordinal) ? privateKey[Prefix.Length..].Split('+', 3) : [];
        if (parts.Length != 3 || !NoteKeys.IsValidName(parts[0]) || !NoteKeys.TryParseHex(parts[1], out var keyId)
            || !NoteKeys.TryDecodeBase64(parts[2], out var blob) || blob.Length != 33 || blob[0] != NoteKeys.Ed25519Type)
        {
            throw new FormatException("not a note private key of the form PRIVATE+KEY+<name>+<hex id>+<base64 of 0x01 and a 32-byte Ed25519 key>");
        }

        var signer = FromSeed(parts[0], blob.AsSpan(1));
        if (signer.KeyId != keyId)
        {
            signer.Dispose();
            throw new FormatException("the private key's id does not match its name and key");
        }

        return signer;
    }

    /// <summary>The private key text; see the class summary.</summary>
    public string ExportPrivateKey() =>
        $"{Prefix}{Name}+{NoteKeys.Hex(KeyId)}+{Convert.ToBase64String([NoteKeys.Ed25519Type, .. key.Export(KeyBlobFormat.RawPrivateKey)])}";

    /// <summary>The note signature: 4-byte big-endian key id followed by the Ed25519 signature of the text's UTF-8 bytes.</summary>
    internal byte[] Sign(ReadOnlySpan<byte> text)
    {
        var signature = NoteKeys.Algorithm.Sign(key, text);
        var result = new byte[4 + signature.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(result, KeyId);
        signature.CopyTo(result, 4);
        return result;
    }

    public void Dispose() => key.Dispose();
}
