using System.Text;

namespace Ledger.Archiving;

/// <summary>
/// Finds a statement's quote in the text of its archived source. Both sides are compared after the same folding: runs of
/// whitespace become one space, typographic quotes, apostrophes and dashes become their ASCII forms, an ellipsis becomes
/// three dots, and invisible characters (zero-width spaces, soft hyphens) are dropped. Case and wording must match.
/// </summary>
public static class QuoteMatcher
{
    /// <summary>Where the quote starts in <paramref name="text"/> (a UTF-16 offset), or null when it is not there.</summary>
    public static int? Find(string text, string quote)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(quote);
        var (needle, _) = Fold(quote);
        needle = needle.Trim(' ');
        if (needle.Length == 0)
        {
            return null;
        }

        var (haystack, offsets) = Fold(text);
        var index = haystack.IndexOf(needle, StringComparison.Ordinal);
        return index < 0 ? null : offsets[index];
    }

    /// <summary>The folded text, and for each of its characters the offset of the character it came from.</summary>
    public static (string Folded, int[] Offsets) Fold(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var folded = new StringBuilder(text.Length);
        var offsets = new List<int>(text.Length);
        void Add(string s, int offset)
        {
            folded.Append(s);
            for (var i = 0; i < s.Length; i++)
            {
                offsets.Add(offset);
            }
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                if (folded.Length > 0 && folded[^1] != ' ')
                {
                    Add(" ", i);
                }

                continue;
            }

            switch (c)
            {
                case '\u200B' or '\u200C' or '\u200D' or '\u2060' or '\uFEFF' or '\u00AD':
                    break;
                case '\u2018' or '\u2019' or '\u201A' or '\u201B' or '\u2032' or '\u02BC' or '`' or '\u00B4':
                    Add("'", i);
                    break;
                case '\u201C' or '\u201D' or '\u201E' or '\u201F' or '\u2033' or '\u00AB' or '\u00BB':
                    Add("\"", i);
                    break;
                case '\u2010' or '\u2011' or '\u2012' or '\u2013' or '\u2014' or '\u2015' or '\u2212':
                    Add("-", i);
                    break;
                case '\u2026':
                    Add("...", i);
                    break;
                default:
                    Add(c.ToString(), i);
                    break;
            }
        }

        return (folded.ToString(), offsets.ToArray());
    }
}
