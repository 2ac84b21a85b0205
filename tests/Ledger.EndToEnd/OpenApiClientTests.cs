using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Ledger.EndToEnd.Generated;
using Xunit;

namespace Ledger.EndToEnd;

/// <summary>
/// The API through a client that NSwag generates at build time from the committed OpenAPI document (OpenApi/v1.json),
/// against the real server; the committed document must be the one the server serves.
/// </summary>
public sealed class OpenApiClientTests : IDisposable
{
    private static readonly string Committed = Path.Combine(Repo.Root, "tests", "Ledger.EndToEnd", "OpenApi", "v1.json");
    private readonly TempStore store = new();

    public void Dispose() => store.Dispose();

    [Fact]
    public async Task The_committed_openapi_document_is_the_one_the_server_serves()
    {
        await using var server = await LedgerServerProcess.StartAsync(store);

        var served = JsonNode.Parse(await server.Http.GetStringAsync("openapi/v1.json"))!.AsObject();
        // The servers entry is the address the document was asked at.
        served.Remove("servers");
        var committed = JsonNode.Parse(await File.ReadAllTextAsync(Committed));

        if (!JsonNode.DeepEquals(committed, served))
        {
            // Outside the test's store, which is deleted when the test ends; unescaped like the committed copy, so that
            // replacing it shows only what changed.
            var copy = Path.Combine(Path.GetTempPath(), $"ledger-openapi-v1-{Guid.NewGuid():N}.json");
            var format = new System.Text.Json.JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
            await File.WriteAllTextAsync(copy, served.ToJsonString(format) + "\n");
            Assert.Fail($"the API changed: replace tests/Ledger.EndToEnd/OpenApi/v1.json with {copy} (the served document without its servers entry) and rebuild");
        }
    }

    [Fact]
    public async Task A_generated_client_reads_a_matter_whose_id_holds_a_slash_on_every_matter_route()
    {
        await using var server = await LedgerServerProcess.StartAsync(store, sample: true);
        var client = new LedgerApiClient(server.Http);

        var status = await client.GetMatterStatusAsync(Repo.Matter, null, null);
        var events = await client.GetMatterEventsAsync(Repo.Matter, null);
        var history = await client.GetMatterHistoryAsync(Repo.Matter, null, null, null);
        var missing = await Assert.ThrowsAsync<ApiException<ProblemDetails>>(() => client.GetMatterStatusAsync("acme/nothing", null, null));

        Assert.Equal(7, status.Statements);
        Assert.Equal(8, events.Count);
        Assert.All(events, e => Assert.Equal(Repo.Matter, e.Stream));
        // Seven statements and the overdue notice of the promise in the last of them, each entry with its statement.
        Assert.Equal(Repo.Matter, history.Matter);
        Assert.Equal(8, history.Entries.Count);
        Assert.Equal(("msft-2025-05-15-findings", 1), (history.Entries.First().StatementId, history.Entries.First().Revision));
        Assert.Equal(status.Statements, history.Entries.Last().Revision);
        Assert.Equal(404, missing.StatusCode);
        // The feeds and the dashboard page take the encoded form too; the client sends it as it sends the API's.
        foreach (var path in new[] { "feeds/matters/microsoft%2Fimod-azure", "feeds/archive/1/matters/microsoft%2Fimod-azure", "matters/microsoft%2Fimod-azure" })
        {
            using var response = await server.Http.GetAsync(path);
            Assert.True(response.StatusCode == (path.Contains("archive", StringComparison.Ordinal) ? HttpStatusCode.NotFound : HttpStatusCode.OK), $"{path}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task A_generated_client_creates_and_removes_a_webhook_with_the_documented_201_and_204()
    {
        await using var server = await LedgerServerProcess.StartAsync(store, environment: new Dictionary<string, string> { ["Ledger__Webhooks__AllowPrivateTargets"] = "true" });
        var key = await store.RunAsync("keys", "create", "--owner", "ada", "--role", "admin", "--json");
        Assert.True(key.ExitCode == 0, key.ToString());
        using var http = new HttpClient { BaseAddress = server.Address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (string)JsonNode.Parse(key.Stdout)!["key"]!);
        var client = new LedgerApiClient(http);

        var created = await client.CreateWebhookAsync(new NewWebhook { Url = "http://127.0.0.1:9/hook" });
        await client.RemoveWebhookAsync(created.Id);
        var again = await Assert.ThrowsAsync<ApiException<ProblemDetails>>(() => client.RemoveWebhookAsync(created.Id));

        Assert.StartsWith("whsec_", created.Secret, StringComparison.Ordinal);
        Assert.Equal(404, again.StatusCode);
    }
}
