using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Ledger.EndToEnd;
using Xunit;
using Ledger.Messaging.ApiKeys;

namespace Ledger.Server.Tests;

/// <summary>POST /api/statements, its keys, limits and problem details; each test on its own empty ledger.</summary>
public sealed class WriteApiTests : IAsyncLifetime
{
    private readonly LedgerServerFactory factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await factory.DisposeAsync();

    [Fact]
    public async Task Post_appends_with_201_as_the_key_owner_and_the_same_post_again_appends_nothing()
    {
        using var client = factory.ClientWithKey(await factory.CreateKeyAsync("alice", ApiKeyRoles.Curator));

        using var first = await client.PostAsync("/api/statements", Json(LedgerServerFactory.SampleText));
        var created = await BodyAsync(first);
        using var again = await client.PostAsync("/api/statements", Json(LedgerServerFactory.SampleText));
        var repeated = await BodyAsync(again);
        var events = (await GetAsync(client, "/api/streams/microsoft/imod-azure")).AsArray();

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(7, (int)created["appended"]!);
        Assert.Equal("/api/matters/microsoft/imod-azure", first.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(0, (int)repeated["appended"]!);
        Assert.Equal(7, (int)repeated["alreadyPresent"]!);
        Assert.All(events, e => Assert.Equal("alice", (string?)e!["recordedBy"]));
        Assert.Equal(8, events.Count);
    }

    [Fact]
    public async Task Post_takes_an_array_and_ndjson_too()
    {
        using var client = factory.ClientWithKey(await factory.CreateKeyAsync("alice", ApiKeyRoles.Curator));
        var sample = LedgerServerFactory.Sample();
        var statements = sample["statements"]!.AsArray();
        var firstDocument = sample.DeepClone().AsObject();
        firstDocument["statements"] = new JsonArray(statements[0]!.DeepClone());
        var secondDocument = sample.DeepClone().AsObject();
        secondDocument["statements"] = new JsonArray(statements[1]!.DeepClone());
        var thirdDocument = sample.DeepClone().AsObject();
        thirdDocument["statements"] = new JsonArray(statements[2]!.DeepClone());

        using var array = await client.PostAsync("/api/statements", Json(new JsonArray(firstDocument, secondDocument).ToJsonString()));
        var ndjson = new StringContent(firstDocument.ToJsonString() + "\n" + thirdDocument.ToJsonString() + "\n", Encoding.UTF8, "application/x-ndjson");
        using var lines = await client.PostAsync("/api/statements", ndjson);

        Assert.Equal(HttpStatusCode.Created, array.StatusCode);
        Assert.Equal(2, (int)(await BodyAsync(array))["appended"]!);
        Assert.Equal(HttpStatusCode.Created, lines.StatusCode);
        var body = await BodyAsync(lines);
        Assert.Equal(1, (int)body["appended"]!);
        Assert.Equal(1, (int)body["alreadyPresent"]!);
    }

    [Fact]
    public async Task Invalid_fields_answer_400_naming_statement_and_field_and_nothing_is_appended()
    {
        using var client = factory.ClientWithKey(await factory.CreateKeyAsync("alice", ApiKeyRoles.Curator));
        var sample = LedgerServerFactory.Sample();
        sample["statements"]![2]!["publishedAt"] = "sometime";
        sample["statements"]![4]!.AsObject().Remove("quote");

        using var response = await client.PostAsync("/api/statements", Json(sample.ToJsonString()));
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        var errors = problem["errors"]!.AsArray();

        Assert.Contains(errors, e => (string?)e!["field"] == "publishedAt" && (int?)e["statementIndex"] == 2 && (string?)e["statementId"] == "guardian-2025-08-06-unit-8200");
        Assert.Contains(errors, e => (string?)e!["field"] == "quote" && (string?)e["statementId"] == "msft-2025-09-25-findings");
        Assert.All(errors, e => Assert.Equal(WriteEndpointsFile, (string?)e!["file"]));
        Assert.Equal(0, (int)problem["appended"]!);
        Assert.Empty((await GetAsync(client, "/api/matters"))["items"]!.AsArray());
    }

    [Fact]
    public async Task A_document_refused_by_the_decision_stops_there_and_the_answer_lists_what_was_recorded_before_it()
    {
        using var client = factory.ClientWithKey(await factory.CreateKeyAsync("alice", ApiKeyRoles.Curator));
        var sample = LedgerServerFactory.Sample();
        var withdrawal = sample.DeepClone().AsObject();
        var statement = sample["statements"]![1]!.DeepClone().AsObject();
        statement["id"] = "msft-withdraws-nothing";
        statement["type"] = "StatementWithdrawn";
        statement.Remove("topic");
        statement.Remove("position");
        statement["withdraws"] = "no-such-statement";
        statement["reason"] = "test";
        withdrawal["statements"] = new JsonArray(statement);

        using var response = await client.PostAsync("/api/statements", Json(new JsonArray(sample, withdrawal).ToJsonString()));
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        var error = Assert.Single(problem["errors"]!.AsArray())!;

        Assert.Equal("withdraws", (string?)error["field"]);
        Assert.Equal("msft-withdraws-nothing", (string?)error["statementId"]);
        Assert.Equal(7, (int)problem["appended"]!);
        Assert.Single(problem["documents"]!.AsArray());
        Assert.Equal(7, (int)(await GetAsync(client, "/api/matters"))["items"]![0]!["statements"]!);
    }

    [Fact]
    public async Task Malformed_json_answers_400_and_nothing_is_appended()
    {
        using var client = factory.ClientWithKey(await factory.CreateKeyAsync("alice", ApiKeyRoles.Curator));

        using var response = await client.PostAsync("/api/statements", Json(LedgerServerFactory.SampleText[..^40]));
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);

        Assert.NotEmpty(problem["errors"]!.AsArray());
        Assert.Empty((await GetAsync(client, "/api/matters"))["items"]!.AsArray());
    }

