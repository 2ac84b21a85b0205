using System.Text.Json;
using Ledger.Archiving;
using Ledger.Events;

namespace Ledger.Importing;

/// <summary>Record the statements of one disclosure document about one matter. All or nothing.</summary>
public sealed partial record ImportDocument(
    InputLocation Location,
    string Matter,
    string? Organization,
    string? Title,
    IReadOnlyList<Statement> Statements,
    string RecordedBy)
{
    /// <summary>The source files its statements name (<c>source.archive</c>), read by the caller: each is archived with the document.</summary>
    public IReadOnlyList<ArchivedFile> ArchivedFiles { get; init; } = [];

    /// <summary>The ids the decision needs to look up: the document's own and those it references.</summary>
    public IEnumerable<string> ReferencedIds() =>
        Statements.Select(s => s.StatementId)
            .Concat(Statements.OfType<StatementWithdrawn>().Select(w => w.Withdraws))
            .Concat(Statements.OfType<EntryCorrected>().Select(c => c.Corrects))
            .Distinct(StringComparer.Ordinal);

    /// <summary>Validates a document's shape and fields. Every problem is reported; null when there is any.</summary>
    public static ImportDocument? Read(RawDocument raw, string recordedBy, List<InputError> errors)
    {
        var before = errors.Count;
        void Report(string field, string message) => errors.Add(new InputError(raw.Location, field, message));

        if (raw.Json.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new InputError(raw.Location, null, "a disclosure document must be a JSON object with matter and statements"));
            return null;
        }

        var f = new JsonFields(raw.Json, string.Empty, Report);
        var matter = f.Text("matter", required: true);
        if (matter is not null && !MatterIds.IsValid(matter))
        {
            f.Error("matter", $"\"{matter}\" is not a valid matter id (lower-case words of a-z, 0-9, '.', '_' or '-', separated by '/', e.g. microsoft/imod-azure)");
            matter = null;
        }

        var organization = f.Text("organization");
        var title = f.Text("title");
        var statements = new List<Statement>();
        if (f.Raw("statements", required: true) is { } array)
        {
            if (array.ValueKind != JsonValueKind.Array || array.GetArrayLength() == 0)
            {
                f.Error("statements", "must be a non-empty array of statements");
            }
            else
            {
                var index = 0;
                foreach (var item in array.EnumerateArray())
                {
                    var id = item.ValueKind == JsonValueKind.Object && item.TryGetProperty("id", out var idValue) && idValue.ValueKind == JsonValueKind.String
                        ? idValue.GetString()
                        : null;
                    var location = raw.Location.ForStatement(index, id);
                    var statement = StatementParser.Parse(item, matter ?? string.Empty, (field, message) => errors.Add(new InputError(location, field, message)));
                    if (statement is not null)
                    {
                        statements.Add(statement);
                    }

                    index++;
                }
            }
        }

        f.RefuseUnknown();
        return errors.Count == before && matter is not null
            ? new ImportDocument(raw.Location, matter, organization, title, statements, recordedBy)
            : null;
    }

    /// <summary>
    /// Validates documents lazily, yielding them in input order until the first invalid one. The rest are still
    /// validated so that every error is reported, but none of them is yielded. <paramref name="adapt"/> may complete a
    /// document with outside facts (e.g. archive hashes), reporting into the list it gets.
    /// </summary>
    public static IEnumerable<ImportDocument> ReadValid(IReadOnlyList<RawDocument> raws, string recordedBy, List<InputError> errors,
        Func<ImportDocument, List<InputError>, ImportDocument>? adapt = null)
    {
        var valid = true;
        foreach (var raw in raws)
        {
            var own = new List<InputError>();
            var document = Read(raw, recordedBy, own);
            if (document is not null && adapt is not null)
            {
                document = adapt(document, own);
            }

            lock (errors)
            {
                errors.AddRange(own);
            }

            valid = valid && own.Count == 0 && document is not null;
            if (valid)
            {
                yield return document!;
            }
        }
    }
}
