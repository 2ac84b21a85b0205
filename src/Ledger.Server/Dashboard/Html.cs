using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;

namespace Ledger.Server.Dashboard;

/// <summary>
/// A fragment of markup that is safe to send. The only ways to make one are <see cref="Of"/>, whose interpolation
/// handler HTML-encodes every interpolated value that is not itself Html, and <see cref="Trusted"/> for constant markup.
/// </summary>
public readonly record struct Html
{
    private Html(string value) => Value = value;

    public string Value { get; }

    public static Html Empty { get; } = new(string.Empty);

    /// <summary>Markup from an interpolated string: literals are kept, every value is encoded unless it is Html.</summary>
    public static Html Of([InterpolatedStringHandlerArgument] ref HtmlHandler handler) => new(handler.ToStringAndClear());

    /// <summary>Constant markup written in this assembly; never pass data here.</summary>
    public static Html Trusted(string constant) => new(constant);

    /// <summary>Text, encoded.</summary>
    public static Html Text(string? text) => new(Encode(text));

    public static Html Join(IEnumerable<Html> parts) => new(string.Concat(parts.Select(p => p.Value)));

    public static Html When(bool condition, Html html) => condition ? html : Empty;

    /// <summary>Encodes &lt;, &gt;, &amp;, quotes and other markup-significant characters; letters of every script stay as they are.</summary>
    public static string Encode(string? text) => string.IsNullOrEmpty(text) ? string.Empty : Encoder.Encode(text);

    internal static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    public override string ToString() => Value;
}

/// <summary>Builds <see cref="Html"/>: literal parts raw, holes encoded (numbers and dates formatted in the invariant culture).</summary>
[InterpolatedStringHandler]
public ref struct HtmlHandler
{
    private readonly StringBuilder builder;

    public HtmlHandler(int literalLength, int formattedCount) => builder = new StringBuilder(literalLength + (formattedCount * 16));

    public readonly void AppendLiteral(string literal) => builder.Append(literal);

    public readonly void AppendFormatted(Html html) => builder.Append(html.Value);

    public readonly void AppendFormatted(string? text) => builder.Append(Html.Encode(text));

    public readonly void AppendFormatted<T>(T value) => AppendFormatted(value, null);

    public readonly void AppendFormatted<T>(T value, string? format)
    {
        var text = value switch
        {
            null => string.Empty,
            Html html => html.Value,
            IFormattable formattable => Html.Encode(formattable.ToString(format, CultureInfo.InvariantCulture)),
            _ => Html.Encode(value.ToString()),
        };
        builder.Append(text);
    }

    internal readonly string ToStringAndClear()
    {
        var text = builder.ToString();
        builder.Clear();
        return text;
    }
}
