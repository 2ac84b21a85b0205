using System.Numerics;
using System.Text;

namespace Ledger.Diffing;

// Compares JSON number texts by exact decimal value, so 1, 1.0 and 10e-1 are equal at any magnitude.
internal static class JsonNumber
{
    public static bool ValueEquals(string a, string b) =>
        string.Equals(a, b, StringComparison.Ordinal)
        || (TryCanonicalize(a, out var ca) && TryCanonicalize(b, out var cb) && string.Equals(ca, cb, StringComparison.Ordinal));

    // Canonical form "[-]digits e exponent" with no leading or trailing zeros in digits; zero is "0".
    internal static bool TryCanonicalize(string text, out string canonical)
    {
        canonical = "";
        var i = 0;
        var negative = i < text.Length && text[i] == '-';
        if (negative)
        {
            i++;
        }

        var digits = new StringBuilder();
        var intStart = i;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            digits.Append(text[i++]);
        }

        if (i == intStart)
        {
            return false;
        }

        var fractionDigits = 0;
        if (i < text.Length && text[i] == '.')
        {
            i++;
            var fracStart = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                digits.Append(text[i++]);
            }

            fractionDigits = i - fracStart;
            if (fractionDigits == 0)
            {
                return false;
            }
        }

        var exponent = BigInteger.Zero;
        if (i < text.Length && (text[i] == 'e' || text[i] == 'E'))
        {
            i++;
            var expNegative = false;
            if (i < text.Length && (text[i] == '+' || text[i] == '-'))
            {
                expNegative = text[i] == '-';
                i++;
            }

            var expStart = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            if (i == expStart)
            {
                return false;
            }

            exponent = BigInteger.Parse(text.AsSpan(expStart, i - expStart), provider: System.Globalization.CultureInfo.InvariantCulture);
            if (expNegative)
            {
                exponent = -exponent;
            }
        }

        if (i != text.Length)
        {
            return false;
        }

        var s = digits.ToString().TrimStart('0');
        exponent -= fractionDigits;
        var trimmed = s.TrimEnd('0');
        exponent += s.Length - trimmed.Length;
        canonical = trimmed.Length == 0
            ? "0"
            : $"{(negative ? "-" : "")}{trimmed}e{exponent.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        return true;
    }
}
