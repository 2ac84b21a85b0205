using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Ledger.Messaging.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Ledger.Messaging.ApiKeys;

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

    [Theory]
    [InlineData("http://[64:ff9b::a9fe:a9fe]/hook")]
    [InlineData("http://[64:ff9b:1::a9fe:a9fe]/hook")]
    [InlineData("http://[64:ff9b:1:a9fe:a9:fe00::]/hook")]
    [InlineData("http://[::a9fe:a9fe]/hook")]
    [InlineData("http://[::ffff:169.254.169.254]/hook")]
    [InlineData("http://[2002:a9fe:a9fe::]/hook")]
    [InlineData("http://[2002:c0a8:101::1]/hook")]
    [InlineData("http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/hook")]
    public async Task An_ipv6_target_embedding_a_refused_ipv4_address_is_refused(string url)
    {
        using var admin = factory.ClientWithKey(await factory.CreateKeyAsync("ada", ApiKeyRoles.Admin));

        using var refused = await admin.PostAsJsonAsync("/api/webhooks", new { url });
        var problem = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("private, loopback or link-local", (string)problem["detail"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_name_that_resolves_inward_after_registration_is_refused_at_delivery_without_connecting()
    {
        // The name resolves to a public address when registered, then to NAT64 of 127.0.0.1 when delivering.
        var resolver = new TurningResolver("hooks.example", IPAddress.Parse("203.0.113.7"), IPAddress.Parse("64:ff9b::7f00:1"));
        await using var turning = new LedgerServerFactory(loadSample: true, services: services => services.AddSingleton<WebhookResolver>(resolver));
        using var admin = turning.ClientWithKey(await turning.CreateKeyAsync("ada", ApiKeyRoles.Admin));

        using var created = await admin.PostAsJsonAsync("/api/webhooks", new { url = "http://hooks.example:8080/hook", fromStart = true });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (string)JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        JsonArray attempts;
        while ((attempts = JsonNode.Parse(await admin.GetStringAsync($"/api/webhooks/{id}/deliveries"))!.AsArray()).Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "no delivery was attempted");
            await Task.Delay(50);
        }

        var attempt = attempts[0]!;
        Assert.Null(attempt["statusCode"]);
        Assert.Contains("hooks.example resolves only to private, loopback or link-local addresses", (string)attempt["error"]!, StringComparison.Ordinal);
        Assert.True(resolver.Asked >= 2, "the name was not resolved again at delivery");
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

    /// <summary>Answers the first question about its name with one address and every later one with another.</summary>
    private sealed class TurningResolver(string name, IPAddress first, IPAddress later) : WebhookResolver
    {
        private int asked;

        public int Asked => Volatile.Read(ref asked);

        public override Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
            host == name ? Task.FromResult<IPAddress[]>([Interlocked.Increment(ref asked) == 1 ? first : later]) : base.ResolveAsync(host, cancellationToken);
    }
}
