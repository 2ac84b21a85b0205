using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;
using Ledger.Messaging.ApiKeys;

namespace Ledger.Server.Tests;

/// <summary>
/// Read-model answers are served again, with an ETag, while the read models stand at the same position on the same
/// day: an append or the next day makes a new answer, so nothing stale is served.
/// </summary>
public sealed class ReadModelAnswerTests : IAsyncLifetime
{
    private readonly MovableClock clock = new(new DateTimeOffset(2025, 11, 6, 12, 0, 0, TimeSpan.Zero));
    private readonly LedgerServerFactory factory;

    public ReadModelAnswerTests() => factory = new LedgerServerFactory { Clock = clock };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await factory.DisposeAsync();

    [Fact]
    public async Task An_answer_is_served_again_until_an_append_or_the_next_day_and_revalidates_with_its_etag()
    {
        using var client = factory.ClientWithKey(await factory.CreateKeyAsync("alice", ApiKeyRoles.Curator));
        await PostAsync(client, LedgerServerFactory.SampleText);

        var (due, dueTag, dueBody) = await GetAsync(client, "/api/promises");
        var (_, againTag, againBody) = await GetAsync(client, "/api/promises");
        using var revalidate = new HttpRequestMessage(HttpMethod.Get, "/api/promises");
        revalidate.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse(dueTag!));
        using var notModified = await client.SendAsync(revalidate);

        clock.Advance(TimeSpan.FromDays(1));
        var (overdue, overdueTag, _) = await GetAsync(client, "/api/promises");

        Assert.Equal("open", (string?)due["items"]![0]!["status"]);
        Assert.NotNull(dueTag);
        Assert.Equal(dueTag, againTag);
        Assert.Equal(dueBody, againBody);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
        Assert.Equal("overdue", (string?)overdue["items"]![0]!["status"]);
        Assert.NotEqual(dueTag, overdueTag);
    }

    [Fact]
    public async Task An_append_makes_new_answers_on_the_api_and_the_board()
    {
        using var client = factory.ClientWithKey(await factory.CreateKeyAsync("alice", ApiKeyRoles.Curator));
        await PostAsync(client, LedgerServerFactory.SampleText);
        var (before, beforeTag, _) = await GetAsync(client, "/api/matters");
        var (_, boardTag, board) = await GetAsync(client, "/", json: false);

        await PostAsync(client, SecondMatter());
        var (after, afterTag, _) = await GetAsync(client, "/api/matters");
        var (_, newBoardTag, newBoard) = await GetAsync(client, "/", json: false);

        Assert.Single(before["items"]!.AsArray());
        Assert.Equal(2, after["items"]!.AsArray().Count);
        Assert.NotEqual(beforeTag, afterTag);
        Assert.DoesNotContain("acme/second", board, StringComparison.Ordinal);
        Assert.Contains("acme/second", newBoard, StringComparison.Ordinal);
        Assert.NotNull(boardTag);
        Assert.NotEqual(boardTag, newBoardTag);
    }

    [Fact]
    public async Task An_answer_served_again_carries_the_headers_it_was_made_with()
    {
        using var client = factory.ClientWithKey(await factory.CreateKeyAsync("alice", ApiKeyRoles.Curator));
        await PostAsync(client, LedgerServerFactory.SampleText);

        using var first = await client.GetAsync("/");
        using var again = await client.GetAsync("/");

        Assert.Equal(first.Headers.ETag, again.Headers.ETag);
        Assert.Equal(first.Headers.GetValues("Content-Security-Policy"), again.Headers.GetValues("Content-Security-Policy"));
        Assert.Equal(first.Content.Headers.ContentType, again.Content.Headers.ContentType);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await again.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Answers_for_another_time_are_made_anew_every_time()
    {
        using var client = factory.ClientWithKey(await factory.CreateKeyAsync("alice", ApiKeyRoles.Curator));
        await PostAsync(client, LedgerServerFactory.SampleText);

        var (_, tag, _) = await GetAsync(client, "/api/matters?asOf=2025-10-01");

        Assert.Null(tag);
    }

    private static string SecondMatter()
    {
        var sample = LedgerServerFactory.Sample();
        var review = sample["statements"]!.AsArray().Single(s => (string?)s!["type"] == "ReviewLaunched")!.DeepClone();
        review["id"] = "acme-2025-08-15-review";
        return new JsonObject
        {
            ["matter"] = "acme/second",
            ["organization"] = "Acme",
            ["title"] = "A second matter",
            ["statements"] = new JsonArray(review),
        }.ToJsonString();
    }

    private static async Task PostAsync(HttpClient client, string document)
    {
        using var response = await client.PostAsync("/api/statements", new StringContent(document, Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<(JsonNode Json, string? Tag, string Body)> GetAsync(HttpClient client, string path, bool json = true)
    {
        using var response = await client.GetAsync(path);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadAsStringAsync();
        return (json ? JsonNode.Parse(body)! : new JsonObject(), response.Headers.ETag?.ToString(), body);
    }

    /// <summary>The system clock shifted by a span a test moves on.</summary>
    private sealed class MovableClock(DateTimeOffset start) : TimeProvider
    {
        private readonly TimeSpan offset = start - System.GetUtcNow();
        private TimeSpan moved;

        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset + moved;

        public void Advance(TimeSpan span) => moved += span;
    }
}
