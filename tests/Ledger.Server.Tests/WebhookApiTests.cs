using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Ledger.Server.Auth;
using Xunit;

namespace Ledger.Server.Tests;

/// <summary>/api/webhooks: admin keys only; private targets refused unless allowed; the secret shown once.</summary>
public sealed class WebhookApiTests : IAsyncLifetime
{
    private readonly LedgerServerFactory factory = new(loadSample: true);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await factory.DisposeAsync();

    [Fact]
    public async Task Managing_webhooks_needs_an_admin_key()
    {
        using var anonymous = factory.ClientWithKey(null);
        using var curator = factory.ClientWithKey(await factory.CreateKeyAsync("carol", ApiKeyRoles.Curator));

        using var none = await anonymous.GetAsync("/api/webhooks");
        using var wrongRole = await curator.PostAsJsonAsync("/api/webhooks", new { url = "https://example.org/hook" });

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, wrongRole.StatusCode);
        Assert.Equal("application/problem+json", wrongRole.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_loopback_target_is_refused_with_problem_details_naming_the_url()
    {
        using var admin = factory.ClientWithKey(await factory.CreateKeyAsync("ada", ApiKeyRoles.Admin));

        using var refused = await admin.PostAsJsonAsync("/api/webhooks", new { url = "http://127.0.0.1:8080/hook" });
        var problem = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
        using var list = await admin.GetAsync("/api/webhooks");

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.StartsWith("url: ", (string)problem["detail"]!, StringComparison.Ordinal);
        Assert.Empty(JsonNode.Parse(await list.Content.ReadAsStringAsync())!.AsArray());
    }

    [Fact]
    public async Task An_admin_creates_lists_and_removes_a_subscription_and_the_secret_is_shown_only_at_creation()
    {
        using var allowing = new LedgerServerFactory(loadSample: true, new Dictionary<string, string> { ["Ledger:Webhooks:AllowPrivateTargets"] = "true" });
        using var admin = allowing.ClientWithKey(await allowing.CreateKeyAsync("ada", ApiKeyRoles.Admin));

        using var created = await admin.PostAsJsonAsync("/api/webhooks", new { url = "http://127.0.0.1:9/hook", matters = new[] { "microsoft/imod-azure" } });
        var subscription = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        var id = (string)subscription["id"]!;
        var listed = JsonNode.Parse(await admin.GetStringAsync("/api/webhooks"))!.AsArray().Single()!;
        using var removed = await admin.DeleteAsync($"/api/webhooks/{id}");
        using var again = await admin.DeleteAsync($"/api/webhooks/{id}");
        using var log = await admin.GetAsync($"/api/webhooks/{id}/deliveries");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.StartsWith("whsec_", (string)subscription["secret"]!, StringComparison.Ordinal);
        Assert.Equal(("ada", 8L), ((string)subscription["createdBy"]!, (long)subscription["deliveredThrough"]!));
        Assert.Equal("(hidden)", (string)listed["secret"]!);
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Equal(HttpStatusCode.OK, log.StatusCode);
    }
}
