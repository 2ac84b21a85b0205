using System.Net;
using System.Text.Json.Nodes;
using Ledger.EndToEnd;
using Xunit;

namespace Ledger.Server.Tests;

/// <summary>Every read endpoint on the sample, answering as the CLI does on the same ledger.</summary>
public sealed class ReadApiTests(SampleServer server) : IClassFixture<SampleServer>
{
    private const string Matter = LedgerServerFactory.Matter;

    public static TheoryData<string, string[]> SameAsCli => new()
    {
        { "/api/matters", ["matters"] },
        { "/api/matters/microsoft/imod-azure", ["status", Matter] },
        { "/api/matters/microsoft/imod-azure?asOf=2025-09-01", ["status", Matter, "--as-of", "2025-09-01"] },
        { "/api/matters/microsoft/imod-azure?asOf=2025-09-25T00:00:00Z", ["status", Matter, "--as-of", "2025-09-25T00:00:00Z"] },
        { "/api/matters/microsoft/imod-azure?knownAt=2100-01-01", ["status", Matter, "--known-at", "2100-01-01"] },
        { "/api/matters/microsoft/imod-azure?asOf=2025-10-01&knownAt=2100-01-01", ["status", Matter, "--as-of", "2025-10-01", "--known-at", "2100-01-01"] },
        { "/api/history/microsoft/imod-azure", ["history", Matter] },
        { "/api/history/microsoft/imod-azure?from=2&to=2025-09-25", ["history", Matter, "--from", "2", "--to", "2025-09-25"] },
        { "/api/diff?from=msft-2025-05-15-findings&to=msft-2025-09-25-findings", ["diff", "msft-2025-05-15-findings", "msft-2025-09-25-findings"] },
        { "/api/promises", ["promises"] },
        { "/api/promises?overdue=true", ["promises", "--overdue"] },
        { "/api/promises?asOf=2025-10-01", ["promises", "--as-of", "2025-10-01"] },
        { "/api/promises?overdue=true&asOf=2025-11-07&knownAt=2100-01-01", ["promises", "--overdue", "--as-of", "2025-11-07", "--known-at", "2100-01-01"] },
        { "/api/organizations", ["organizations"] },
        { "/api/organizations?asOf=2025-10-01", ["organizations", "--as-of", "2025-10-01"] },
    };

    [Theory]
    [MemberData(nameof(SameAsCli))]
    public async Task Reads_answer_what_the_cli_prints_with_json_on_the_same_ledger(string path, string[] cli)
    {
        var api = await GetJsonAsync(path);
        var printed = await LedgerCli.RunAsync(["--store", server.Factory.StoreOption, .. cli, "--json"]);
        Assert.True(printed.ExitCode == 0, printed.ToString());
        var expected = JsonNode.Parse(printed.Stdout);
        Assert.True(JsonNode.DeepEquals(expected, api), $"GET {path} differs from ledger {string.Join(' ', cli)} --json:\n{api}\n---\n{expected}");
    }

    [Fact]
    public async Task The_store_setting_reaches_the_server_which_loads_the_sample_into_that_empty_ledger()
    {
        var matters = (await GetJsonAsync("/api/matters"))["items"]!.AsArray();

        Assert.True(File.Exists(server.Factory.DbPath), "the server did not open the ledger named by Ledger:Store");
        var matter = Assert.Single(matters)!;
        Assert.Equal(Matter, (string?)matter["matter"]);
        Assert.Equal(7, (int)matter["statements"]!);
        Assert.Equal(1, (int)matter["overduePromises"]!);
    }

    [Fact]
    public async Task As_of_and_known_at_change_the_answer()
    {
        var before = await GetJsonAsync("/api/matters/microsoft/imod-azure?asOf=2025-08-15");
        var now = await GetJsonAsync("/api/matters/microsoft/imod-azure");
        var promiseOpen = await GetJsonAsync("/api/promises?asOf=2025-11-06");
        var promiseOverdue = await GetJsonAsync("/api/promises?asOf=2025-11-07");
        using var notYetRecorded = await server.Client.GetAsync("/api/matters/microsoft/imod-azure?knownAt=2020-01-01");

        Assert.Equal(4, (int)before["statements"]!);
        Assert.Equal(7, (int)now["statements"]!);
        Assert.Equal("open", (string?)promiseOpen["items"]![0]!["status"]);
        Assert.Equal("overdue", (string?)promiseOverdue["items"]![0]!["status"]);
        Assert.Equal(HttpStatusCode.NotFound, notYetRecorded.StatusCode);
    }

    [Fact]
    public async Task History_compares_two_revisions()
    {
        var comparison = await GetJsonAsync("/api/history/microsoft/imod-azure?from=0&to=1");

        Assert.Equal(0, (int)comparison["from"]!["revision"]!);
        Assert.Equal(1, (int)comparison["to"]!["revision"]!);
        Assert.NotEmpty(comparison["patch"]!.AsArray());
    }

