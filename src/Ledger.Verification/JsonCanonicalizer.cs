using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Ledger.Verification;

/// <summary>
/// RFC 8785 JSON Canonicalization Scheme (JCS): object members sorted by the UTF-16 code units of their
/// names, numbers in ECMAScript's Number::toString form, strings with the minimal JSON escaping, no
/// whitespace, UTF-8. Input must be I-JSON: no duplicate names, no lone surrogates, finite numbers.
/// </summary>
public static class JsonCanonicalizer
{
    /// <exception cref="JsonException">The text is not JSON, or not I-JSON.</exception>
    public static byte[] Canonicalize(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var (utf8, length) = CanonicalJsonWriter.RentUtf8(json);
        try
        {
            return Canonicalize(utf8.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(utf8);
        }
    }

    /// <exception cref="JsonException">The bytes are not JSON, or not I-JSON.</exception>
    public static byte[] Canonicalize(ReadOnlySpan<byte> utf8Json)
    {
        // The writer copies strings' bytes as they are: they must be UTF-8, and a lone surrogate is not.
        if (!Utf8.IsValid(utf8Json))
        {
            throw new JsonException("the text is not valid UTF-8 (a lone surrogate, which I-JSON forbids, or malformed bytes)");
        }

        using var writer = new CanonicalJsonWriter(utf8Json.Length);
        writer.WriteJson(utf8Json);
        return writer.Written.ToArray();
    }

    /// <exception cref="JsonException">The value is not I-JSON.</exception>
    public static byte[] Canonicalize(JsonElement value)
    {
        using var writer = new CanonicalJsonWriter(256);
        writer.WriteValue(value);
        return Utf8.IsValid(writer.Written) ? writer.Written.ToArray() : throw new JsonException("a string is not valid UTF-8");
    }

    /// <summary>
    /// ECMAScript's Number::toString (ECMA-262 section 7.1.12.1) for finite doubles: the shortest digits that
    /// round-trip, in plain notation for exponents from -6 to 20 and in exponent notation otherwise; -0 is 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">NaN or an infinity, which JSON cannot express.</exception>
    public static string FormatNumber(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "NaN and infinities have no JSON form");
        }

        if (value == 0)
        {
            return "0";
        }

        // "R" gives the shortest round-tripping digits; only its digits and exponent are used.
        var (digits, exponent) = ShortestDigits(Math.Abs(value));
        var k = digits.Length;
        var n = exponent;
        var result = new StringBuilder(32);
        if (value < 0)
        {
            result.Append('-');
        }

        if (k <= n && n <= 21)
        {
            result.Append(digits).Append('0', n - k);
        }
        else if (0 < n && n <= 21)
        {
            result.Append(digits, 0, n).Append('.').Append(digits, n, k - n);
        }
        else if (-6 < n && n <= 0)
        {
            result.Append("0.").Append('0', -n).Append(digits);
        }
        else
        {
            result.Append(digits[0]);
            if (k > 1)
            {
                result.Append('.').Append(digits, 1, k - 1);
            }

            result.Append('e').Append(n - 1 < 0 ? '-' : '+').Append(Math.Abs(n - 1).ToString(CultureInfo.InvariantCulture));
        }

        return result.ToString();
    }

    /// <summary>Digits d1..dk without leading or trailing zeros and n such that the value is 0.d1..dk × 10^n.</summary>
    private static (string Digits, int Exponent) ShortestDigits(double positive)
    {
        var r = positive.ToString("R", CultureInfo.InvariantCulture);
        var e = r.IndexOfAny(['E', 'e']);
        var mantissa = e < 0 ? r : r[..e];
        var exponent = e < 0 ? 0 : int.Parse(r[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var point = mantissa.IndexOf('.', StringComparison.Ordinal);
        var integerDigits = point < 0 ? mantissa.Length : point;
        var all = point < 0 ? mantissa : string.Concat(mantissa.AsSpan(0, point), mantissa.AsSpan(point + 1));
        var leading = 0;
        while (leading < all.Length - 1 && all[leading] == '0')
        {
            leading++;
        }

        var digits = all[leading..].TrimEnd('0');
        return (digits, integerDigits - leading + exponent);
    }
}
