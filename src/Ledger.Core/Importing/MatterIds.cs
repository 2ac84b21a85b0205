namespace Ledger.Importing;

public static partial class MatterIds
{
    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*$")]
    private static partial System.Text.RegularExpressions.Regex Pattern();

    public static bool IsValid(string matter) => matter.Length <= 200 && Pattern().IsMatch(matter);
}
