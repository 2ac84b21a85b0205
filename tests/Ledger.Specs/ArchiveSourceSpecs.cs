using Ledger.Archiving;
using Ledger.Events;
using Ledger.Importing;
using Ledger.Matters;
using Ledger.Projections;
using Ledger.Storage;
using static Ledger.Specs.SpecLedger;

namespace Ledger.Specs;

public class QuoteMatcherSpecs
{
    [Fact]
    public void A_quote_is_found_across_typographic_apostrophes_quotes_dashes_and_line_breaks_at_its_offset_in_the_text()
    {
        const string text = "Intro.\n  We found \u201Cno evidence\u201D that Microsoft\u2019s\n   Azure \u2014 and AI \u2026 were used.";

        var offset = QuoteMatcher.Find(text, "We found \"no evidence\" that Microsoft's Azure - and AI ... were used.");

        Assert.Equal(text.IndexOf("We found", StringComparison.Ordinal), offset);
    }

    [Fact]
    public void A_quote_with_typographic_characters_is_found_in_plain_text_too()
    {
        Assert.Equal(4, QuoteMatcher.Find("Say it's \"done\" - now.", "it\u2019s \u201Cdone\u201D \u2013 now"));
    }

    [Fact]
    public void Invisible_characters_and_non_breaking_spaces_do_not_hide_a_quote()
    {
        Assert.Equal(0, QuoteMatcher.Find("co\u00ADoperate\u00A0fully\u200B.", "cooperate fully."));
    }

    [Theory]
    [InlineData("We will share more information in the coming months as appropriate.")]
    [InlineData("We will share less information in the coming weeks as appropriate.")]
    [InlineData("we will share more information in the coming weeks as appropriate.")]
    public void A_quote_altered_by_one_word_or_in_case_is_not_found(string altered)
    {
        const string text = "Intro. We will share more information in the coming weeks as appropriate. End.";

        Assert.NotNull(QuoteMatcher.Find(text, "We will share more information in the coming weeks as appropriate."));
        Assert.Null(QuoteMatcher.Find(text, altered));
    }

    [Fact]
    public void An_empty_quote_is_never_found()
    {
        Assert.Null(QuoteMatcher.Find("some text", "  \n "));
    }
}

public class ArchiveSourceSpecs
{
    private static readonly DateTimeOffset Now = At("2026-01-10T12:00:00Z");
    private static readonly InputLocation Location = new("saved.html");

    private static SourceFile File(string text, string sha = "a1") => new("saved.html", Sha(sha), "text/html", 100, Extractions.Html, text);

    private static string Sha(string seed) => Hashing.Sha256Hex(seed);

    private static (MatterState State, Statement Statement) Recorded()
    {
        var ledger = new SpecLedger().Record(Document(Statement("s1", "PositionStated", "2025-05-15", "\"topic\":\"t\",\"position\":\"p\"")), Now.AddDays(-1));
        var state = ledger.Events.Select(r => r.Event).Aggregate(MatterState.Initial(SpecLedger.Matter), MatterState.Evolve);
        return (state, ledger.Events.Select(r => r.Event).OfType<Statement>().Single());
    }

    [Fact]
    public void Archiving_a_source_that_holds_the_quote_records_the_hash_media_type_and_offset_without_changing_the_statement()
    {
        var (state, statement) = Recorded();

        var decision = ArchiveSource.Decide(new ArchiveSource(Location, "s1", File("Header. Quote of s1. Footer."), "curator"), state, statement, Now);

        Assert.Empty(decision.Errors);
        var archived = Assert.Single(decision.Events);
        Assert.Equal(new SourceArchived(SpecLedger.Matter, "s1", Now, "curator", Sha("a1"), "text/html", 100, Extractions.Html, true, 8), archived);
        Assert.Equal(EventTypes.SourceArchived, EventTypes.NameOf(typeof(SourceArchived)));
        Assert.Null(EventEnvelope.ToAppend(archived, "Acme").StatementId);
    }

    [Fact]
    public void A_source_whose_text_lacks_the_quote_is_archived_with_quote_found_false()
    {
        var (state, statement) = Recorded();

        var decision = ArchiveSource.Decide(new ArchiveSource(Location, "s1", File("Header. Quote of s2. Footer."), "curator"), state, statement, Now);

        var archived = Assert.Single(decision.Events);
        Assert.Equal((false, (int?)null), (archived.QuoteFound, archived.QuoteOffset));
    }

