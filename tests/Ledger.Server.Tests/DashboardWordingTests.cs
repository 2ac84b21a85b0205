using System.Net;
using System.Text.RegularExpressions;
using Xunit;

namespace Ledger.Server.Tests;

/// <summary>What a person reads on the dashboard: web words on web pages, counts in good English, times that say what they show.</summary>
public sealed partial class DashboardWordingTests(SampleServer server) : IClassFixture<SampleServer>
{
    [Fact]
    public async Task The_not_found_page_gives_no_command_line_hint()
    {
        using var response = await server.Client.GetAsync("/matters/nobody/nothing");
        var page = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("no matter &quot;nobody/nothing&quot; in the ledger", page, StringComparison.Ordinal);
        Assert.DoesNotContain("ledger matters", page, StringComparison.Ordinal);
        Assert.DoesNotContain("see:", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_board_counts_one_matter_and_one_open_promise_in_the_singular()
    {
        var page = await server.Client.GetStringAsync("/");

        Assert.Contains("1 matter · 1 open promise · 1 overdue", page, StringComparison.Ordinal);
        Assert.DoesNotContain("1 matters", page, StringComparison.Ordinal);
        Assert.DoesNotContain("1 open promises", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_empty_time_boxes_show_no_date_that_could_pass_for_an_applied_one()
    {
        var page = await server.Client.GetStringAsync("/");

        var placeholders = Placeholder().Matches(page).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["now", "now"], placeholders);
        Assert.Contains("as of now (", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Known_at_a_time_before_anything_was_recorded_says_what_the_ledger_held_then()
    {
        var page = await server.Client.GetStringAsync("/?known-at=2020-01-01");

        Assert.Contains("as the ledger held it at 2020-01-01 23:59 UTC", page, StringComparison.Ordinal);
        Assert.Contains("The ledger held no published matter at 2020-01-01 23:59 UTC.", page, StringComparison.Ordinal);
        Assert.DoesNotContain("as of now", page, StringComparison.Ordinal);
        Assert.DoesNotContain("ledger import", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task As_of_a_time_before_the_first_statement_leaves_the_matter_out_and_says_why()
    {
        var board = await server.Client.GetStringAsync("/?as-of=2020-01-01");
        using var matter = await server.Client.GetAsync("/matters/microsoft/imod-azure?as-of=2020-01-01");

        Assert.Contains("0 matters", board, StringComparison.Ordinal);
        Assert.Contains("No matter had a statement published by 2020-01-01 23:59 UTC.", board, StringComparison.Ordinal);
        Assert.DoesNotContain("data-matter=\"microsoft/imod-azure\"", board, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, matter.StatusCode);
        Assert.Contains("did not exist yet", await matter.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_name_the_service_ledger()
    {
        var text = await server.Client.GetStringAsync("/metrics");

        Assert.Contains("service_name=\"ledger\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("unknown_service", text, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"<input name=""(?:as-of|known-at)"" value="""" placeholder=""([^""]*)""")]
    private static partial Regex Placeholder();
}
