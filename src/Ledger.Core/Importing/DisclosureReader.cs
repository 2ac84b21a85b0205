using System.Text;
using System.Text.Json;

namespace Ledger.Importing;

/// <summary>A disclosure document found in an input, with where it was found.</summary>
public sealed record RawDocument(InputLocation Location, JsonElement Json);

/// <summary>Splits input into documents: one JSON document, a JSON array of them, or NDJSON (one per line).</summary>
public static class DisclosureReader
{
    public static IReadOnlyList<RawDocument> Read(string file, string text, List<InputError> errors) =>
        Read(file, Encoding.UTF8.GetBytes(text), errors);

    /// <summary>Parses UTF-8 input in place: the documents refer to <paramref name="utf8"/>, which must not change afterwards.</summary>
    public static IReadOnlyList<RawDocument> Read(string file, ReadOnlyMemory<byte> utf8, List<InputError> errors)
    {
        var preamble = 0;
        if (utf8.Span.StartsWith(Encoding.UTF8.Preamble))
        {
            preamble = Encoding.UTF8.Preamble.Length;
            utf8 = utf8[preamble..];
        }

        if (LooksLikeNdjson(utf8.Span))
        {
            return ReadLines(file, utf8, preamble, errors);
        }

        // Not disposed on purpose: the returned elements live in this document.
        var parsed = JsonInput.Parse(utf8, preamble, out var defect);
        if (parsed is null)
        {
            errors.Add(new InputError(new InputLocation(file, $"line {defect!.Line}, column {defect.Column}"), defect.Field, defect.Message));
            return [];
        }

        var root = parsed.RootElement;
        if (root.ValueKind != JsonValueKind.Array)
        {
            return [new RawDocument(new InputLocation(file), root)];
        }

        var documents = new List<RawDocument>(root.GetArrayLength());
        var index = 0;
        foreach (var item in root.EnumerateArray())
        {
            documents.Add(new RawDocument(new InputLocation(file, $"document [{index}]"), item));
            index++;
        }

        return documents;
    }

    /// <summary>NDJSON: the first non-empty line is a whole object on its own, and another line follows.</summary>
    private static bool LooksLikeNdjson(ReadOnlySpan<byte> utf8)
    {
        var nonEmpty = 0;
        while (!utf8.IsEmpty && nonEmpty < 2)
        {
            var end = utf8.IndexOf((byte)'\n');
            var line = (end < 0 ? utf8 : utf8[..end]).Trim(" \t\r"u8);
            if (!line.IsEmpty)
            {
                if (nonEmpty == 0 && (line[0] != (byte)'{' || line[^1] != (byte)'}'))
                {
                    return false;
                }

                nonEmpty++;
            }

            utf8 = end < 0 ? [] : utf8[(end + 1)..];
        }

        return nonEmpty == 2;
    }

    private static List<RawDocument> ReadLines(string file, ReadOnlyMemory<byte> utf8, long offset, List<InputError> errors)
    {
        var documents = new List<RawDocument>();
        var number = 0;
        while (!utf8.IsEmpty)
        {
            number++;
            var end = utf8.Span.IndexOf((byte)'\n');
            var line = end < 0 ? utf8 : utf8[..end];
            utf8 = end < 0 ? ReadOnlyMemory<byte>.Empty : utf8[(end + 1)..];
            var start = offset;
            offset += line.Length + 1;
            if (line.Span.Trim(" \t\r"u8).IsEmpty)
            {
                continue;
            }

            var location = new InputLocation(file, $"line {number}");
            if (JsonInput.Parse(line, start, out var defect) is { } parsed)
            {
                documents.Add(new RawDocument(location, parsed.RootElement));
            }
            else
            {
                errors.Add(new InputError(location, defect!.Field, $"column {defect.Column}: {defect.Message}"));
            }
        }

        return documents;
    }
}
