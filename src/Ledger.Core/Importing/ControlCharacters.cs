using System.Globalization;
using System.Text;

namespace Ledger.Importing;

/// <summary>
/// C0 and C1 control characters (and DEL): a terminal acts on them (ESC clears the screen or sets the title), so the
/// ledger refuses them in input, tab and newline aside, and escapes whatever it prints.
/// </summary>
public static class ControlCharacters
{
    /// <summary>The index of the first control character other than tab and newline; -1 when there is none.</summary>
    public static int IndexOfRefused(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsControl(text[i]) && text[i] is not '\t' and not '\n')
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Why a text is refused, naming its first control character; null when it is acceptable.</summary>
    public static string? Refusal(string text)
    {
        var at = IndexOfRefused(text);
        return at < 0
            ? null
            : $"holds the control character U+{(int)text[at]:X4} at character {at + 1}; text may hold no control characters but tab and newline";
    }

    /// <summary>The text with every control character but newline (and tab, when kept) written as \u001B, so that printing it moves no terminal.</summary>
    public static string Escape(string? text, bool keepNewlines = true)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? string.Empty;
        }

        var first = -1;
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsControl(text[i]) && !(keepNewlines && text[i] is '\t' or '\n'))
            {
                first = i;
                break;
            }
        }

        if (first < 0)
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 8).Append(text, 0, first);
        for (var i = first; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsControl(c) && !(keepNewlines && c is '\t' or '\n'))
            {
                escaped.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else
            {
                escaped.Append(c);
            }
        }

        return escaped.ToString();
    }
}
