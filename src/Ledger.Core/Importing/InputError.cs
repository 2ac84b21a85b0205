namespace Ledger.Importing;

/// <summary>Where in the input a problem is: the file, the document within it, the statement and the field.</summary>
public sealed record InputLocation(string File, string? Document = null, int? StatementIndex = null, string? StatementId = null)
{
    public InputLocation ForStatement(int index, string? id) => this with { StatementIndex = index, StatementId = id };

    public override string ToString()
    {
        var text = File;
        if (Document is not null)
        {
            text += $": {Document}";
        }

        if (StatementIndex is { } index)
        {
            text += $": statements[{index}]" + (StatementId is null ? string.Empty : $" (id \"{StatementId}\")");
        }

        return text;
    }
}

/// <summary>A precise complaint about the input. Nothing of a document with any error is appended.</summary>
public sealed record InputError(InputLocation Location, string? Field, string Message)
{
    public override string ToString() => $"{Location}{(Field is null ? string.Empty : $": field \"{Field}\"")}: {Message}";
}
