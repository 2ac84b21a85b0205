using System.Text;

namespace Ledger.Diffing;

public static class JsonPointer
{
    public static string Escape(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
    }

    public static IReadOnlyList<string> Parse(string pointer)
    {
        ArgumentNullException.ThrowIfNull(pointer);
        return TryParse(pointer, out var tokens, out var error)
            ? Array.AsReadOnly(tokens)
            : throw new JsonPatchException(error);
    }

    internal static bool TryParse(string pointer, out string[] tokens, out string error)
    {
        tokens = [];
        error = "";
        if (pointer.Length == 0)
        {
            return true;
        }

        if (pointer[0] != '/')
        {
            error = $"invalid JSON pointer \"{pointer}\": must be empty or start with \"/\"";
            return false;
        }

        var result = new List<string>();
        var token = new StringBuilder();
        for (var i = 1; i <= pointer.Length; i++)
        {
            if (i == pointer.Length || pointer[i] == '/')
            {
                result.Add(token.ToString());
                token.Clear();
                continue;
            }

            var c = pointer[i];
            if (c != '~')
            {
                token.Append(c);
                continue;
            }

            var next = i + 1 < pointer.Length ? pointer[i + 1] : '\0';
            if (next is not ('0' or '1'))
            {
                error = $"invalid JSON pointer \"{pointer}\": \"~\" at offset {i} must be followed by \"0\" or \"1\"";
                return false;
            }

            token.Append(next == '0' ? '~' : '/');
            i++;
        }

        tokens = [.. result];
        return true;
    }

    internal static string Append(string pointer, string token) => pointer + "/" + Escape(token);

    internal static string Append(string pointer, int index) => pointer + "/" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