    [Fact]
    public void A_source_without_extracted_text_is_archived_unchecked()
    {
        var (state, statement) = Recorded();
        var pdf = new SourceFile("saved.pdf", Sha("p"), "application/pdf", 10, Extractions.None, null);

        var archived = Assert.Single(ArchiveSource.Decide(new ArchiveSource(Location, "s1", pdf, "curator"), state, statement, Now).Events);

        Assert.Equal((Extractions.None, false), (archived.Extraction, archived.QuoteFound));
        Assert.StartsWith("warning: quote not checked", ArchivedSource.Of(archived).Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Archiving_the_same_bytes_again_is_a_no_op_and_other_bytes_for_the_statement_are_refused()
    {
        var (state, statement) = Recorded();
        var first = Assert.Single(ArchiveSource.Decide(new ArchiveSource(Location, "s1", File("Quote of s1."), "curator"), state, statement, Now).Events);
        var after = MatterState.Evolve(state, first);

        var again = ArchiveSource.Decide(new ArchiveSource(Location, "s1", File("Quote of s1."), "curator"), after, statement, Now.AddHours(1));
        var other = ArchiveSource.Decide(new ArchiveSource(new InputLocation("other.html"), "s1", File("Quote of s1.", "b2"), "curator"), after, statement, Now.AddHours(1));

        Assert.Equal((0, true, 0), (again.Events.Count, again.AlreadyPresent, again.Errors.Count));
        Assert.Empty(other.Events);
        var error = Assert.Single(other.Errors);
        Assert.Equal(
            $"other.html: field \"source.archive\": statement \"s1\" already has an archived source (SHA-256 {Sha("a1")}); \"saved.html\" has other bytes (SHA-256 {Sha("b2")})",
            error.ToString());
    }

    [Fact]
    public void An_unknown_statement_is_refused()
    {
        var decision = ArchiveSource.Decide(new ArchiveSource(Location, "nope", File("x"), "curator"), MatterState.Initial(string.Empty), null, Now);

        Assert.Empty(decision.Events);
        Assert.Equal("saved.html: field \"source.archive\": statement \"nope\" is not recorded in the ledger", Assert.Single(decision.Errors).ToString());
    }

    [Fact]
    public void SourceArchived_is_not_a_statement_type_a_document_may_use()
    {
        Assert.DoesNotContain(EventTypes.SourceArchived, EventTypes.StatementTypes);
        Assert.Contains(EventTypes.SourceArchived, EventTypes.All);
    }

    [Fact]
    public void An_import_document_with_a_source_file_appends_its_statement_and_the_archive_and_is_idempotent()
    {
        var ledger = new SpecLedger();
        var document = ImportWithFile("Before. Quote of s1. After.", "a1");
        var decision = ImportDocument.Decide(document, State(ledger, document), Now);

        Assert.Empty(decision.Errors);
        Assert.Equal([typeof(MatterOpened), typeof(PositionStated), typeof(SourceArchived)], decision.Events.Select(e => e.GetType()));
        Assert.True(((SourceArchived)decision.Events[2]).QuoteFound);

        var events = decision.Events.Select((e, i) => new Recorded(i + 1, e)).ToList();
        var state = events.Select(r => r.Event).Aggregate(MatterState.Initial(SpecLedger.Matter), MatterState.Evolve);
        var known = events.Select(r => r.Event).OfType<Statement>().ToDictionary(s => s.StatementId);
        var again = ImportDocument.Decide(document, new ImportState(state, known), Now.AddDays(1));
        var otherBytes = ImportDocument.Decide(ImportWithFile("Quote of s1.", "b2"), new ImportState(state, known), Now.AddDays(1));

        Assert.Equal((0, 0), (again.Events.Count, again.Errors.Count));
        Assert.Equal(["s1"], again.AlreadyPresent);
        Assert.Empty(otherBytes.Events);
        Assert.StartsWith("doc.json: statements[0] (id \"s1\"): field \"source.archive\": statement \"s1\" already has an archived source", Assert.Single(otherBytes.Errors).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Status_and_history_carry_each_statements_archived_source_and_say_whether_the_quote_was_found()
    {
        var ledger = new SpecLedger().Record(Document(Statement("s1", "PositionStated", "2025-05-15", "\"topic\":\"t\",\"position\":\"p\"")), Now.AddDays(-1));
        var timelineBefore = ledger.Timeline();
        var (state, statement) = Recorded();
        var archived = Assert.Single(ArchiveSource.Decide(new ArchiveSource(Location, "s1", File("Quote of s1."), "curator"), state, statement, Now).Events);
        var events = ledger.Events.Append(new Recorded(ledger.Events.Count + 1, archived)).ToList();

        var status = MatterViews.Status(events, Now)!;
        var history = MatterHistory.Build(MatterTimeline.Build(events)!);
        var knownBefore = MatterViews.Status(events, Now, knownAt: Now.AddSeconds(-1))!;

        Assert.Null(MatterViews.Status(timelineBefore, Now).ArchivedSources);
        var source = Assert.Single(status.ArchivedSources!);
        Assert.Equal(("s1", Sha("a1"), true, (int?)0), (source.StatementId, source.Sha256, source.QuoteFound, source.QuoteOffset));
        Assert.Equal($"quote found in the archived source (sha256 {Sha("a1")})", source.Describe());
        Assert.Equal(source, Assert.Single(history).ArchivedSource);
        Assert.Null(knownBefore.ArchivedSources);
    }

    private static ImportDocument ImportWithFile(string text, string sha)
    {
        var errors = new List<InputError>();
        var raw = DisclosureReader.Read("doc.json", Document(Statement("s1", "PositionStated", "2025-05-15", "\"topic\":\"t\",\"position\":\"p\"")), errors);
        var document = ImportDocument.Read(Assert.Single(raw), "spec", errors)!;
        Assert.Empty(errors);
        return document with { ArchivedFiles = [new ArchivedFile(0, "s1", File(text, sha), new byte[] { 1 })] };
    }

    private static ImportState State(SpecLedger ledger, ImportDocument document) =>
        new(ledger.Events.Select(r => r.Event).Aggregate(MatterState.Initial(document.Matter), MatterState.Evolve), new Dictionary<string, Statement>());
}
