namespace Ledger.Verification;

/// <summary>
/// An Ed25519 note verifier key: its text form is <c>&lt;name&gt;+&lt;hex key id&gt;+&lt;base64(0x01 || 32-byte public key)&gt;</c>,
/// with key id = SHA-256(name || 0x0A || 0x01 || public key)[:4].
/// </summary>
public sealed class NoteVerifier
{
    private readonly NamedPublicKey key;

    private NoteVerifier(NamedPublicKey key) => this.key = key;

    public string Name => key.Name;

    public uint KeyId => key.KeyId;

    public ReadOnlySpan<byte> PublicKey => key.Raw;

    /// <exception cref="ArgumentException">The name is not a key name, or the key is not an Ed25519 public key.</exception>
    public static NoteVerifier FromPublicKey(string name, ReadOnlySpan<byte> publicKey) => new(NamedPublicKey.Import(name, publicKey, NoteKeys.Ed25519Type));

    internal static NoteVerifier From(NamedPublicKey key) => new(key);

    /// <exception cref="FormatException">Not a well-formed Ed25519 verifier key, or its key id does not match.</exception>
    public static NoteVerifier Parse(string verifierKey) => new(NamedPublicKey.Parse(verifierKey, NoteKeys.Ed25519Type,
        "not a note verifier key of the form <name>+<hex id>+<base64 of 0x01 and a 32-byte Ed25519 key>",
        "the verifier key's id does not match its name and key"));

    internal bool Verify(ReadOnlySpan<byte> text, ReadOnlySpan<byte> signature) =>
        signature.Length == 64 && NoteKeys.Algorithm.Verify(key.Key, text, signature);

    public override string ToString() => key.ToString();
}
