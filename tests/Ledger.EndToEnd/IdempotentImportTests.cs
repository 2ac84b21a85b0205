using Xunit;

namespace Ledger.EndToEnd;

public sealed class IdempotentImportTests : IDisposable
{
    private readonly TempStore store = new();

    public void Dispose() => store.Dispose();

    [Fact]
    public async Task Importing_the_samples_again_appends_nothing_and_reports_7_already_present()
    {
        await store.ImportSamplesAsync();
        var before = await store.ExportAsync();

        var again = await store.RunAsync("import", Repo.Samples);
        var json = JsonAssert.Parse(await store.RunAsync("import", Repo.Samples, "--json"));

        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("imported 0 statement(s)", again.Stdout, StringComparison.Ordinal);
        Assert.Contains("7 already present", again.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, (int)json["appended"]!);
        Assert.Equal(7, (int)json["alreadyPresent"]!);
        Assert.Equal(before, await store.ExportAsync());
    }
}
