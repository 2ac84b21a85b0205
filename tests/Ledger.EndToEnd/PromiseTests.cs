using System.Text.Json.Nodes;
using Xunit;

namespace Ledger.EndToEnd;

public sealed class PromiseTests : IDisposable
{
    private readonly TempStore store = new();

    public void Dispose() => store.Dispose();

    [Fact]
    public async Task Overdue_promises_include_lessons_learned_with_days_overdue_and_as_of_before_its_due_date_it_is_open()
    {
        await store.ImportSamplesAsync();

        var overdue = LessonsLearned(JsonAssert.Parse(await store.RunAsync("promises", "--overdue", "--json")));
        var earlier = LessonsLearned(JsonAssert.Parse(await store.RunAsync("promises", "--as-of", "2025-10-01", "--json")));

        Assert.Equal("overdue", (string?)overdue["status"]);
        Assert.Equal(Repo.Matter, (string?)overdue["matter"]);
        var expectedDays = DateOnly.FromDateTime(DateTime.UtcNow).DayNumber - new DateOnly(2025, 11, 6).DayNumber;
        Assert.InRange((int)overdue["daysOverdue"]!, Math.Max(1, expectedDays - 1), expectedDays + 1);
        Assert.Equal("open", (string?)earlier["status"]);
        Assert.Null(earlier["daysOverdue"]);
    }

    private static JsonNode LessonsLearned(JsonNode promises) =>
        Assert.Single(promises["items"]!.AsArray(), p => (string?)p?["id"] == "lessons-learned")!;
}
