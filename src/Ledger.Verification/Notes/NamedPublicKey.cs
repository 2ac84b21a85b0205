using NSec.Cryptography;

namespace Ledger.Verification;

/// <summary>
/// A named Ed25519 public key in the signed-note vkey form <c>&lt;name&gt;+&lt;hex key id&gt;+&lt;base64(type || 32-byte key)&gt;</c>,
/// with key id = SHA-256(name || 0x0A || type || key)[:4]. A log's note verifier (type 0x01) and a witness's cosigning
/// key (type 0x04) differ only in that type byte.
/// </summary>
internal sealed class NamedPublicKey
{
    private readonly byte[] raw;

    private NamedPublicKey(string name, byte type, PublicKey key, byte[] raw)
    {
        Name = name;
        Type = type;
        Key = key;
        this.raw = raw;
        KeyId = NoteKeys.KeyId(name, raw, type);
    }

    public string Name { get; }

    public byte Type { get; }

    public uint KeyId { get; }

    public PublicKey Key { get; }

    public ReadOnlySpan<byte> Raw => raw;

    /// <exception cref="ArgumentException">The name is not a key name, or the key is not an Ed25519 public key.</exception>
    public static NamedPublicKey Import(string name, ReadOnlySpan<byte> publicKey, byte type)
    {
        NoteKeys.CheckName(name);
        if (publicKey.Length != 32 || !PublicKey.TryImport(NoteKeys.Algorithm, publicKey, KeyBlobFormat.RawPublicKey, out var key) || key is null)
        {
            throw new ArgumentException("not a 32-byte Ed25519 public key", nameof(publicKey));
        }

        return new NamedPublicKey(name, type, key, publicKey.ToArray());
    }

    /// <exception cref="FormatException"><paramref name="malformed"/> when the text is not a vkey of this type; <paramref name="mismatch"/> when its id does not match.</exception>
    public static NamedPublicKey Parse(string text, byte type, string malformed, string mismatch)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('+', 3);
        if (parts.Length != 3 || !NoteKeys.IsValidName(parts[0]) || !NoteKeys.TryParseHex(parts[1], out var keyId)
            || !NoteKeys.TryDecodeBase64(parts[2], out var blob) || blob.Length != 33 || blob[0] != type)
        {
            throw new FormatException(malformed);
        }

        NamedPublicKey parsed;
        try
        {
            parsed = Import(parts[0], blob.AsSpan(1), type);
        }
        catch (ArgumentException e)
        {
            throw new FormatException(e.Message, e);
        }

        return parsed.KeyId == keyId ? parsed : throw new FormatException(mismatch);
    }

    public override string ToString() => $"{Name}+{NoteKeys.Hex(KeyId)}+{Convert.ToBase64String([Type, .. raw])}";
}
