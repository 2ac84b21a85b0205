using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Unicode;

namespace Ledger.Importing;

/// <summary>A defect of one JSON text: where it is (line and column in characters, 1-based, within the text), the field path when known, and what is wrong.</summary>
internal sealed record JsonDefect(long Line, long Column, string? Field, string Message);

/// <summary>
/// Parses one JSON text the way a ledger must: bytes that are not UTF-8, escaped lone surrogates and duplicate keys are
/// refused, where a parser would let them through (and the last duplicate win); parser complaints in plain words.
/// </summary>
internal static partial class JsonInput
{
    private static readonly JsonDocumentOptions Options = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64, AllowDuplicateProperties = false };
    private static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 };

    /// <summary>The parsed document, or null with the defect. <paramref name="fileOffset"/>: where the text starts in its file.</summary>
    public static JsonDocument? Parse(ReadOnlyMemory<byte> utf8, long fileOffset, out JsonDefect? defect)
    {
        defect = null;
        if (InvalidUtf8At(utf8.Span) is var bad and >= 0)
        {
            var (line, column) = LineAndColumn(utf8.Span, bad);
            var bytes = string.Join(" ", utf8.Span.Slice(bad, Math.Min(4, utf8.Length - bad)).ToArray().Select(b => $"0x{b:X2}"));
            defect = new JsonDefect(line, column, null, $"not valid UTF-8 at byte offset {fileOffset + bad} of the file (bytes {bytes}); save the file as UTF-8");
            return null;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, Options);
        }
        catch (JsonException ex) when (ex.LineNumber is null)
        {
            // Only the duplicate-key check throws without a position: find it again, with its path.
            defect = FindDefect(utf8.Span) ?? new JsonDefect(1, 1, null, PlainWords(ex.Message));
            return null;
        }
        catch (JsonException ex)
        {
            var (line, column) = LineAndColumn(utf8.Span, Offset(utf8.Span, ex.LineNumber ?? 0, ex.BytePositionInLine ?? 0));
            defect = new JsonDefect(line, column, null, PlainWords(ex.Message));
            return null;
        }
        catch (InvalidOperationException)
        {
            // The duplicate-key check unescapes keys, and a key with a lone surrogate cannot be.
            defect = FindDefect(utf8.Span) ?? new JsonDefect(1, 1, null, "a key is not valid Unicode text");
            return null;
        }

        // Escapes are rare; only text with one can hold an escaped lone surrogate.
        if (utf8.Span.IndexOf("\\u"u8) >= 0 && FindDefect(utf8.Span) is { } escaped)
        {
            document.Dispose();
            defect = escaped;
            return null;
        }

        return document;
    }

    /// <summary>The offset of the first byte that is not part of well-formed UTF-8 (overlong forms and encoded surrogates included); -1 when none.</summary>
    public static int InvalidUtf8At(ReadOnlySpan<byte> utf8)
    {
        if (Utf8.IsValid(utf8))
        {
            return -1;
        }

        var offset = 0;
        while (offset < utf8.Length)
        {
            if (Rune.DecodeFromUtf8(utf8[offset..], out _, out var consumed) != OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return -1;
    }

    /// <summary>The reader's complaint in plain words, without its internals (reader options, zero-based positions, paths).</summary>
    private static string PlainWords(string message)
    {
        var found = Quoted().Match(message) is { Success: true } quoted ? quoted.Groups[1].Value : null;
        if (message.Contains("invalid start of a property name", StringComparison.Ordinal))
        {
            return $"a key must be text in double quotes, but {Found(found)} starts one";
        }

        if (message.Contains("is invalid after a property name", StringComparison.Ordinal))
        {
            return $"a key must be followed by ':', not {Found(found)}";
        }

        if (message.Contains("is invalid after a value", StringComparison.Ordinal))
        {
            return $"after a value comes ',' or a closing '}}' or ']', not {Found(found)}";
        }

        if (message.Contains("is invalid after a single JSON value", StringComparison.Ordinal))
        {
            return $"the JSON ends before {Found(found)}: give one document (or an array of them), or one document per line";
        }

        if (message.Contains("invalid start of a value", StringComparison.Ordinal))
        {
            return $"this is not JSON: a value is text in double quotes, a number, true, false, null, an object or an array, and cannot start with {Found(found)}";
        }

        if (message.Contains("invalid JSON literal", StringComparison.Ordinal))
        {
            return "a word without quotes: only true, false and null are written bare; put text in double quotes";
        }

        if (message.Contains("does not contain any JSON tokens", StringComparison.Ordinal))
        {
            return "there is no JSON here: the input is empty";
        }

        if (message.Contains("invalid escapable character", StringComparison.Ordinal))
        {
            return $"a backslash in text starts an escape, and \\{found} is none; write \\\\ for a backslash";
        }

        if (message.Contains("end of string", StringComparison.Ordinal))
        {
            return "a text is not closed: its closing '\"' is missing";
        }

        if (message.Contains("trailing comma", StringComparison.Ordinal))
        {
            return "a comma is followed by '}' or ']': remove the comma after the last member or item";
        }

        if (message.Contains("is invalid within a JSON string", StringComparison.Ordinal))
        {
            return $"a string holds a raw control character ({message.Split('\'')[1]}); control characters are not allowed in a document";
        }

        if (message.Contains("Expected depth to be zero", StringComparison.Ordinal) || message.Contains("end of data", StringComparison.Ordinal))
        {
            return "the text ends before every '{' and '[' is closed";
        }

        if (message.Contains("Duplicate property", StringComparison.Ordinal))
        {
            return "an object names the same key twice";
        }

        var plain = Internals().Replace(message, string.Empty).Trim();
        return plain.Length == 0 ? "this is not JSON" : plain;
    }

    private static string Found(string? text) => text is null ? "what follows" : $"'{text}'";

    [GeneratedRegex("^'([^']*)'")]
    private static partial Regex Quoted();

    [GeneratedRegex(@"\s*(Change the reader options\.|The reader options[^.]*\.|LineNumber:.*|Path:.*|BytePositionInLine:.*)", RegexOptions.Singleline)]
    private static partial Regex Internals();

    /// <summary>Line and column (in characters, as an editor counts them), both 1-based, of a byte offset.</summary>
    private static (long Line, long Column) LineAndColumn(ReadOnlySpan<byte> utf8, long offset)
    {
        var before = utf8[..(int)Math.Min(offset, utf8.Length)];
        var newline = before.LastIndexOf((byte)'\n');
        var line = before[(newline + 1)..];
        var characters = 0;
        while (!line.IsEmpty)
        {
            Rune.DecodeFromUtf8(line, out _, out var consumed);
            line = line[consumed..];
            characters++;
        }

        return (before.Count((byte)'\n') + 1, characters + 1);
    }

    /// <summary>The byte offset of a zero-based line and byte within it, as the reader reports them.</summary>
    private static long Offset(ReadOnlySpan<byte> utf8, long line, long byteInLine)
    {
        var offset = 0;
        for (var i = 0; i < line && utf8[offset..].IndexOf((byte)'\n') is var next and >= 0; i++)
        {
            offset += next + 1;
        }

        return offset + byteInLine;
    }

    /// <summary>
    /// A duplicate key or an escaped lone surrogate, with its line, byte and field path (as the import names fields:
    /// <c>statements[1].quote</c>); null when there is none.
    /// </summary>
    private static JsonDefect? FindDefect(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        var frames = new Stack<Frame>();
        string? name = null;
        try
        {
            while (reader.Read())
            {
                var at = reader.TokenStartIndex;
                if (reader.TokenType == JsonTokenType.PropertyName)
                {
                    var frame = frames.Peek();
                    if (!TryGetString(ref reader, out name))
                    {
                        return At(utf8, at, frame.Path.Length == 0 ? null : frame.Path, "a key holds an escaped lone surrogate (\\ud800 to \\udfff without its pair), which is not text");
                    }

                    if (!frame.Keys!.Add(name))
                    {
                        return At(utf8, at, Child(frame, name), $"the key \"{name}\" appears twice in the same object; a document must name each key once");
                    }

                    continue;
                }

                if (reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray)
                {
                    frames.Pop();
                    continue;
                }

                var path = frames.Count == 0 ? string.Empty : frames.Peek().Keys is null ? $"{frames.Peek().Path}[{frames.Peek().Index++}]" : Child(frames.Peek(), name!);
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    frames.Push(new Frame(path, new HashSet<string>(StringComparer.Ordinal)));
                }
                else if (reader.TokenType == JsonTokenType.StartArray)
                {
                    frames.Push(new Frame(path, null));
                }
                else if (reader.TokenType == JsonTokenType.String && !TryGetString(ref reader, out _))
                {
                    return At(utf8, at, path.Length == 0 ? null : path, "holds an escaped lone surrogate (\\ud800 to \\udfff without its pair), which is not text");
                }
            }
        }
        catch (JsonException)
        {
            // The parser reports syntax errors itself.
        }

        return null;
    }

    private static JsonDefect At(ReadOnlySpan<byte> utf8, long offset, string? field, string message)
    {
        var (line, column) = LineAndColumn(utf8, offset);
        return new JsonDefect(line, column, field, message);
    }

    private static string Child(Frame frame, string name) => frame.Path.Length == 0 ? name : $"{frame.Path}.{name}";

    private static bool TryGetString(ref Utf8JsonReader reader, out string text)
    {
        if (!reader.ValueIsEscaped)
        {
            text = reader.GetString()!;
            return true;
        }

        try
        {
            text = reader.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            text = string.Empty;
            return false;
        }
    }

    private sealed class Frame(string path, HashSet<string>? keys)
    {
        public string Path { get; } = path;

        public HashSet<string>? Keys { get; } = keys;

        public int Index { get; set; }
    }
}
