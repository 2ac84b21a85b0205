using System.Net;
using System.Text;
using Ledger.Store.Sqlite;
using Xunit;

namespace Ledger.Server.Tests;

/// <summary>GET /api/sources/{sha256}: archived bytes as saved, with their media type; never run as this site's page.</summary>
public sealed class SourceApiTests : IDisposable
{
    private readonly LedgerServerFactory factory = new();

    public void Dispose() => factory.Dispose();

    [Fact]
    public async Task An_archived_source_is_served_byte_for_byte_with_its_media_type_in_a_sandbox()
    {
        var client = factory.CreateClient();
        var bytes = Encoding.UTF8.GetBytes("<!DOCTYPE html><p>Saved page</p><script>alert(1)</script>");
        string sha256;
        await using (var archive = await SqliteSourceArchive.OpenAsync(factory.DbPath))
        {
            sha256 = await archive.PutAsync(bytes, "text/html");
        }

        using var response = await client.GetAsync($"/api/sources/{sha256}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
        Assert.StartsWith("sandbox", string.Join(";", response.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Fact]
    public async Task An_unknown_hash_is_404_and_a_malformed_one_400()
    {
        var client = factory.CreateClient();

        using var unknown = await client.GetAsync($"/api/sources/{Hashing.Sha256Hex("never archived")}");
        using var malformed = await client.GetAsync("/api/sources/not-a-hash");
        using var upperCase = await client.GetAsync($"/api/sources/{Hashing.Sha256Hex("x").ToUpperInvariant()}");

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("no archived source has SHA-256", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("64 lower-case hexadecimal digits", await malformed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, upperCase.StatusCode);
    }
}
