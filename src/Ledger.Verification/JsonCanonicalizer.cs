using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Ledger.Verification;

/// <summary>
/// RFC 8785 JSON Canonicalization Scheme (JCS): object members sorted by the UTF-16 code units of their
/// names, numbers in ECMAScript's Number::toString form, strings with the minimal JSON escaping, no
/// whitespace, UTF-8. Input must be I-JSON: no duplicate names, no lone surrogates, finite numbers.
/// </summary>
public static class JsonCanonicalizer
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <exception cref="JsonException">The text is not JSON, or not I-JSON.</exception>
    public static byte[] Canonicalize(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Canonicalize(StrictUtf8.GetBytes(json));
    }

    /// <exception cref="JsonException">The bytes are not JSON, or not I-JSON.</exception>
    public static byte[] Canonicalize(ReadOnlySpan<byte> utf8Json)
    {
        using var document = JsonDocument.Parse(utf8Json.ToArray(), new JsonDocumentOptions { MaxDepth = 256 });
        return Canonicalize(document.RootElement);
    }

    /// <exception cref="JsonException">The value is not I-JSON.</exception>
    public static byte[] Canonicalize(JsonElement value)
    {
        var text = new StringBuilder();
        Write(value, text);
        return ToUtf8(text.ToString());
    }

    /// <exception cref="JsonException">The text holds a lone surrogate, which I-JSON forbids.</exception>
    internal static byte[] ToUtf8(string text)
    {
        try
        {
            return StrictUtf8.GetBytes(text);
        }
        catch (EncoderFallbackException e)
        {
            throw new JsonException("a string holds a lone surrogate, which I-JSON forbids", e);
        }
    }

    /// <summary>The canonical text of a value, for embedding in larger canonical documents.</summary>
    internal static void Write(JsonElement value, StringBuilder text)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                var members = new List<KeyValuePair<string, JsonElement>>();
                var names = new HashSet<string>(StringComparer.Ordinal);
                foreach (var member in value.EnumerateObject())
                {
                    if (!names.Add(member.Name))
                    {
                        throw new JsonException($"duplicate member name \"{member.Name}\", which I-JSON forbids");
                    }

                    members.Add(new(member.Name, member.Value));
                }

                // Ordinal comparison of .NET strings is by UTF-16 code unit, as RFC 8785 section 3.2.3 asks.
                members.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
                text.Append('{');
                for (var i = 0; i < members.Count; i++)
                {
                    if (i > 0)
                    {
                        text.Append(',');
                    }

                    WriteString(members[i].Key, text);
                    text.Append(':');
                    Write(members[i].Value, text);
                }

                text.Append('}');
                break;
            case JsonValueKind.Array:
                text.Append('[');
                var first = true;
                foreach (var item in value.EnumerateArray())
                {
                    if (!first)
                    {
                        text.Append(',');
                    }

                    first = false;
                    Write(item, text);
                }

                text.Append(']');
                break;
            case JsonValueKind.String:
                WriteString(ReadString(value), text);
                break;
            case JsonValueKind.Number:
                text.Append(FormatNumber(ParseNumber(value.GetRawText())));
                break;
            case JsonValueKind.True:
                text.Append("true");
                break;
            case JsonValueKind.False:
                text.Append("false");
                break;
            case JsonValueKind.Null:
                text.Append("null");
                break;
            default:
                throw new JsonException($"unexpected JSON value kind {value.ValueKind}");
        }
    }

    /// <summary>A JSON string literal with RFC 8785's escaping: only quote, backslash and control characters.</summary>
    internal static void WriteString(string value, StringBuilder text)
    {
        text.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"':
                    text.Append("\\\"");
                    break;
                case '\\':
                    text.Append("\\\\");
                    break;
                case '\b':
                    text.Append("\\b");
                    break;
                case '\f':
                    text.Append("\\f");
                    break;
                case '\n':
                    text.Append("\\n");
                    break;
                case '\r':
                    text.Append("\\r");
                    break;
                case '\t':
                    text.Append("\\t");
                    break;
                case < ' ':
                    text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    text.Append(c);
                    break;
            }
        }

        text.Append('"');
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

    private static double ParseNumber(string raw)
    {
        var parsed = double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture);
        return double.IsFinite(parsed) ? parsed : throw new JsonException($"the number {raw} is out of the IEEE 754 double range, which I-JSON forbids");
    }

    private static string ReadString(JsonElement value)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            throw new JsonException("a string holds a lone surrogate, which I-JSON forbids", e);
        }
    }
}
