using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace Ledger.Verification;

/// <summary>Key names and key ids of the C2SP signed-note format, Ed25519 only (signature type 0x01).</summary>
internal static class NoteKeys
{
    public const byte Ed25519Type = 0x01;

    public static SignatureAlgorithm Algorithm => SignatureAlgorithm.Ed25519;

    /// <summary>Non-empty, and neither Unicode spaces nor '+' (nor control characters, which notes forbid anyway).</summary>
    public static bool IsValidName(string? name) =>
        !string.IsNullOrEmpty(name) && IsWellFormed(name) && !name.Any(c => c == '+' || char.IsWhiteSpace(c) || char.IsControl(c));

    /// <summary>No lone surrogates: the text has a UTF-8 form.</summary>
    public static bool IsWellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    public static void CheckName(string name)
    {
        if (!IsValidName(name))
        {
            throw new ArgumentException($"\"{name}\" is not a note key name: it must be non-empty, without spaces or '+'", nameof(name));
        }
    }

    /// <summary>SHA-256(key name || 0x0A || signature type || 32-byte public key)[:4], big-endian.</summary>
    public static uint KeyId(string name, ReadOnlySpan<byte> publicKey, byte type = Ed25519Type)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[nameBytes.Length + 2 + publicKey.Length];
        nameBytes.CopyTo(input, 0);
        input[nameBytes.Length] = 0x0A;
        input[nameBytes.Length + 1] = type;
        publicKey.CopyTo(input.AsSpan(nameBytes.Length + 2));
        return BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(input));
    }

    public static string Hex(uint keyId) => keyId.ToString("x8", CultureInfo.InvariantCulture);

    public static bool TryParseHex(string text, out uint keyId)
    {
        keyId = 0;
        return text.Length == 8 && text.All(char.IsAsciiHexDigit)
            && uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out keyId);
    }

    /// <summary>Strict standard base64: decoding and re-encoding must give back the same text.</summary>
    public static bool TryDecodeBase64(string text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length == 0 || text.Length % 4 != 0 || text.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '=')))
        {
            return false;
        }

        try
        {
            bytes = Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return false;
        }

        return Convert.ToBase64String(bytes) == text;
    }
}