    [Fact]
    public async Task An_unknown_field_answers_400_naming_it()
    {
        using var client = factory.ClientWithKey(await factory.CreateKeyAsync("alice", ApiKeyRoles.Curator));
        var sample = LedgerServerFactory.Sample();
        sample["statements"]![0]!["sayer"] = "Brad";

        using var response = await client.PostAsync("/api/statements", Json(sample.ToJsonString()));
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);

        Assert.Contains(problem["errors"]!.AsArray(), e => ((string?)e!["field"] ?? string.Empty).Contains("sayer", StringComparison.Ordinal)
            || ((string?)e["message"] ?? string.Empty).Contains("sayer", StringComparison.Ordinal));
        Assert.Empty((await GetAsync(client, "/api/matters"))["items"]!.AsArray());
    }

    [Fact]
    public async Task An_oversized_body_answers_413_and_nothing_is_appended()
    {
        await using var small = new LedgerServerFactory(settings: new Dictionary<string, string> { ["Ledger:Api:MaxRequestBytes"] = "1000" });
        using var client = small.ClientWithKey(await small.CreateKeyAsync("alice", ApiKeyRoles.Curator));
        Assert.True(Encoding.UTF8.GetByteCount(LedgerServerFactory.SampleText) > 1000);

        using var response = await client.PostAsync("/api/statements", Json(LedgerServerFactory.SampleText));
        var problem = await ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);

        Assert.Equal(1000, (long)problem["limit"]!);
        Assert.Empty((await GetAsync(client, "/api/matters"))["items"]!.AsArray());
    }

    [Fact]
    public async Task A_conflict_answers_409_and_the_same_post_succeeds_afterwards()
    {
        using var client = factory.ClientWithKey(await factory.CreateKeyAsync("alice", ApiKeyRoles.Curator));
        factory.ConflictOnNextAppend = true;

        using var conflict = await client.PostAsync("/api/statements", Json(LedgerServerFactory.SampleText));
        var problem = await ProblemAsync(conflict, HttpStatusCode.Conflict);
        Assert.Empty((await GetAsync(client, "/api/matters"))["items"]!.AsArray());
        using var retry = await client.PostAsync("/api/statements", Json(LedgerServerFactory.SampleText));

        Assert.Contains("changed while this import ran", (string?)problem["detail"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
    }

    [Fact]
    public async Task Writes_without_a_key_or_with_an_unknown_key_answer_401()
    {
        using var anonymous = factory.CreateClient();
        using var wrong = factory.ClientWithKey(ApiKeyStores.Generate().Secret);
        using var wrongHeader = factory.CreateClient();
        wrongHeader.DefaultRequestHeaders.Add("X-Api-Key", "ledger_not-a-key");

        foreach (var client in new[] { anonymous, wrong, wrongHeader })
        {
            using var response = await client.PostAsync("/api/statements", Json(LedgerServerFactory.SampleText));
            await ProblemAsync(response, HttpStatusCode.Unauthorized);
            Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }

        Assert.Empty((await GetAsync(anonymous, "/api/matters"))["items"]!.AsArray());
    }

    [Fact]
    public async Task Keys_made_with_the_cli_work_in_either_header_until_revoked_then_answer_401()
    {
        var created = JsonNode.Parse((await Cli("keys", "create", "--owner", "bob", "--role", "curator", "--json")).Stdout)!;
        var secret = (string)created["key"]!;
        var id = (string)created["id"]!;
        using var viaHeader = factory.CreateClient();
        viaHeader.DefaultRequestHeaders.Add("X-Api-Key", secret);
        var listed = JsonNode.Parse((await Cli("keys", "list", "--json")).Stdout)!.AsArray();

        using var accepted = await viaHeader.PostAsync("/api/statements", Json(LedgerServerFactory.SampleText));
        await Cli("keys", "revoke", id);
        using var refused = await viaHeader.PostAsync("/api/statements", Json(LedgerServerFactory.SampleText));
        var problem = await ProblemAsync(refused, HttpStatusCode.Unauthorized);
        var afterRevoke = JsonNode.Parse((await Cli("keys", "list", "--json")).Stdout)!.AsArray();

        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        var row = Assert.Single(listed)!;
        Assert.Equal("bob", (string?)row["owner"]);
        Assert.Null(row["key"]);
        Assert.DoesNotContain(secret, await File.ReadAllTextAsync(factory.DbPath, Encoding.Latin1), StringComparison.Ordinal);
        Assert.Contains("revoked", (string?)problem["detail"], StringComparison.Ordinal);
        Assert.NotNull(afterRevoke[0]!["revokedAt"]);
        Assert.Equal(2, (await Cli(["keys", "revoke", id], expectSuccess: false)).ExitCode);
    }

    [Fact]
    public async Task A_curator_may_write_but_not_administer_and_an_admin_may_do_both()
    {
        using var curator = factory.ClientWithKey(await factory.CreateKeyAsync("carol", ApiKeyRoles.Curator));
        using var admin = factory.ClientWithKey(await factory.CreateKeyAsync("root", ApiKeyRoles.Admin));
        using var anonymous = factory.CreateClient();

        using var forbidden = await curator.GetAsync("/api/keys");
        using var allowed = await admin.GetAsync("/api/keys");
        using var unauthenticated = await anonymous.GetAsync("/api/keys");
        using var adminWrites = await admin.PostAsync("/api/statements", Json(LedgerServerFactory.SampleText));

        await ProblemAsync(forbidden, HttpStatusCode.Forbidden);
        await ProblemAsync(unauthenticated, HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(2, (await BodyAsync(allowed)).AsArray().Count);
        Assert.Equal(HttpStatusCode.Created, adminWrites.StatusCode);
    }

    [Fact]
    public async Task Too_many_writes_answer_429_with_retry_after()
    {
        await using var limited = new LedgerServerFactory(settings: new Dictionary<string, string> { ["Ledger:Api:WritesPerMinute"] = "2" });
        using var client = limited.ClientWithKey(await limited.CreateKeyAsync("alice", ApiKeyRoles.Curator));

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? last = null;
        for (var i = 0; i < 3; i++)
        {
            last?.Dispose();
            last = await client.PostAsync("/api/statements", Json(LedgerServerFactory.SampleText));
            statuses.Add(last.StatusCode);
        }

        using (last)
        {
            await ProblemAsync(last!, HttpStatusCode.TooManyRequests);
            Assert.NotNull(last!.Headers.RetryAfter);
        }

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        using var reads = await client.GetAsync("/api/matters");
        Assert.Equal(HttpStatusCode.OK, reads.StatusCode);
    }

    [Fact]
    public async Task Metrics_expose_the_append_counter()
    {
        using var client = factory.ClientWithKey(await factory.CreateKeyAsync("alice", ApiKeyRoles.Curator));
        using var posted = await client.PostAsync("/api/statements", Json(LedgerServerFactory.SampleText));
        Assert.Equal(HttpStatusCode.Created, posted.StatusCode);

        using var metrics = await client.GetAsync("/metrics");
        var text = await metrics.Content.ReadAsStringAsync();
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("ledger_statements_appended", StringComparison.Ordinal) && !l.StartsWith('#'));

        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.True(line is not null, $"no ledger_statements_appended sample in:\n{text}");
        Assert.True(double.Parse(line.Split(' ')[^1].Trim(), System.Globalization.CultureInfo.InvariantCulture) >= 7, line);
    }

    private const string WriteEndpointsFile = "request";

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    private async Task<CliResult> Cli(params string[] args) => await Cli(args, expectSuccess: true);

    private async Task<CliResult> Cli(string[] args, bool expectSuccess)
    {
        var result = await LedgerCli.RunAsync(["--store", factory.StoreOption, .. args]);
        if (expectSuccess)
        {
            Assert.True(result.ExitCode == 0, result.ToString());
        }

        return result;
    }

    private static async Task<JsonNode> BodyAsync(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    private static async Task<JsonNode> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await BodyAsync(response);
    }

    private static async Task<JsonNode> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!;
        Assert.Equal((int)status, (int)problem["status"]!);
        Assert.False(string.IsNullOrEmpty((string?)problem["title"]));
        return problem;
    }
}
