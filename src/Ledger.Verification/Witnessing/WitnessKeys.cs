using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Ledger.Verification;

/// <summary>
/// A witness's Ed25519 cosigning key (C2SP tlog-cosignature, signature type 0x04). Its text form follows the log key's:
/// <c>PRIVATE+KEY+&lt;name&gt;+&lt;hex key id&gt;+&lt;base64(0x04 || 32-byte seed)&gt;</c>; keep it secret.
/// </summary>
public sealed class WitnessSigner : IDisposable
{
    private readonly NamedPrivateKey key;

    private WitnessSigner(NamedPrivateKey key)
    {
        this.key = key;
        Verifier = WitnessVerifier.From(key.Public);
    }

    public string Name => key.Name;

    public uint KeyId => Verifier.KeyId;

    public WitnessVerifier Verifier { get; }

    public static WitnessSigner Generate(string name) => new(NamedPrivateKey.Generate(name, Cosignatures.Ed25519Type));

    public static WitnessSigner FromSeed(string name, ReadOnlySpan<byte> seed) => new(NamedPrivateKey.FromSeed(name, seed, Cosignatures.Ed25519Type));

    /// <exception cref="FormatException">Not a witness private key text, or its key id does not match.</exception>
    public static WitnessSigner Parse(string privateKey) => new(NamedPrivateKey.Parse(privateKey, Cosignatures.Ed25519Type,
        "not a witness private key of the form PRIVATE+KEY+<name>+<hex id>+<base64 of 0x04 and a 32-byte Ed25519 key>",
        "the witness key's id does not match its name and key"));

    public string ExportPrivateKey() => key.Export();

    /// <summary>
    /// The cosignature/v1 note signature line (with its newline) over a checkpoint's note text, made at
    /// <paramref name="time"/> (whole seconds): base64(key id || u64 big-endian timestamp || Ed25519 signature).
    /// </summary>
    public string Cosign(string checkpointText, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(checkpointText);
        var timestamp = time.ToUnixTimeSeconds();
        ArgumentOutOfRangeException.ThrowIfNegative(timestamp, nameof(time));
        var signature = NoteKeys.Algorithm.Sign(key.Key, Cosignatures.SignedMessage(checkpointText, timestamp));
        var blob = new byte[4 + 8 + signature.Length];
        BinaryPrimitives.WriteUInt32BigEndian(blob, KeyId);
        BinaryPrimitives.WriteUInt64BigEndian(blob.AsSpan(4), (ulong)timestamp);
        signature.CopyTo(blob, 12);
        return $"{SignedNote.Dash}{Name} {Convert.ToBase64String(blob)}\n";
    }

    public void Dispose() => key.Dispose();
}

/// <summary>
/// A witness's public key as a vkey: <c>&lt;name&gt;+&lt;hex key id&gt;+&lt;base64(0x04 || 32-byte public key)&gt;</c>, with
/// key id = SHA-256(name || 0x0A || 0x04 || public key)[:4].
/// </summary>
public sealed class WitnessVerifier
{
    private readonly NamedPublicKey key;

    private WitnessVerifier(NamedPublicKey key) => this.key = key;

    public string Name => key.Name;

    public uint KeyId => key.KeyId;

    public ReadOnlySpan<byte> PublicKey => key.Raw;

    /// <exception cref="ArgumentException">The name is not a key name, or the key is not an Ed25519 public key.</exception>
    public static WitnessVerifier FromPublicKey(string name, ReadOnlySpan<byte> publicKey) => new(NamedPublicKey.Import(name, publicKey, Cosignatures.Ed25519Type));

    internal static WitnessVerifier From(NamedPublicKey key) => new(key);

    /// <exception cref="FormatException">Not a cosignature vkey (type 0x04), or its key id does not match.</exception>
    public static WitnessVerifier Parse(string verifierKey)
    {
        ArgumentNullException.ThrowIfNull(verifierKey);
        var text = verifierKey.Trim();
        return new(NamedPublicKey.Parse(text, Cosignatures.Ed25519Type,
            $"\"{verifierKey}\" is not a witness verifier key of the form <name>+<hex id>+<base64 of 0x04 and a 32-byte Ed25519 key>",
            $"the witness key {text.Split('+')[0]}: its id does not match its name and key"));
    }

