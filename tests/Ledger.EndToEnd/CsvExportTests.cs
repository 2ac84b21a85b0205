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

    [Fact]
    public async Task The_statements_view_carries_each_types_own_columns_promise_due_date_findings_and_action()
    {
        await store.ImportSamplesAsync();

        var rows = ParseCsv((await store.RunAsync("export", "--format", "csv", "--view", "statements")).Stdout);

        var header = rows[0];
        string Cell(string id, string column) => rows.Single(r => r[header.IndexOf("statement_id")] == id)[header.IndexOf(column)];
        Assert.Equal("lessons-learned", Cell("msft-2025-09-25-more-information", "promise_id"));
        Assert.Equal("2025-11-06", Cell("msft-2025-09-25-more-information", "due_by"));
        Assert.Equal("in the coming weeks", Cell("msft-2025-09-25-more-information", "due_text"));
        Assert.Equal("azure-surveillance-storage: partially-substantiated", Cell("msft-2025-09-25-findings", "findings"));
        Assert.Equal("terminated", Cell("msft-2025-09-25-termination", "action"));
        Assert.Equal("azure-surveillance-storage", Cell("guardian-2025-08-06-unit-8200", "allegation_id"));
        Assert.Equal(string.Empty, Cell("msft-2025-09-25-termination", "due_by"));
    }

    [Fact]
    public async Task The_promises_view_has_one_row_per_promise_with_status_due_date_and_days_overdue()
    {
        await store.ImportSamplesAsync();

        var result = await store.RunAsync("export", "--format", "csv", "--view", "promises");

        Assert.True(result.ExitCode == 0, result.ToString());
        var rows = ParseCsv(result.Stdout);
        Assert.Equal(["matter", "organization", "promise_id", "what", "due_by", "due_text", "status", "days_overdue", "promised_at", "delivered_at", "delivery_summary", "statement_id"], rows[0]);
        var row = Assert.Single(rows.Skip(1));
        Assert.Equal([Repo.Matter, "Microsoft", "lessons-learned"], row.Take(3));
        Assert.Equal(("2025-11-06", "overdue"), (row[4], row[6]));
        Assert.True(int.Parse(row[7], System.Globalization.CultureInfo.InvariantCulture) > 0, row[7]);
    }

    [Fact]
    public async Task The_allegations_view_has_one_row_per_allegation_with_its_assessment_and_finding()
    {
        await store.ImportSamplesAsync();

        var rows = ParseCsv((await store.RunAsync("export", "--format", "csv", "--view", "allegations")).Stdout);

        Assert.Equal(["matter", "organization", "allegation_id", "summary", "reported_by", "reported_at", "assessment", "assessed_at", "stage", "finding"], rows[0]);
        Assert.Equal(
            ["azure-ai-targeting-gaza:no-evidence", "azure-surveillance-storage:partially-substantiated"],
            rows.Skip(1).Select(r => $"{r[2]}:{r[6]}").Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_view_without_csv_is_a_usage_error()
    {
        var result = await store.RunAsync("export", "--view", "promises");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("--view goes with --format csv", result.Stderr, StringComparison.Ordinal);
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
