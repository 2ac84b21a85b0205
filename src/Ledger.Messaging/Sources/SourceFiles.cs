using System.Globalization;
using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using Ledger.Archiving;
using UglyToad.PdfPig;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;

namespace Ledger.Messaging.Sources;

/// <summary>
/// Reads a saved source file: its media type (HTML, PDF or plain text; anything else is refused), its SHA-256 and the
/// text a reader sees in it: an HTML page's visible text (no scripts or styles, entities decoded), a PDF's text in
/// content order, plain text as it is.
/// </summary>
public static class SourceFiles
{
    public const string Html = "text/html";
    public const string Pdf = "application/pdf";
    public const string PlainText = "text/plain";

    /// <summary>The largest file archived unless configured otherwise (LEDGER_SOURCE_MAX_MB, or the command's option).</summary>
    public const int DefaultMaxMegabytes = 20;

    public const string MaxMegabytesVariable = "LEDGER_SOURCE_MAX_MB";

    private static readonly HashSet<string> HiddenElements = new(StringComparer.OrdinalIgnoreCase) { "script", "style", "noscript", "template", "head", "svg", "iframe", "object" };

    private static readonly HashSet<string> InlineElements = new(StringComparer.OrdinalIgnoreCase)
    {
        "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "i", "kbd", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup",
        "time", "u", "var", "del", "ins",
    };

    /// <summary>The size limit in bytes: LEDGER_SOURCE_MAX_MB when set, else 20 MB.</summary>
    public static long MaxBytes() =>
        (int.TryParse(Environment.GetEnvironmentVariable(MaxMegabytesVariable), out var megabytes) && megabytes > 0 ? megabytes : DefaultMaxMegabytes) * 1024L * 1024L;

    /// <summary>Reads a file from disk; the error says why it cannot be archived.</summary>
    public static (SourceFile? File, byte[]? Bytes, string? Error) ReadFile(string path, string name, long maxBytes)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return (null, null, $"file \"{name}\" not found");
        }

        if (info.Length > maxBytes)
        {
            return (null, null, string.Create(CultureInfo.InvariantCulture, $"file \"{name}\" is {info.Length:N0} bytes, over the limit of {maxBytes:N0} bytes ({MaxMegabytesVariable} or --max-mb raise it)"));
        }

        var bytes = File.ReadAllBytes(path);
        var (file, error) = Read(name, bytes);
        return (file, bytes, error);
    }

    /// <summary>The file's facts and text, or why it cannot be archived (an unknown media type).</summary>
    public static (SourceFile? File, string? Error) Read(string name, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var mediaType = Detect(name, bytes);
        if (mediaType is null)
        {
            return (null, $"file \"{name}\" is not HTML, PDF or plain text (UTF-8): its media type is unknown, so it cannot be archived");
        }

        var sha256 = Hashing.Sha256Hex(bytes);
        var (extraction, text) = mediaType switch
        {
            Html => (Extractions.Html, HtmlText(bytes)),
            Pdf => PdfText(bytes) is { } pdf ? (Extractions.Pdf, pdf) : (Extractions.None, null),
            _ => (Extractions.Text, new UTF8Encoding(false).GetString(bytes).TrimStart('\uFEFF')),
        };
        return (new SourceFile(name, sha256, mediaType, bytes.LongLength, extraction, text), null);
    }

    /// <summary>The media type by content (a PDF header, an HTML start), then by extension; null when it is none of the three.</summary>
    public static string? Detect(string name, ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith("%PDF-"u8))
        {
            return Pdf;
        }

        var extension = Path.GetExtension(name).ToLowerInvariant();
        if (extension == ".pdf" || !IsUtf8Text(bytes))
        {
            return null;
        }

        var start = Encoding.UTF8.GetString(bytes[..Math.Min(bytes.Length, 1024)]).TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        if (extension is ".html" or ".htm" or ".xhtml"
            || start.StartsWith("<!doctype html", StringComparison.OrdinalIgnoreCase)
            || start.StartsWith("<html", StringComparison.OrdinalIgnoreCase))
        {
            return Html;
        }

        return extension is ".txt" or ".text" ? PlainText : null;
    }

    /// <summary>The text a browser shows: text nodes outside scripts, styles and hidden elements, blocks on their own lines.</summary>
    public static string HtmlText(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        using var document = new HtmlParser().ParseDocument(stream);
        var text = new StringBuilder();
        Walk(document.Body ?? (INode)document, text);
        return text.ToString().Trim();
    }

    /// <summary>A PDF's text in content order, pages separated by blank lines; null when the file cannot be read as a PDF.</summary>
    public static string? PdfText(byte[] bytes)
    {
        try
        {
            using var document = PdfDocument.Open(bytes);
            return string.Join("\n\n", document.GetPages().Select(page => ContentOrderTextExtractor.GetText(page)));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A damaged or encrypted PDF is still archived, its quote unchecked (extraction "none").
            return null;
        }
    }

    private static void Walk(INode node, StringBuilder text)
    {
        switch (node)
        {
            case IText t:
                text.Append(t.Data);
                return;
            case IElement e when HiddenElements.Contains(e.LocalName) || e.HasAttribute("hidden"):
                return;
            case IElement { LocalName: "br" }:
                text.Append('\n');
                return;
            case IElement e:
                var block = !InlineElements.Contains(e.LocalName);
                if (block)
                {
                    text.Append('\n');
                }

                foreach (var child in e.ChildNodes)
                {
                    Walk(child, text);
                }

                if (block)
                {
                    text.Append('\n');
                }

                return;
            default:
                foreach (var child in node.ChildNodes)
                {
                    Walk(child, text);
                }

                return;
        }
    }

    private static bool IsUtf8Text(ReadOnlySpan<byte> bytes) =>
        System.Text.Unicode.Utf8.IsValid(bytes) && !bytes.Contains((byte)0);
}