    /// <summary>Whether a cosignature (timestamp and Ed25519 signature, after the key id) verifies over the checkpoint text.</summary>
    internal bool Verify(string checkpointText, ReadOnlySpan<byte> timestampedSignature, out DateTimeOffset time)
    {
        time = default;
        if (timestampedSignature.Length != 8 + 64)
        {
            return false;
        }

        var timestamp = BinaryPrimitives.ReadUInt64BigEndian(timestampedSignature);
        if (timestamp > (ulong)DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            return false;
        }

        time = DateTimeOffset.FromUnixTimeSeconds((long)timestamp);
        return NoteKeys.Algorithm.Verify(key.Key, Cosignatures.SignedMessage(checkpointText, (long)timestamp), timestampedSignature[8..]);
    }

    public override string ToString() => key.ToString();
}

/// <summary>A verified cosignature: which witness, and the time it says it cosigned.</summary>
public sealed record Cosignature(string Witness, DateTimeOffset Time);

/// <summary>
/// C2SP tlog-cosignature v1 (Ed25519): a witness's note signature over a checkpoint, stating that as of its timestamp
/// this is the largest consistent tree it has seen for the log. The signed message is <c>cosignature/v1\n</c>,
/// <c>time &lt;seconds&gt;\n</c>, then the checkpoint's note text.
/// </summary>
public static class Cosignatures
{
    public const byte Ed25519Type = 0x04;

    public static byte[] SignedMessage(string checkpointText, long timestamp) =>
        Encoding.UTF8.GetBytes($"cosignature/v1\ntime {timestamp.ToString(CultureInfo.InvariantCulture)}\n{checkpointText}");

    /// <summary>
    /// The cosignatures on a signed checkpoint note by the given witnesses, one per witness. Lines by other keys are
    /// ignored; a line by a known witness that does not verify rejects the note (as the signed-note spec advises).
    /// </summary>
    /// <exception cref="NoteVerificationException">The note is malformed, or a known witness's cosignature is bad.</exception>
    public static IReadOnlyList<Cosignature> Verify(string note, IReadOnlyCollection<WitnessVerifier> witnesses)
    {
        ArgumentNullException.ThrowIfNull(witnesses);
        var (text, lines) = SignedNote.Split(note);
        var found = new Dictionary<string, Cosignature>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var (name, keyId, signature) = SignedNote.ParseSignature(line);
            foreach (var witness in witnesses.Where(w => w.Name == name && w.KeyId == keyId))
            {
                if (!witness.Verify(text, signature, out var time))
                {
                    throw new NoteVerificationException($"the cosignature by witness {name}+{NoteKeys.Hex(keyId)} does not verify");
                }

                found.TryAdd(witness.ToString(), new Cosignature(name, time));
            }
        }

        return [.. found.Values];
    }

    /// <summary>The note with these signature lines added after its own (lines it carries already are not repeated).</summary>
    /// <exception cref="NoteVerificationException">The note or a line is malformed.</exception>
    public static string Add(string note, IEnumerable<string> signatureLines)
    {
        ArgumentNullException.ThrowIfNull(signatureLines);
        var (text, lines) = SignedNote.Split(note);
        var all = lines.ToList();
        foreach (var line in signatureLines.Select(l => l.TrimEnd('\n')))
        {
            SignedNote.ParseSignature(line);
            if (!all.Contains(line, StringComparer.Ordinal))
            {
                all.Add(line);
            }
        }

        return $"{text}\n{string.Join('\n', all)}\n";
    }
}

/// <summary>Which witnesses a verifier trusts, and how many of them must cosign a checkpoint for it to count as witnessed.</summary>
public sealed record WitnessPolicy(IReadOnlyList<WitnessVerifier> Witnesses, int Quorum)
{
    public static WitnessPolicy None { get; } = new([], 0);

    /// <exception cref="ArgumentException">The quorum is negative or larger than the number of witnesses.</exception>
    public static WitnessPolicy Of(IReadOnlyList<WitnessVerifier> witnesses, int? quorum)
    {
        ArgumentNullException.ThrowIfNull(witnesses);
        var k = quorum ?? witnesses.Count;
        if (k < 0 || k > witnesses.Count)
        {
            throw new ArgumentException($"a quorum of {k} cannot be met by {witnesses.Count} witness(es)", nameof(quorum));
        }

        return new WitnessPolicy(witnesses, k);
    }

    /// <summary>Whether the note carries valid cosignatures of at least <see cref="Quorum"/> witnesses (a bad one by a known witness counts as none).</summary>
    public bool IsWitnessed(string note)
    {
        if (Quorum == 0)
        {
            return true;
        }

        try
        {
            return Cosignatures.Verify(note, [.. Witnesses]).Count >= Quorum;
        }
        catch (NoteVerificationException)
        {
            return false;
        }
    }
}
