using System.Text;
using Xunit;

namespace Ledger.EndToEnd;

public sealed class CsvExportTests : IDisposable
{
    private readonly TempStore store = new();

    public void Dispose() => store.Dispose();

    [Fact]
    public async Task Csv_export_has_a_header_and_one_properly_quoted_row_per_statement()
    {
        await store.ImportSamplesAsync();

        var result = await store.RunAsync("export", "--format", "csv");

        Assert.True(result.ExitCode == 0, result.ToString());
        var rows = ParseCsv(result.Stdout);
        var header = rows[0];
        Assert.Equal("position", header[0]);
        var data = rows.Skip(1).ToList();
        Assert.Equal(7, data.Count);
        Assert.All(data, row => Assert.Equal(header.Count, row.Count));

        var samples = Repo.SampleStatements();
        var id = header.IndexOf("statement_id");
        var quote = header.IndexOf("quote");
        var note = header.IndexOf("source_note");
        Assert.Equal(samples.Select(s => (string?)s!["id"]), data.Select(r => r[id]));
        Assert.Equal(samples.Select(s => (string?)s!["quote"]), data.Select(r => r[quote]));
        Assert.Equal(samples.Select(s => (string?)s!["source"]!["note"] ?? string.Empty), data.Select(r => r[note]));

        // Commas inside a field need quotes, and quotes inside one are doubled.
        Assert.Contains("\"Internal review with an external firm, run by the company itself.\"", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("\"dueBy is a curator's reading of \"\"in the coming weeks\"\": six weeks after the statement.\"", result.Stdout, StringComparison.Ordinal);
    }

    /// <summary>RFC 4180, just enough: quoted fields with doubled quotes, commas and line breaks inside them.</summary>
    private static List<List<string>> ParseCsv(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c != '"')
                {
                    field.Append(c);
                }
                else if (i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else
                {
                    quoted = false;
                }
            }
            else if (c == '"' && field.Length == 0)
            {
                quoted = true;
            }
            else if (c == ',')
            {
                row.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\n')
            {
                row.Add(field.ToString());
                field.Clear();
                rows.Add(row);
                row = [];
            }
            else if (c != '\r')
            {
                field.Append(c);
            }
        }

        Assert.False(quoted, "the CSV ends inside a quoted field");
        if (field.Length > 0 || row.Count > 0)
        {
            row.Add(field.ToString());
            rows.Add(row);
        }

        return rows;
    }
}
