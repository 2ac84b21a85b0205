using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace Ledger.Testing;

/// <summary>
/// A cosignature verifier written from the text of c2sp.org/tlog-cosignature and c2sp.org/signed-note, sharing no
/// code with the one under test: only SHA-256 and Ed25519.
/// </summary>
public static class C2spCosignatureVerifier
{
    /// <summary>"SHA-256(&lt;name&gt; || "\n" || 0x04 || 32-byte Ed25519 cosigner public key)[:4]", in hex as vkeys write it.</summary>
    public static string KeyIdHex(string name, ReadOnlySpan<byte> publicKey)
    {
        var input = Encoding.UTF8.GetBytes(name).Concat(new byte[] { 0x0A, 0x04 }).Concat(publicKey.ToArray()).ToArray();
        return Convert.ToHexStringLower(SHA256.HashData(input).AsSpan(0, 4));
    }

    /// <summary>vkey: name+hex id+base64(0x04 || key); line: "— name base64(key id || u64 BE timestamp || signature)".</summary>
    public static bool Verify(string vkey, string checkpointText, string line, out long timestamp)
    {
        timestamp = -1;
        var parts = vkey.Split('+', 3);
        var keyBlob = Convert.FromBase64String(parts[2]);
        if (keyBlob[0] != 0x04 || KeyIdHex(parts[0], keyBlob.AsSpan(1)) != parts[1])
        {
            return false;
        }

        var fields = line.Split(' ');
        if (fields.Length != 3 || fields[0] != "\u2014" || fields[1] != parts[0])
        {
            return false;
        }

        var sig = Convert.FromBase64String(fields[2]);
        if (sig.Length != 76 || Convert.ToHexStringLower(sig.AsSpan(0, 4)) != parts[1])
        {
            return false;
        }

        timestamp = (long)BinaryPrimitives.ReadUInt64BigEndian(sig.AsSpan(4, 8));
        var message = Encoding.UTF8.GetBytes("cosignature/v1\n" + "time " + timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n" + checkpointText);
        var key = PublicKey.Import(SignatureAlgorithm.Ed25519, keyBlob.AsSpan(1), KeyBlobFormat.RawPublicKey);
        return SignatureAlgorithm.Ed25519.Verify(key, message, sig.AsSpan(12));
    }
}
