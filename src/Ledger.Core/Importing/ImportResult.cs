namespace Ledger.Importing;

public sealed record DocumentOutcome(InputLocation Location, string Matter, int Appended, IReadOnlyList<string> AlreadyPresent);

/// <summary>
/// Documents lists those appended (or already present), in order. Errors, Conflict or Failure (the store itself
/// failed) say why the import stopped: the documents before were appended, the failing one and those after were not.
/// </summary>
public sealed record ImportResult(IReadOnlyList<DocumentOutcome> Documents, IReadOnlyList<InputError> Errors, string? Conflict = null, string? Failure = null)
{
    public int Appended => Documents.Sum(d => d.Appended);

    public int AlreadyPresent => Documents.Sum(d => d.AlreadyPresent.Count);
}
