using Xunit;

namespace Ledger.EndToEnd;

public sealed class UsageErrorTests : IDisposable
{
    private readonly TempStore store = new();

    public void Dispose() => store.Dispose();

    [Fact]
    public async Task An_unknown_command_exits_1()
    {
        var result = await store.RunAsync("frobnicate");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("frobnicate", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_to_a_folder_that_does_not_exist_exits_1_with_a_message_and_no_stack_trace()
    {
        var result = await store.RunAsync("export", "-o", store.PathOf(Path.Combine("missing", "out.ndjson")));

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("missing", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_without_a_matter_exits_1()
    {
        var result = await store.RunAsync("status");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.NotEmpty(result.Stderr);
    }

    [Fact]
    public async Task As_of_that_is_not_a_date_exits_1_even_for_a_known_matter()
    {
        await store.ImportSamplesAsync();

        var result = await store.RunAsync("status", Repo.Matter, "--as-of", "notadate");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("notadate", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_of_an_unknown_matter_exits_2()
    {
        await store.ImportSamplesAsync();

        var result = await store.RunAsync("status", "no/such-matter");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("no/such-matter", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task History_from_a_version_the_matter_does_not_have_exits_2_without_a_stack_trace()
    {
        await store.ImportSamplesAsync();

        var result = await store.RunAsync("history", Repo.Matter, "--from", "99");

        // A version the user names that does not exist is invalid input (exit 2), reported in one line.
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("99", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", result.Stderr, StringComparison.Ordinal);
    }
}
