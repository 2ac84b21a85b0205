using Ledger.Server.Auth;
using Ledger.Storage;

namespace Ledger.Server.Api;

/// <summary>GET /api/sources/{sha256}: the archived copy of a statement's source, as saved, with its media type.</summary>
internal static class SourceEndpoints
{
    public static void Map(RouteGroupBuilder api) =>
        api.MapGet("/sources/{sha256}", Get).WithName("GetArchivedSource")
            .WithSummary("The bytes of an archived source by their SHA-256 (64 lower-case hex digits), with their media type: text/html, application/pdf or text/plain")
            .Produces<byte[]>(StatusCodes.Status200OK, "text/html", "application/pdf", "text/plain")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<IResult> Get(string sha256, ISourceArchive archive, HttpContext context, CancellationToken cancellationToken)
    {
        if (!SourceArchives.IsSha256(sha256))
        {
            return Problems.Result(StatusCodes.Status400BadRequest, "Invalid SHA-256", $"\"{sha256}\" is not a SHA-256: give 64 lower-case hexadecimal digits");
        }

        if (await archive.GetAsync(sha256, cancellationToken) is not { } archived)
        {
            return Problems.Result(StatusCodes.Status404NotFound, "Not found", $"no archived source has SHA-256 {sha256}");
        }

        // The saved page is anyone's markup: served from this origin, it must neither run scripts nor load anything.
        context.Response.Headers.ContentSecurityPolicy = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
        context.Response.Headers.ETag = $"\"{sha256}\"";
        return TypedResults.Bytes(archived.Bytes, archived.MediaType == "text/plain" ? "text/plain; charset=utf-8" : archived.MediaType);
    }
}
