using Xunit;

namespace Ledger.EndToEnd;

/// <summary>Before its first publication a matter did not exist: status says so, lists leave it out.</summary>
public sealed class BeforeFirstStatementTests : IDisposable
{
    private readonly TempStore store = new();

    public void Dispose() => store.Dispose();

    [Fact]
    public async Task Status_as_of_a_date_before_the_first_statement_says_the_matter_did_not_exist_and_exits_2()
    {
        await store.ImportSamplesAsync();

        var result = await store.RunAsync("status", Repo.Matter, "--as-of", "2020-01-01");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"matter \"{Repo.Matter}\" did not exist yet as of 2020-01-01", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("its first statement was published 2025-05-15", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task Lists_and_replay_as_of_a_date_before_the_first_statement_leave_the_matter_out()
    {
        await store.ImportSamplesAsync();

        var matters = JsonAssert.Parse(await store.RunAsync("matters", "--as-of", "2020-01-01", "--json"));
        var promises = JsonAssert.Parse(await store.RunAsync("promises", "--as-of", "2020-01-01", "--json"));
        var organizations = JsonAssert.Parse(await store.RunAsync("organizations", "--as-of", "2020-01-01", "--json"));
        var replay = JsonAssert.Parse(await store.RunAsync("replay", "--as-of", "2020-01-01", "--json"));
        var inMay = JsonAssert.Parse(await store.RunAsync("matters", "--as-of", "2025-05-15", "--json"));

        Assert.Empty(matters["items"]!.AsArray());
        Assert.Empty(promises["items"]!.AsArray());
        Assert.Empty(organizations["items"]!.AsArray());
        Assert.Empty(replay["matters"]!.AsArray());
        Assert.Equal(Repo.Matter, (string?)Assert.Single(inMay["items"]!.AsArray())!["matter"]);
    }

    [Fact]
    public async Task An_empty_list_prints_a_none_line_instead_of_an_empty_table()
    {
        await store.ImportSamplesAsync();

        var matters = await store.RunAsync("matters", "--as-of", "2020-01-01");
        var withdrawn = await store.RunAsync("promises", "--status", "withdrawn");
        var replay = await store.RunAsync("replay", "--as-of", "2020-01-01");

        Assert.True(matters.ExitCode == 0, matters.ToString());
        Assert.Equal("no matters", matters.Stdout.Trim());
        Assert.Equal("no promises", withdrawn.Stdout.Trim());
        Assert.Equal("0 matters replayed as of 2020-01-01 (end of day, UTC)", replay.Stdout.Trim());
    }

    [Fact]
    public async Task Times_print_for_people_not_as_round_trip_timestamps()
    {
        await store.ImportSamplesAsync();

        var status = await store.RunAsync("status", Repo.Matter, "--as-of", "2025-09-01");
        var exact = await store.RunAsync("status", Repo.Matter, "--as-of", "2025-09-01T14:30:00+02:00");

        Assert.Matches(@"as of\s+2025-09-01 \(end of day, UTC\)", status.Stdout);
        Assert.Matches(@"as of\s+2025-09-01 12:30 UTC", exact.Stdout);
        Assert.DoesNotContain("9999999", status.Stdout, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"\d{2}:\d{2}:\d{2}\.\d+Z", status.Stdout + exact.Stdout);
    }
}
