using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Ledger.Verification;

/// <summary>
/// Writes RFC 8785 canonical JSON as UTF-8 into a pooled buffer. Strings are copied from the parsed document's raw
/// UTF-8 and only their escapes are rewritten, so hashing an event allocates little beyond the parse: appends hash
/// every event they write. The input must be valid UTF-8 (callers transcode strictly or validate first).
/// </summary>
internal sealed class CanonicalJsonWriter : IDisposable
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    // The members of the objects being written, a nested object's above its parent's: one list for the whole document.
    private readonly List<Member> members = [];
    private byte[] buffer;
    private int length;

    public CanonicalJsonWriter(int capacity) => buffer = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 256));

    public ReadOnlySpan<byte> Written => buffer.AsSpan(0, length);

    /// <summary>The bytes of a .NET string in strict UTF-8, into a pooled array the caller returns.</summary>
    /// <exception cref="JsonException">The string holds a lone surrogate, which I-JSON forbids.</exception>
    public static (byte[] Array, int Length) RentUtf8(string text)
    {
        var array = ArrayPool<byte>.Shared.Rent(StrictUtf8.GetMaxByteCount(text.Length));
        try
        {
            return (array, StrictUtf8.GetBytes(text, array));
        }
        catch (EncoderFallbackException e)
        {
            ArrayPool<byte>.Shared.Return(array);
            throw new JsonException("a string holds a lone surrogate, which I-JSON forbids", e);
        }
    }

    public void WriteByte(byte b)
    {
        Ensure(1);
        buffer[length++] = b;
    }

    /// <summary>ASCII text that needs no escaping: punctuation, literals, member names of the envelope.</summary>
    public void WriteAscii(ReadOnlySpan<char> ascii)
    {
        Ensure(ascii.Length);
        for (var i = 0; i < ascii.Length; i++)
        {
            buffer[length++] = (byte)ascii[i];
        }
    }

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(buffer.AsSpan(length));
        length += bytes.Length;
    }

    /// <summary>A .NET string as a canonical JSON string literal.</summary>
    /// <exception cref="JsonException">The string holds a lone surrogate.</exception>
    public void WriteString(ReadOnlySpan<char> value)
    {
        WriteByte((byte)'"');
        var start = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c >= ' ' && c != '"' && c != '\\')
            {
                continue;
            }

            WriteUtf8(value[start..i]);
            WriteEscape(c);
            start = i + 1;
        }

        WriteUtf8(value[start..]);
        WriteByte((byte)'"');
    }

    /// <summary>A parsed value in canonical form.</summary>
    /// <exception cref="JsonException">The value is not I-JSON.</exception>
    public void WriteValue(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(value);
                break;
            case JsonValueKind.Array:
                WriteByte((byte)'[');
                var first = true;
                foreach (var item in value.EnumerateArray())
                {
                    if (!first)
                    {
                        WriteByte((byte)',');
                    }

                    first = false;
                    WriteValue(item);
                }

                WriteByte((byte)']');
                break;
            case JsonValueKind.String:
                WriteRawString(JsonMarshal.GetRawUtf8Value(value));
                break;
            case JsonValueKind.Number:
                WriteNumber(JsonMarshal.GetRawUtf8Value(value));
                break;
            case JsonValueKind.True:
                WriteAscii("true");
                break;
            case JsonValueKind.False:
                WriteAscii("false");
                break;
            case JsonValueKind.Null:
                WriteAscii("null");
                break;
            default:
                throw new JsonException($"unexpected JSON value kind {value.ValueKind}");
        }
    }

    /// <summary>
    /// A whole JSON text in canonical form, read token by token: values are copied as read, and an object's members are
    /// put in order afterwards by moving their written bytes, so no document is built.
    /// </summary>
    /// <exception cref="JsonException">The text is not JSON, or not I-JSON.</exception>
    public void WriteJson(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = 256 });
        if (!reader.Read())
        {
            throw new JsonException("no JSON value");
        }

        WriteValue(ref reader);
        if (reader.Read())
        {
            throw new JsonException("more than one JSON value");
        }
    }

    private void WriteValue(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                WriteObject(ref reader);
                break;
            case JsonTokenType.StartArray:
                WriteByte((byte)'[');
                var first = true;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (!first)
                    {
                        WriteByte((byte)',');
                    }

                    first = false;
                    WriteValue(ref reader);
                }

                WriteByte((byte)']');
                break;
            case JsonTokenType.String:
                WriteRawString(reader.ValueSpan, quoted: false);
                break;
            case JsonTokenType.Number:
                WriteNumber(reader.ValueSpan);
                break;
            case JsonTokenType.True:
                WriteAscii("true");
                break;
            case JsonTokenType.False:
                WriteAscii("false");
                break;
            case JsonTokenType.Null:
                WriteAscii("null");
                break;
            default:
                throw new JsonException($"unexpected JSON token {reader.TokenType}");
        }
    }

    private void WriteObject(ref Utf8JsonReader reader)
    {
        WriteByte((byte)'{');
        var bodyStart = length;
        var first = members.Count;
        var plain = true;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var start = length;
            var raw = reader.ValueSpan;
            var isPlain = !reader.ValueIsEscaped && IsPlainName(raw);
            plain &= isPlain;
            var name = isPlain ? null : reader.GetString();
            WriteRawString(raw, quoted: false);
            var nameEnd = length;
            WriteByte((byte)':');
            reader.Read();
            WriteValue(ref reader);
            members.Add(new Member(start, nameEnd, length, name));
            WriteByte((byte)',');
        }

        var count = members.Count - first;
        if (count == 0)
        {
            WriteByte((byte)'}');
            return;
        }

        // RFC 8785 section 3.2.3 sorts by UTF-16 code units: for ASCII names without escapes that is their bytes'
        // order; other names are compared as .NET strings (ordinal is by UTF-16 code unit). Equal names end up adjacent.
        var order = new MemberOrder(buffer, plain);
        var written = CollectionsMarshal.AsSpan(members).Slice(first, count);
        var sorted = true;
        for (var i = 1; i < written.Length && sorted; i++)
        {
            sorted = order.Compare(written[i - 1], written[i]) < 0;
        }

        length--;
        if (!sorted)
        {
            written.Sort(order);
            for (var i = 1; i < written.Length; i++)
            {
                if (order.Compare(written[i - 1], written[i]) == 0)
                {
                    throw new JsonException($"duplicate member name {Encoding.UTF8.GetString(buffer.AsSpan(written[i].Start, written[i].NameEnd - written[i].Start))}, which I-JSON forbids");
                }
            }

            var body = ArrayPool<byte>.Shared.Rent(length - bodyStart);
            buffer.AsSpan(bodyStart, length - bodyStart).CopyTo(body);
            length = bodyStart;
            for (var i = 0; i < written.Length; i++)
            {
                if (i > 0)
                {
                    WriteByte((byte)',');
                }

                WriteRaw(body.AsSpan(written[i].Start - bodyStart, written[i].End - written[i].Start));
            }

            ArrayPool<byte>.Shared.Return(body);
        }

        members.RemoveRange(first, count);
        WriteByte((byte)'}');
    }

    /// <summary>Where a member's canonical bytes were written: its quoted name ends at NameEnd, its value at End.</summary>
    private readonly record struct Member(int Start, int NameEnd, int End, string? Name)
    {
        /// <summary>The name's canonical bytes without the quotes.</summary>
        public ReadOnlySpan<byte> NameIn(byte[] written) => written.AsSpan(Start + 1, NameEnd - Start - 2);
    }

    /// <summary>
    /// Member order over the written bytes, without quotes: with them, a name would sort after the same name followed
    /// by a space or '!', which sort below the closing quote.
    /// </summary>
    private readonly struct MemberOrder(byte[] written, bool plain) : IComparer<Member>
    {
        public int Compare(Member x, Member y) => plain
            ? x.NameIn(written).SequenceCompareTo(y.NameIn(written))
            : string.CompareOrdinal(x.Name ?? Encoding.UTF8.GetString(x.NameIn(written)), y.Name ?? Encoding.UTF8.GetString(y.NameIn(written)));
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = [];
    }

    private void WriteObject(JsonElement value)
    {
        var count = value.GetPropertyCount();
        var members = ArrayPool<JsonProperty>.Shared.Rent(Math.Max(count, 1));
        try
        {
            var i = 0;
            var plain = true;
            foreach (var member in value.EnumerateObject())
            {
                members[i++] = member;
                plain &= IsPlainName(JsonMarshal.GetRawUtf8PropertyName(member));
            }

            // RFC 8785 section 3.2.3 sorts by UTF-16 code units: for ASCII names without escapes that is their bytes'
            // order, compared in place; other names are compared as .NET strings (ordinal is by UTF-16 code unit).
            Array.Sort(members, 0, count, plain ? RawNameOrder.Instance : StringNameOrder.Instance);
            WriteByte((byte)'{');
            for (i = 0; i < count; i++)
            {
                if (i > 0)
                {
                    if (SameName(members[i - 1], members[i], plain))
                    {
                        throw new JsonException($"duplicate member name \"{members[i].Name}\", which I-JSON forbids");
                    }

                    WriteByte((byte)',');
                }

                WriteRawString(JsonMarshal.GetRawUtf8PropertyName(members[i]), quoted: false);
                WriteByte((byte)':');
                WriteValue(members[i].Value);
            }

            WriteByte((byte)'}');
        }
        finally
        {
            ArrayPool<JsonProperty>.Shared.Return(members, clearArray: true);
        }
    }

    private static bool IsPlainName(ReadOnlySpan<byte> raw) => !raw.ContainsAnyExceptInRange((byte)' ', (byte)'~') && !raw.Contains((byte)'\\');

    private static bool SameName(JsonProperty a, JsonProperty b, bool plain) =>
        plain ? JsonMarshal.GetRawUtf8PropertyName(a).SequenceEqual(JsonMarshal.GetRawUtf8PropertyName(b)) : a.Name == b.Name;

    private sealed class RawNameOrder : IComparer<JsonProperty>
    {
        public static readonly RawNameOrder Instance = new();

        public int Compare(JsonProperty x, JsonProperty y) => JsonMarshal.GetRawUtf8PropertyName(x).SequenceCompareTo(JsonMarshal.GetRawUtf8PropertyName(y));
    }

    private sealed class StringNameOrder : IComparer<JsonProperty>
    {
        public static readonly StringNameOrder Instance = new();

        public int Compare(JsonProperty x, JsonProperty y) => string.CompareOrdinal(x.Name, y.Name);
    }

    /// <summary>
    /// A string token as it appears in the document. Unescaped bytes are already canonical (JSON forbids raw quotes,
    /// backslashes and control characters in strings); escapes are decoded and written the RFC 8785 way.
    /// </summary>
    private void WriteRawString(ReadOnlySpan<byte> raw, bool quoted = true)
    {
        if (quoted)
        {
            raw = raw[1..^1];
        }

        WriteByte((byte)'"');
        while (raw.Length > 0)
        {
            var escape = raw.IndexOf((byte)'\\');
            if (escape < 0)
            {
                WriteRaw(raw);
                break;
            }

            WriteRaw(raw[..escape]);
            raw = raw[escape..];
            var consumed = 2;
            switch ((char)raw[1])
            {
                case '"':
                case '\\':
                    WriteByte((byte)'\\');
                    WriteByte(raw[1]);
                    break;
                case '/':
                    WriteByte((byte)'/');
                    break;
                case 'b':
                    WriteEscape('\b');
                    break;
                case 'f':
                    WriteEscape('\f');
                    break;
                case 'n':
                    WriteEscape('\n');
                    break;
                case 'r':
                    WriteEscape('\r');
                    break;
                case 't':
                    WriteEscape('\t');
                    break;
                case 'u':
                    consumed = WriteUnicodeEscape(raw);
                    break;
                default:
                    throw new JsonException("an invalid escape in a string");
            }

            raw = raw[consumed..];
        }

        WriteByte((byte)'"');
    }

    /// <summary>A \uXXXX escape (two for a surrogate pair) at the start of <paramref name="raw"/>; returns the bytes consumed.</summary>
    private int WriteUnicodeEscape(ReadOnlySpan<byte> raw)
    {
        var unit = Hex(raw.Slice(2, 4));
        if (char.IsLowSurrogate(unit))
        {
            throw new JsonException("a string holds a lone surrogate, which I-JSON forbids");
        }

        if (!char.IsHighSurrogate(unit))
        {
            if (unit < ' ' || unit == '"' || unit == '\\')
            {
                WriteEscape(unit);
            }
            else if (unit < 0x80)
            {
                WriteByte((byte)unit);
            }
            else if (unit < 0x800)
            {
                WriteByte((byte)(0xC0 | (unit >> 6)));
                WriteByte((byte)(0x80 | (unit & 0x3F)));
            }
            else
            {
                WriteByte((byte)(0xE0 | (unit >> 12)));
                WriteByte((byte)(0x80 | ((unit >> 6) & 0x3F)));
                WriteByte((byte)(0x80 | (unit & 0x3F)));
            }

            return 6;
        }

        if (raw.Length < 12 || raw[6] != '\\' || raw[7] != 'u' || Hex(raw.Slice(8, 4)) is var low && !char.IsLowSurrogate(low))
        {
            throw new JsonException("a string holds a lone surrogate, which I-JSON forbids");
        }

        WriteUtf8([unit, low]);
        return 12;
    }

    private static char Hex(ReadOnlySpan<byte> digits)
    {
        var unit = 0;
        foreach (var d in digits)
        {
            var value = HexValue(d);
            if (value < 0)
            {
                throw new JsonException("an invalid \\u escape in a string");
            }

            unit = (unit << 4) | value;
        }

        return (char)unit;
    }

    private static int HexValue(byte d) => d switch
    {
        >= (byte)'0' and <= (byte)'9' => d - '0',
        >= (byte)'a' and <= (byte)'f' => d - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => d - 'A' + 10,
        _ => -1,
    };

    /// <summary>Integers of up to 15 digits are their own canonical form; anything else goes through ECMAScript's number formatting.</summary>
    private void WriteNumber(ReadOnlySpan<byte> raw)
    {
        var digits = raw.Length > 0 && raw[0] == '-' ? raw[1..] : raw;
        if (digits.Length is > 0 and <= 15 && (digits[0] != '0' || (digits.Length == 1 && raw.Length == 1)) && !digits.ContainsAnyExceptInRange((byte)'0', (byte)'9'))
        {
            WriteRaw(raw);
            return;
        }

        var text = Encoding.ASCII.GetString(raw);
        var parsed = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (!double.IsFinite(parsed))
        {
            throw new JsonException($"the number {text} is out of the IEEE 754 double range, which I-JSON forbids");
        }

        WriteAscii(JsonCanonicalizer.FormatNumber(parsed));
    }

    private void WriteEscape(char c)
    {
        switch (c)
        {
            case '"':
                WriteAscii("\\\"");
                break;
            case '\\':
                WriteAscii("\\\\");
                break;
            case '\b':
                WriteAscii("\\b");
                break;
            case '\f':
                WriteAscii("\\f");
                break;
            case '\n':
                WriteAscii("\\n");
                break;
            case '\r':
                WriteAscii("\\r");
                break;
            case '\t':
                WriteAscii("\\t");
                break;
            default:
                Span<char> hex = stackalloc char[6];
                "\\u00".CopyTo(hex);
                ((int)c).TryFormat(hex[4..], out _, "x2", CultureInfo.InvariantCulture);
                WriteAscii(hex);
                break;
        }
    }

    private void WriteUtf8(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return;
        }

        Ensure(StrictUtf8.GetMaxByteCount(text.Length));
        try
        {
            length += StrictUtf8.GetBytes(text, buffer.AsSpan(length));
        }
        catch (EncoderFallbackException e)
        {
            throw new JsonException("a string holds a lone surrogate, which I-JSON forbids", e);
        }
    }

    private void Ensure(int more)
    {
        if (length + more <= buffer.Length)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length * 2, length + more));
        buffer.AsSpan(0, length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = larger;
    }
}
