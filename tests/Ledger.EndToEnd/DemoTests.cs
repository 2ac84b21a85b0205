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

    [GeneratedRegex(@"\x1B\[[0-9;]*[A-Za-z]")]
    private static partial Regex Ansi();
}
