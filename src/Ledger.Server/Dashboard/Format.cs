using System.Globalization;
using System.Text;
using Ledger.Importing;

namespace Ledger.Server.Dashboard;

/// <summary>Dates as the CLI prints them: a bare date for midnight UTC, else a UTC timestamp.</summary>
public static class Dates
{
    public static string Short(DateTimeOffset? at) => at is { } value
        ? value.TimeOfDay == TimeSpan.Zero && value.Offset == TimeSpan.Zero
            ? value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : value.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)
        : "–";

    public static string Full(DateTimeOffset at) => Timestamps.Format(at);

    public static string Day(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string Excerpt(string text, int length) => text.Length <= length ? text : string.Concat(text.AsSpan(0, length - 1), "…");
}

/// <summary>Names made safe for CSS classes, fragment anchors and URL paths.</summary>
public static class Ids
{
    /// <summary>FindingsDisclosed → findings-disclosed; anything else than letters and digits becomes a dash.</summary>
    public static string Css(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        foreach (var c in name)
        {
            if (char.IsAsciiLetterUpper(c))
            {
                if (builder.Length > 0 && builder[^1] != '-')
                {
                    builder.Append('-');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(char.IsAsciiLetterOrDigit(c) ? c : '-');
            }
        }

        return builder.ToString();
    }

    public static string Anchor(string id) => string.Concat(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-'));

    /// <summary>A matter id as a path: each segment escaped, the slashes kept (/matters/microsoft/imod-azure).</summary>
    public static string MatterPath(string matter) => "/matters/" + string.Join('/', matter.Split('/').Select(Uri.EscapeDataString));

    public static string OrganizationPath(string organization) => "/organizations/" + string.Join('/', organization.Split('/').Select(Uri.EscapeDataString));

    /// <summary>A catch-all route value as written: the server decodes every escape of the path except %2F.</summary>
    public static string FromPath(string value) => value.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    /// <summary>Only http and https links are made clickable; any other scheme (javascript:, data:) is shown as text.</summary>
    public static bool IsWebLink(string? url) =>
        url is not null && Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}
