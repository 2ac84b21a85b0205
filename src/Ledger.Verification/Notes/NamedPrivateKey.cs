using NSec.Cryptography;

namespace Ledger.Verification;

/// <summary>
/// A named Ed25519 private key in the signed-note form <c>PRIVATE+KEY+&lt;name&gt;+&lt;hex key id&gt;+&lt;base64(type || 32-byte seed)&gt;</c>,
/// the private half of <see cref="NamedPublicKey"/>: a log's note key (type 0x01) and a witness's cosigning key (type
/// 0x04) differ only in that type byte.
/// </summary>
internal sealed class NamedPrivateKey : IDisposable
{
    private const string Prefix = "PRIVATE+KEY+";

    private NamedPrivateKey(string name, byte type, Key key)
    {
        Key = key;
        Public = NamedPublicKey.Import(name, key.PublicKey.Export(KeyBlobFormat.RawPublicKey), type);
    }

    public string Name => Public.Name;

    public Key Key { get; }

    public NamedPublicKey Public { get; }

    public static NamedPrivateKey Generate(string name, byte type)
    {
        NoteKeys.CheckName(name);
        return new NamedPrivateKey(name, type, Key.Create(NoteKeys.Algorithm, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));
    }

    /// <summary>A key from a 32-byte RFC 8032 private key (seed).</summary>
    public static NamedPrivateKey FromSeed(string name, ReadOnlySpan<byte> seed, byte type)
    {
        NoteKeys.CheckName(name);
        if (seed.Length != 32)
        {
            throw new ArgumentException("an Ed25519 private key is 32 bytes", nameof(seed));
        }

        return new NamedPrivateKey(name, type, Key.Import(NoteKeys.Algorithm, seed, KeyBlobFormat.RawPrivateKey, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));
    }

    /// <exception cref="FormatException"><paramref name="malformed"/> when the text is not a private key of this type; <paramref name="mismatch"/> when its id does not match.</exception>
    public static NamedPrivateKey Parse(string text, byte type, string malformed, string mismatch)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.StartsWith(Prefix, StringComparison.Ordinal) ? text[Prefix.Length..].Split('+', 3) : [];
        if (parts.Length != 3 || !NoteKeys.IsValidName(parts[0]) || !NoteKeys.TryParseHex(parts[1], out var keyId)
            || !NoteKeys.TryDecodeBase64(parts[2], out var blob) || blob.Length != 33 || blob[0] != type)
        {
            throw new FormatException(malformed);
        }

        var parsed = FromSeed(parts[0], blob.AsSpan(1), type);
        if (parsed.Public.KeyId != keyId)
        {
            parsed.Dispose();
            throw new FormatException(mismatch);
        }

        return parsed;
    }

    public string Export() => $"{Prefix}{Name}+{NoteKeys.Hex(Public.KeyId)}+{Convert.ToBase64String([Public.Type, .. Key.Export(KeyBlobFormat.RawPrivateKey)])}";

    public void Dispose() => Key.Dispose();
}
