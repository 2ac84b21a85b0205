using System.Text;
using Ledger.Archiving;
using Ledger.Messaging.Sources;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace Ledger.Specs;

public class SourceFileSpecs
{
    [Fact]
    public void An_html_pages_visible_text_leaves_out_scripts_styles_and_hidden_parts_and_decodes_entities()
    {
        const string html = """
            <!DOCTYPE html><html><head><title>Head title</title><style>p { color: red }</style><script>var secret = "script text";</script></head>
            <body><p>Microsoft&rsquo;s <b>Azure</b> &amp; AI</p><div hidden>hidden text</div><noscript>no script</noscript><p>second&nbsp;block</p></body></html>
            """;

        var (file, error) = SourceFiles.Read("page.bin", Encoding.UTF8.GetBytes(html));

        Assert.Null(error);
        Assert.Equal((SourceFiles.Html, Extractions.Html), (file!.MediaType, file.Extraction));
        Assert.Contains("Microsoft\u2019s Azure & AI", file.Text, StringComparison.Ordinal);
        Assert.Contains("second\u00A0block", file.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("script text", file.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("color", file.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("hidden text", file.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("Head title", file.Text, StringComparison.Ordinal);
        Assert.NotNull(QuoteMatcher.Find(file.Text!, "Microsoft's Azure & AI second block"));
    }

    [Fact]
    public void Block_elements_separate_words_and_inline_ones_do_not()
    {
        var (file, _) = SourceFiles.Read("a.html", Encoding.UTF8.GetBytes("<p>end</p><p>start</p><p>Micro<b>soft</b></p>"));

        Assert.Equal(["end", "start", "Microsoft"], file!.Text!.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_pdfs_text_is_extracted_so_its_quote_can_be_checked()
    {
        var builder = new PdfDocumentBuilder();
        var page = builder.AddPage(PageSize.A4);
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        page.AddText("We will share more information in the coming weeks.", 12, new PdfPoint(25, 700), font);

        var (file, error) = SourceFiles.Read("statement.pdf", builder.Build());

        Assert.Null(error);
        Assert.Equal((SourceFiles.Pdf, Extractions.Pdf), (file!.MediaType, file.Extraction));
        Assert.NotNull(QuoteMatcher.Find(file.Text!, "We will share more information in the coming weeks."));
    }

    [Fact]
    public void A_damaged_pdf_is_accepted_with_extraction_none()
    {
        var (file, error) = SourceFiles.Read("broken.pdf", Encoding.ASCII.GetBytes("%PDF-1.7\nnot really a pdf"));

        Assert.Null(error);
        Assert.Equal((SourceFiles.Pdf, Extractions.None, (string?)null), (file!.MediaType, file.Extraction, file.Text));
    }

    [Fact]
    public void Plain_text_is_taken_as_it_is_and_the_hash_is_the_bytes_sha256()
    {
        var bytes = Encoding.UTF8.GetBytes("Line one.\nLine two.");

        var (file, _) = SourceFiles.Read("notes.txt", bytes);

        Assert.Equal((SourceFiles.PlainText, Extractions.Text, "Line one.\nLine two.", Hashing.Sha256Hex(bytes), 19L), (file!.MediaType, file.Extraction, file.Text, file.Sha256, file.Length));
    }

    [Theory]
    [InlineData("photo.png", new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0 })]
    [InlineData("data.json", new byte[] { (byte)'{', (byte)'}' })]
    [InlineData("fake.pdf", new byte[] { (byte)'h', (byte)'i' })]
    public void Anything_but_html_pdf_or_utf8_text_is_refused_naming_the_file(string name, byte[] bytes)
    {
        var (file, error) = SourceFiles.Read(name, bytes);

        Assert.Null(file);
        Assert.Equal($"file \"{name}\" is not HTML, PDF or plain text (UTF-8): its media type is unknown, so it cannot be archived", error);
    }

    [Fact]
    public void A_file_over_the_size_limit_is_refused_before_it_is_read()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, new byte[2048]);

            var (file, bytes, error) = SourceFiles.ReadFile(path, "big.html", 1024);

            Assert.Equal((null, null), (file, bytes));
            Assert.StartsWith("file \"big.html\" is 2,048 bytes, over the limit of 1,024 bytes", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
