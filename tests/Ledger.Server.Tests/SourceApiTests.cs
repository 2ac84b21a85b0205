using System.Net;
using System.Text;
using Ledger.Archiving;
using Ledger.Importing;
using Ledger.Messaging.Sources;
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
    public async Task The_matter_page_says_the_quote_was_found_in_the_archived_source_and_links_to_it()
    {
        using var sample = new LedgerServerFactory(loadSample: true);
        var client = sample.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/matters/microsoft/imod-azure")).StatusCode);
        var bytes = File.ReadAllBytes(Path.Combine(Ledger.Testing.Checkout.Root, "samples", "sources", "msft-2025-09-25-update.html"));
        var (file, error) = SourceFiles.Read("msft-2025-09-25-update.html", bytes);
        Assert.Null(error);
        var backend = new SqliteBackend(sample.DbPath);
        await using (var store = await backend.OpenStoreAsync(CancellationToken.None))
        await using (var archive = await backend.OpenSourceArchiveAsync(CancellationToken.None))
        {
            var outcome = await new ArchiveSourceHandler(store, archive, TimeProvider.System)
                .HandleAsync(new ArchiveSource(new InputLocation(file!.Name), "msft-2025-09-25-findings", file, "curator"), bytes);
            Assert.Empty(outcome.Errors);
        }

        var page = await client.GetStringAsync("/matters/microsoft/imod-azure");
        var status = await client.GetStringAsync("/api/matters/microsoft/imod-azure");

        Assert.Contains($"<a href=\"/api/sources/{file.Sha256}\" rel=\"nofollow\">quote found in the archived source (sha256 {file.Sha256})</a>", page, StringComparison.Ordinal);
        Assert.Contains($"\"sha256\":\"{file.Sha256}\"", status, StringComparison.Ordinal);
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
