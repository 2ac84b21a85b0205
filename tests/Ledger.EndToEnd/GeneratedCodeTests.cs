using Xunit;

namespace Ledger.EndToEnd;

/// <summary>The worker loads Wolverine's handler code pre-generated; the checked-in code must match what the handlers need now.</summary>
public sealed class GeneratedCodeTests : IDisposable
{
    private readonly TempStore store = new();

    public void Dispose() => store.Dispose();

    [Fact]
    public async Task The_checked_in_handler_code_is_what_codegen_writes_today()
    {
        var project = store.PathOf("project");
        Directory.CreateDirectory(project);
        var result = await store.RunAsync("codegen", "--project", project);
        Assert.True(result.ExitCode == 0, result.ToString());

        var written = Folder(Path.Combine(project, "Internal", "Generated"));
        var checkedIn = Folder(Path.Combine(Repo.Root, "src", "Ledger.Messaging", "Internal", "Generated"));
        Assert.Contains("WolverineHandlers/DeliverWebhooksHandler", string.Join('\n', written.Keys), StringComparison.Ordinal);
        Assert.True(written.Keys.SequenceEqual(checkedIn.Keys), $"files differ; run: ledger --store sqlite:<tmp>.db codegen --project src/Ledger.Messaging\nwritten: {string.Join(", ", written.Keys)}\nchecked in: {string.Join(", ", checkedIn.Keys)}");
        foreach (var (file, text) in written)
        {
            Assert.True(text == checkedIn[file], $"{file} is stale; run: ledger --store sqlite:<tmp>.db codegen --project src/Ledger.Messaging");
        }
    }

    private static SortedDictionary<string, string> Folder(string root) =>
        new(Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f).Replace('\\', '/'), f => File.ReadAllText(f).ReplaceLineEndings("\n")), StringComparer.Ordinal);
}
