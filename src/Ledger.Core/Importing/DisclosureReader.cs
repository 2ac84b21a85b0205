using System.Text.Json;

namespace Ledger.Importing;

/// <summary>A disclosure document found in an input, with where it was found.</summary>
public sealed record RawDocument(InputLocation Location, JsonElement Json);

/// <summary>Splits input text into documents: one JSON document, a JSON array of them, or NDJSON (one per line).</summary>
public static class DisclosureReader
{
    private static readonly JsonDocumentOptions Options = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 };

    public static IReadOnlyList<RawDocument> Read(string file, string text, List<InputError> errors)
    {
        var lines = text.Split('\n');
        if (LooksLikeNdjson(lines))
        {
            return ReadLines(file, lines, errors);
        }

        try
        {
            using var json = JsonDocument.Parse(text, Options);
            var root = json.RootElement.Clone();
            if (root.ValueKind == JsonValueKind.Array)
            {
                var documents = new List<RawDocument>();
                var index = 0;
                foreach (var item in root.EnumerateArray())
                {
                    documents.Add(new RawDocument(new InputLocation(file, $"document [{index}]"), item));
                    index++;
                }

                return documents;
            }

            return [new RawDocument(new InputLocation(file), root)];
        }
        catch (JsonException ex)
        {
            errors.Add(new InputError(new InputLocation(file, $"line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}"), null, $"not valid JSON: {FirstSentence(ex.Message)}"));
            return [];
        }
    }

    private static bool LooksLikeNdjson(string[] lines)
    {
        var nonEmpty = lines.Where(l => !string.IsNullOrWhiteSpace(l)).Take(2).ToArray();
        if (nonEmpty.Length < 2 || !nonEmpty[0].TrimStart().StartsWith('{'))
        {
            return false;
        }

        try
        {
            using var first = JsonDocument.Parse(nonEmpty[0], Options);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static List<RawDocument> ReadLines(string file, string[] lines, List<InputError> errors)
    {
        var documents = new List<RawDocument>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]))
            {
                continue;
            }

            var location = new InputLocation(file, $"line {i + 1}");
            try
            {
                using var json = JsonDocument.Parse(lines[i], Options);
                documents.Add(new RawDocument(location, json.RootElement.Clone()));
            }
            catch (JsonException ex)
            {
                errors.Add(new InputError(location, null, $"not valid JSON at byte {ex.BytePositionInLine + 1}: {FirstSentence(ex.Message)}"));
            }
        }

        return documents;
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(" Path:", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message;
    }
}
