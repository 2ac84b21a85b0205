namespace Ledger.Bench.Corpus;

/// <summary>One disclosure document as a file would hold it.</summary>
internal sealed record GeneratedDocument(string Name, string Matter, string Json, int Statements);

/// <summary>Generated documents in import order.</summary>
internal sealed record DocumentSet(IReadOnlyList<GeneratedDocument> Documents)
{
    public int Statements => Documents.Sum(d => d.Statements);

    public IReadOnlyList<string> Matters => Documents.Select(d => d.Matter).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>
    /// Rows each document appends, given the matters already open: its statements, plus MatterOpened
    /// for a matter's first document. One document is one transaction.
    /// </summary>
    public IReadOnlyList<int> RowsPerDocument(IEnumerable<string>? alreadyOpen = null)
    {
        var open = new HashSet<string>(alreadyOpen ?? [], StringComparer.Ordinal);
        return Documents.Select(d => d.Statements + (open.Add(d.Matter) ? 1 : 0)).ToList();
    }
}
