using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;
using Ledger.Messaging.ApiKeys;

namespace Ledger.Server.Tests;

/// <summary>
/// The OpenAPI document against the server: every operation answers only the status codes it documents, with a
/// documented content type, and every documented code is seen here (the few that only other backends give are named).
/// </summary>
public sealed class OpenApiContractTests : IAsyncLifetime
{
    /// <summary>Documented, and given only by backends that keep no Merkle log.</summary>
    private static readonly HashSet<string> OnlyOnOtherBackends = ["GET /api/log 404", "GET /api/log/checkpoints 404", "GET /api/log/proofs/consistency 404"];

    private readonly LedgerServerFactory factory = new(loadSample: true, new Dictionary<string, string>
    {
        ["Ledger:Webhooks:AllowPrivateTargets"] = "true",
        ["Ledger:Api:WritesPerMinute"] = "2",
        ["Ledger:Api:MaxRequestBytes"] = "100000",
        ["Ledger:Feeds:PageSize"] = "3",
        ["Ledger:Log:CheckpointSeconds"] = "0.2",
    });

    private readonly LedgerServerFactory keyless = new(settings: new Dictionary<string, string> { ["Ledger:Log:CreateKey"] = "false" });
    private readonly Dictionary<string, Dictionary<int, string?>> seen = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await factory.DisposeAsync();
        await keyless.DisposeAsync();
    }

    [Fact]
    public async Task Every_operation_answers_exactly_the_status_codes_and_content_types_it_documents()
    {
        var document = JsonNode.Parse(await factory.CreateClient().GetStringAsync("/openapi/v1.json"))!;
        await ExerciseAsync();

        var documented = new Dictionary<string, JsonObject>();
        foreach (var (path, operations) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in operations!.AsObject())
            {
                documented[$"{method.ToUpperInvariant()} {path}"] = operation!["responses"]!.AsObject();
            }
        }

        var problems = new List<string>();
        problems.AddRange(documented.Keys.Except(seen.Keys).Select(o => $"{o}: documented, never called here"));
        problems.AddRange(seen.Keys.Except(documented.Keys).Select(o => $"{o}: called, not documented"));
        foreach (var (operation, responses) in documented.Where(d => seen.ContainsKey(d.Key)))
        {
            foreach (var (status, mediaType) in seen[operation])
            {
                var code = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (responses[code] is not { } response)
                {
                    problems.Add($"{operation}: answered {code}, which is not documented");
                    continue;
                }

                var types = response["content"]?.AsObject().Select(c => c.Key).ToList() ?? [];
                if (mediaType is null ? types.Count > 0 : !types.Contains(mediaType))
                {
                    problems.Add($"{operation}: answered {code} with {mediaType ?? "no body"}, documented {string.Join(", ", types.DefaultIfEmpty("no body"))}");
                }
            }

            problems.AddRange(responses.Select(r => r.Key)
                .Where(code => !seen[operation].ContainsKey(int.Parse(code, System.Globalization.CultureInfo.InvariantCulture)) && !OnlyOnOtherBackends.Contains($"{operation} {code}"))
                .Select(code => $"{operation}: documents {code}, never answered it here"));
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private async Task ExerciseAsync()
    {
        var admin = await factory.CreateKeyAsync("ada", ApiKeyRoles.Admin);
        var curator = await factory.CreateKeyAsync("carol", ApiKeyRoles.Curator);
        const string Matter = "/{matter}";

        await CallAsync("GET /api/stream", "/api/stream");
        await CallAsync("GET /api/stream", "/api/stream?from=abc");
        foreach (var list in new[] { "matters", "promises", "organizations", "events" })
        {
            await CallAsync($"GET /api/{list}", $"/api/{list}");
            await CallAsync($"GET /api/{list}", $"/api/{list}?limit=0");
        }

        foreach (var (route, bad) in new[] { ("matters", "asOf=yesterday"), ("history", "from=banana"), ("streams", "fromVersion=abc") })
        {
            await CallAsync($"GET /api/{route}{Matter}", $"/api/{route}/microsoft/imod-azure");
            await CallAsync($"GET /api/{route}{Matter}", $"/api/{route}/microsoft/imod-azure?{bad}");
            await CallAsync($"GET /api/{route}{Matter}", $"/api/{route}/acme/nothing");
        }

        await CallAsync("GET /api/diff", "/api/diff?from=msft-2025-05-15-findings&to=msft-2025-09-25-findings");
        await CallAsync("GET /api/diff", "/api/diff?from=msft-2025-05-15-findings");
        await CallAsync("GET /api/diff", "/api/diff?from=msft-2025-05-15-findings&to=no-such-statement");
        foreach (var key in new[] { admin, curator, null })
        {
            await CallAsync("GET /api/keys", "/api/keys", key);
        }

        await StatementsAsync();
        await SourcesAsync();
        await LogAsync();
        await WebhooksAsync(admin, curator);
        await FeedsAsync();
        foreach (var page in new[] { "/", "/matters/microsoft/imod-azure", "/organizations/Microsoft" })
        {
            var operation = page == "/" ? "GET /" : page.StartsWith("/matters", StringComparison.Ordinal) ? "GET /matters/{matter}" : "GET /organizations/{name}";
            await CallAsync(operation, page);
            await CallAsync(operation, page + "?as-of=banana");
        }

        await CallAsync("GET /matters/{matter}", "/matters/acme/nothing");
        await CallAsync("GET /organizations/{name}", "/organizations/Nobody");
    }

    private async Task SourcesAsync()
    {
        const string Operation = "GET /api/sources/{sha256}";
        string sha256;
        await using (var archive = await Ledger.Store.Sqlite.SqliteSourceArchive.OpenAsync(factory.DbPath))
        {
            sha256 = await archive.PutAsync(Encoding.UTF8.GetBytes("<p>Saved.</p>"), "text/html");
        }

        await CallAsync(Operation, $"/api/sources/{sha256}");
        await CallAsync(Operation, $"/api/sources/{Hashing.Sha256Hex("never archived")}");
        await CallAsync(Operation, "/api/sources/not-a-hash");
    }

    private async Task StatementsAsync()
    {
        const string Operation = "POST /api/statements";
        static string Document(string matter) =>
            $$"""{"matter":"acme/{{matter}}","organization":"Acme","title":"Contract","statements":[{"id":"contract-{{matter}}","type":"PositionStated","publishedAt":"2025-03-01","topic":"t","position":"p","speaker":{"name":"Acme"},"source":{"url":"https://example.org/c"},"quote":"Q."}]}""";
        var fresh = Document("fresh");
        var repeated = await factory.CreateKeyAsync("rita", ApiKeyRoles.Curator);
        await CallAsync(Operation, "/api/statements", repeated, HttpMethod.Post, fresh);
        await CallAsync(Operation, "/api/statements", repeated, HttpMethod.Post, fresh);
        await CallAsync(Operation, "/api/statements", repeated, HttpMethod.Post, fresh);
        await CallAsync(Operation, "/api/statements", await factory.CreateKeyAsync("ivan", ApiKeyRoles.Curator), HttpMethod.Post, "{\"matter\":");
        await CallAsync(Operation, "/api/statements", null, HttpMethod.Post, fresh);
        await CallAsync(Operation, "/api/statements", await factory.CreateKeyAsync("bea", ApiKeyRoles.Curator), HttpMethod.Post, new string(' ', 200_000));
        factory.ConflictOnNextAppend = true;
        await CallAsync(Operation, "/api/statements", await factory.CreateKeyAsync("cid", ApiKeyRoles.Curator), HttpMethod.Post, Document("conflict"));
        factory.FailOnNextAppend = true;
        await CallAsync(Operation, "/api/statements", await factory.CreateKeyAsync("dan", ApiKeyRoles.Curator), HttpMethod.Post, Document("failure"));
    }

    private async Task LogAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        using var client = factory.CreateClient();
        while ((await client.GetAsync("/api/log/checkpoint")).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(DateTime.UtcNow < deadline, "no checkpoint was signed");
            await Task.Delay(100);
        }

        var size = (long)JsonNode.Parse(await client.GetStringAsync("/api/log/checkpoints"))!.AsArray()[0]!["treeSize"]!;
        foreach (var path in new[] { "/api/log", "/api/log/key", "/api/log/checkpoint", "/api/log/checkpoints" })
        {
            await CallAsync($"GET {path}", path);
        }

        await CallAsync("GET /api/log/key", "/api/log/key", server: keyless);
        await CallAsync("GET /api/log/checkpoint", "/api/log/checkpoint", server: keyless);
        await CallAsync("GET /api/log/checkpoints/{size}", $"/api/log/checkpoints/{size}");
        await CallAsync("GET /api/log/checkpoints/{size}", "/api/log/checkpoints/999999");
        await CallAsync("GET /api/log/proofs/inclusion", "/api/log/proofs/inclusion?statement=msft-2025-05-15-findings");
        await CallAsync("GET /api/log/proofs/inclusion", "/api/log/proofs/inclusion");
        await CallAsync("GET /api/log/proofs/inclusion", "/api/log/proofs/inclusion?statement=no-such-statement");
        await CallAsync("GET /api/log/proofs/consistency", "/api/log/proofs/consistency?from=1");
        await CallAsync("GET /api/log/proofs/consistency", "/api/log/proofs/consistency");
        await CallAsync("GET /api/log/proofs/consistency", "/api/log/proofs/consistency?from=1&to=999999");
    }

    private async Task WebhooksAsync(string admin, string curator)
    {
        var id = (string)JsonNode.Parse(await CallAsync("POST /api/webhooks", "/api/webhooks", admin, HttpMethod.Post, """{"url":"http://127.0.0.1:9/hook"}"""))!["id"]!;
        await CallAsync("POST /api/webhooks", "/api/webhooks", admin, HttpMethod.Post, """{"url":""}""");
        foreach (var key in new[] { admin, curator, null })
        {
            await CallAsync("GET /api/webhooks", "/api/webhooks", key);
            await CallAsync("GET /api/webhooks/{id}/deliveries", $"/api/webhooks/{id}/deliveries", key);
            if (key != admin)
            {
                await CallAsync("POST /api/webhooks", "/api/webhooks", key, HttpMethod.Post, """{"url":"http://127.0.0.1:9/hook"}""");
                await CallAsync("DELETE /api/webhooks/{id}", $"/api/webhooks/{id}", key, HttpMethod.Delete);
            }
        }

        await CallAsync("GET /api/webhooks/{id}/deliveries", $"/api/webhooks/{id}/deliveries?limit=abc", admin);
        await CallAsync("GET /api/webhooks/{id}/deliveries", "/api/webhooks/wh_nothing/deliveries", admin);
        await CallAsync("DELETE /api/webhooks/{id}", $"/api/webhooks/{id}", admin, HttpMethod.Delete);
        await CallAsync("DELETE /api/webhooks/{id}", $"/api/webhooks/{id}", admin, HttpMethod.Delete);
    }

    private async Task FeedsAsync()
    {
        foreach (var (template, path) in new[] { ("all", "all"), ("organizations/{organization}", "organizations/Microsoft"), ("matters/{matter}", "matters/microsoft/imod-azure") })
        {
            await CallAsync($"GET /feeds/{template}", $"/feeds/{path}");
            await CallAsync($"GET /feeds/archive/{{page}}/{template}", $"/feeds/archive/1/{path}");
            await CallAsync($"GET /feeds/archive/{{page}}/{template}", $"/feeds/archive/99/{path}");
        }
    }

    /// <summary>Calls the server and notes the status and media type under the operation; returns the body.</summary>
    private async Task<string> CallAsync(string operation, string path, string? key = null, HttpMethod? method = null, string? body = null, LedgerServerFactory? server = null)
    {
        using var client = (server ?? factory).ClientWithKey(key);
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        var text = mediaType == "text/event-stream" ? string.Empty : await response.Content.ReadAsStringAsync();
        var statuses = seen.TryGetValue(operation, out var known) ? known : seen[operation] = [];
        statuses[(int)response.StatusCode] = mediaType is null && text.Length == 0 ? null : mediaType;
        return text;
    }
}
