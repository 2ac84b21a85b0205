using System.Text.RegularExpressions;
using Xunit;

namespace Ledger.EndToEnd;

public sealed partial class DemoTests : IDisposable
{
    private readonly TempStore store = new();

    public void Dispose() => store.Dispose();

    [Fact]
    public async Task Demo_shows_the_matter_its_phase_a_history_line_and_the_overdue_promise()
    {
        var result = await store.RunAsync("demo");

        Assert.True(result.ExitCode == 0, result.ToString());
        // Terminal styling, should any environment force it on, is not what is being tested.
        var text = Ansi().Replace(result.Stdout, string.Empty);
        Assert.Contains(Repo.Matter, text, StringComparison.Ordinal);
        Assert.Matches(@"phase\s+action-taken", text);
        Assert.Contains("azure-surveillance-storage: unassessed -> partially-substantiated", text, StringComparison.Ordinal);
        Assert.Matches(@"OVERDUE\s+lessons-learned", text);
    }

    [Fact]
    public async Task Demo_json_lists_lessons_learned_as_overdue()
    {
        var json = JsonAssert.Parse(await store.RunAsync("demo", "--json"));

        var promises = json["status"]?["promises"]?.AsArray();
        Assert.NotNull(promises);
        var promise = Assert.Single(promises, p => (string?)p?["id"] == "lessons-learned");
        Assert.Equal("overdue", (string?)promise!["status"]);
    }

    [Fact]
    public async Task Demo_without_a_store_leaves_nothing_behind_and_its_hint_runs_this_very_ledger()
    {
        var temp = store.PathOf("tmp");
        Directory.CreateDirectory(temp);

        var result = await LedgerCli.RunAsync(["demo"], null, new Dictionary<string, string> { ["TMPDIR"] = temp });

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp));
        var text = Ansi().Replace(result.Stdout, string.Empty);
        Assert.Contains("into a temporary ledger, removed when the demo ends", text, StringComparison.Ordinal);
        Assert.Contains($"{LedgerCli.Dll} --store sqlite:ledger-demo.db demo", text, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"(^|\s)ledger --store", text);
    }

    [GeneratedRegex(@"\x1B\[[0-9;]*[A-Za-z]")]
    private static partial Regex Ansi();
}
