using NSec.Cryptography;

namespace Ledger.Verification;

/// <summary>
/// An Ed25519 note verifier key: its text form is <c>&lt;name&gt;+&lt;hex key id&gt;+&lt;base64(0x01 || 32-byte public key)&gt;</c>,
/// with key id = SHA-256(name || 0x0A || 0x01 || public key)[:4].
/// </summary>
public sealed class NoteVerifier
{
    private readonly PublicKey key;
    private readonly byte[] publicKey;

    private NoteVerifier(string name, uint keyId, PublicKey key, byte[] publicKey)
    {
        Name = name;
        KeyId = keyId;
        this.key = key;
        this.publicKey = publicKey;
    }

    public string Name { get; }

    public uint KeyId { get; }

    public ReadOnlySpan<byte> PublicKey => publicKey;

    /// <exception cref="ArgumentException">The name is not a key name, or the key is not an Ed25519 public key.</exception>
    public static NoteVerifier FromPublicKey(string name, ReadOnlySpan<byte> publicKey)
    {
        NoteKeys.CheckName(name);
        if (publicKey.Length != 32 || !NSec.Cryptography.PublicKey.TryImport(NoteKeys.Algorithm, publicKey, KeyBlobFormat.RawPublicKey, out var key) || key is null)
        {
            throw new ArgumentException("not a 32-byte Ed25519 public key", nameof(publicKey));
        }

        return new NoteVerifier(name, NoteKeys.KeyId(name, publicKey), key, publicKey.ToArray());
    }

    /// <exception cref="FormatException">Not a well-formed Ed25519 verifier key, or its key id does not match.</exception>
    public static NoteVerifier Parse(string verifierKey)
    {
        ArgumentNullException.ThrowIfNull(verifierKey);
        var parts = verifierKey.Split('+', 3);
        if (parts.Length != 3 || !NoteKeys.IsValidName(parts[0]) || !NoteKeys.TryParseHex(parts[1], out var keyId)
            || !NoteKeys.TryDecodeBase64(parts[2], out var blob) || blob.Length != 33 || blob[0] != NoteKeys.Ed25519Type)
        {
            throw new FormatException("not a note verifier key of the form <name>+<hex id>+<base64 of 0x01 and a 32-byte Ed25519 key>");
        }

        NoteVerifier verifier;
        try
        {
            verifier = FromPublicKey(parts[0], blob.AsSpan(1));
        }
        catch (ArgumentException e)
        {
            throw new FormatException(e.Message, e);
        }

        return verifier.KeyId == keyId ? verifier : throw new FormatException("the verifier key's id does not match its name and key");
    }

    internal bool Verify(ReadOnlySpan<byte> text, ReadOnlySpan<byte> signature) =>
        signature.Length == 64 && NoteKeys.Algorithm.Verify(key, text, signature);

    public override string ToString() =>
        $"{Name}+{NoteKeys.Hex(KeyId)}+{Convert.ToBase64String([NoteKeys.Ed25519Type, .. publicKey])}";
}