    [Fact]
    public async Task Events_of_a_stream_and_from_a_global_position_with_filters_and_a_limit()
    {
        var stream = (await GetJsonAsync("/api/streams/microsoft/imod-azure")).AsArray();
        var fromVersion = (await GetJsonAsync("/api/streams/microsoft/imod-azure?fromVersion=3")).AsArray();
        var all = (await GetJsonAsync("/api/events")).AsArray();
        var page = (await GetJsonAsync("/api/events?from=2&limit=3")).AsArray();
        var findings = (await GetJsonAsync("/api/events?type=FindingsDisclosed&matter=microsoft/imod-azure&organization=Microsoft")).AsArray();
        var otherOrganization = (await GetJsonAsync("/api/events?organization=Google")).AsArray();

        Assert.Equal(all.Count, stream.Count);
        Assert.True(stream.Count >= 8, $"expected the matter's opening and its 7 statements, got {stream.Count}");
        Assert.Equal(3, (long)fromVersion[0]!["version"]!);
        Assert.Equal([2L, 3L, 4L], page.Select(e => (long)e!["position"]!));
        Assert.Equal(["msft-2025-05-15-findings", "msft-2025-09-25-findings"], findings.Select(e => (string?)e!["statementId"]));
        Assert.All(findings, e => Assert.Equal("FindingsDisclosed", (string?)e!["type"]));
        Assert.Empty(otherOrganization);
        Assert.Equal("ledger serve (sample)", (string?)stream[1]!["recordedBy"]);
    }

    [Fact]
    public async Task A_full_page_of_events_links_to_the_next_with_the_same_filters_and_following_it_walks_the_whole_matter()
    {
        var positions = new List<long>();
        var path = "/api/events?matter=microsoft/imod-azure&limit=3";
        var pages = 0;
        while (path is not null && pages++ < 10)
        {
            using var response = await server.Client.GetAsync(path);
            response.EnsureSuccessStatusCode();
            positions.AddRange(JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray().Select(e => (long)e!["position"]!));
            var link = response.Headers.TryGetValues("Link", out var values) ? values.Single() : null;
            Assert.True(link is null || link.Contains("matter=microsoft%2Fimod-azure", StringComparison.Ordinal), link);
            path = link?[1..link.IndexOf('>', StringComparison.Ordinal)];
        }

        var all = (await GetJsonAsync("/api/events?matter=microsoft/imod-azure")).AsArray().Select(e => (long)e!["position"]!);
        Assert.Equal(all, positions);
        Assert.Equal(3, pages);
    }

    [Theory]
    [InlineData("/api/matters/acme/nothing", HttpStatusCode.NotFound)]
    [InlineData("/api/history/acme/nothing", HttpStatusCode.NotFound)]
    [InlineData("/api/streams/acme/nothing", HttpStatusCode.NotFound)]
    [InlineData("/api/diff?from=msft-2025-05-15-findings&to=no-such-statement", HttpStatusCode.NotFound)]
    [InlineData("/api/diff?from=msft-2025-05-15-findings", HttpStatusCode.BadRequest)]
    [InlineData("/api/matters/microsoft/imod-azure?asOf=yesterday", HttpStatusCode.BadRequest)]
    [InlineData("/api/promises?knownAt=2025-13-45", HttpStatusCode.BadRequest)]
    [InlineData("/api/history/microsoft/imod-azure?from=banana", HttpStatusCode.BadRequest)]
    [InlineData("/api/history/microsoft/imod-azure?to=banana", HttpStatusCode.BadRequest)]
    [InlineData("/api/events?limit=many", HttpStatusCode.BadRequest)]
    [InlineData("/api/promises?overdue=perhaps", HttpStatusCode.BadRequest)]
    [InlineData("/api/no-such-route", HttpStatusCode.NotFound)]
    [InlineData("/api/history/microsoft/imod-azure?from=0&to=99", HttpStatusCode.BadRequest)]
    [InlineData("/api/events?type=NoSuchType", HttpStatusCode.BadRequest)]
    [InlineData("/api/events?limit=0", HttpStatusCode.BadRequest)]
    public async Task Bad_reads_answer_problem_details(string path, HttpStatusCode status)
    {
        using var response = await server.Client.GetAsync(path);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((int)status, (int)problem["status"]!);
        Assert.False(string.IsNullOrEmpty((string?)problem["title"]));
    }

    [Fact]
    public async Task A_bad_history_point_names_the_parameter()
    {
        using var response = await server.Client.GetAsync("/api/history/microsoft/imod-azure?from=1&to=banana");
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("to", (string?)problem["parameter"]);
        Assert.Contains("banana", (string?)problem["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_openapi_document_lists_the_endpoints()
    {
        var document = await GetJsonAsync("/openapi/v1.json");
        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToList();

        foreach (var expected in new[] { "/api/matters", "/api/matters/{matter}", "/api/history/{matter}", "/api/diff", "/api/promises", "/api/organizations", "/api/streams/{matter}", "/api/events", "/api/statements", "/api/keys" })
        {
            Assert.Contains(expected, paths);
        }

        var post = document["paths"]!["/api/statements"]!["post"]!;
        Assert.Contains(post["security"]!.AsArray(), requirement => requirement!.AsObject().ContainsKey("bearer"));
        Assert.Null(document["paths"]!["/api/matters"]!["get"]!["security"]);
        Assert.NotNull(document["components"]!["securitySchemes"]!["apiKey"]);
    }

    private async Task<JsonNode> GetJsonAsync(string path)
    {
        using var response = await server.Client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }
}
