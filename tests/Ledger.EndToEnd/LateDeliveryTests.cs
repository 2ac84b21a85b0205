using System.Text.RegularExpressions;
using Xunit;

namespace Ledger.EndToEnd;

/// <summary>A promise delivered after its due date reads "delivered late (N d)" wherever it shows, not plain "delivered".</summary>
public sealed partial class LateDeliveryTests : IDisposable
{
    private readonly TempStore store = new();

    public void Dispose() => store.Dispose();

    // Due 2025-11-06; delivered on 2025-11-20: 14 days late.
    private async Task DeliverLateAsync()
    {
        await store.ImportSamplesAsync();
        var file = store.PathOf("delivered.json");
        await File.WriteAllTextAsync(file, $$"""
            {"matter":"{{Repo.Matter}}","statements":[{"id":"e2e-lessons-delivered","type":"DisclosureDelivered","publishedAt":"2025-11-20",
              "source":{"url":"https://example.org/lessons"},"quote":"Here is what we learned.","promise":"lessons-learned","summary":"the lessons learned"}]}
            """);
        var result = await store.RunAsync("import", file);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public async Task Promises_and_status_show_a_late_delivery_with_its_days_overdue()
    {
        await DeliverLateAsync();

        var promises = await store.RunAsync("promises");
        var json = JsonAssert.Parse(await store.RunAsync("promises", "--json"));
        var status = await store.RunAsync("status", Repo.Matter);
        var organizations = JsonAssert.Parse(await store.RunAsync("organizations", "--json"));

        Assert.Contains("days overdue", promises.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"lessons-learned\s+│\s+delivered late \(14 d\)\s+│\s+2025-11-06\s+│\s+14\s+│", promises.Stdout);
        var promise = Assert.Single(json["items"]!.AsArray())!;
        Assert.Equal("delivered", (string?)promise["status"]);
        Assert.Equal(14, (int)promise["daysOverdue"]!);
        Assert.Contains("delivered late (14 d)", status.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, (int)organizations["items"]![0]!["deliveredLate"]!);
    }

    [Fact]
    public async Task The_board_and_the_matter_page_show_the_late_delivery()
    {
        await DeliverLateAsync();
        await using var server = await LedgerServerProcess.StartAsync(store);

        var board = await server.Http.GetStringAsync("/");
        var matter = await server.Http.GetStringAsync("/matters/" + Repo.Matter);

        Assert.Contains("1 delivered late", board, StringComparison.Ordinal);
        Assert.DoesNotMatch(@">\d+ delivered<", board);
        Assert.Matches(DeliveredLateBadge(), matter);
    }

    [GeneratedRegex(@"<tr data-promise=""lessons-learned""[^>]*>\s*<td><span class=""badge status-delivered-late""[^>]*>delivered late \(14 d\)</span>")]
    private static partial Regex DeliveredLateBadge();
}
