using System.Security.Claims;
using Ledger.Importing;
using Ledger.Server.Auth;
using Ledger.Server.Telemetry;
using Ledger.Storage;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Ledger.Messaging.ApiKeys;

namespace Ledger.Server.Api;

/// <summary>What POST /api/statements appended: the same fields as `ledger import --json`.</summary>
public sealed record ImportResponse(int Appended, int AlreadyPresent, IReadOnlyList<DocumentResponse> Documents);

public sealed record DocumentResponse(string Location, string Matter, int Appended, IReadOnlyList<string> AlreadyPresent);

/// <summary>One complaint about the input, with where it is: the document, the statement (index and id) and the field.</summary>
public sealed record InputErrorResponse(string File, string? Document, int? StatementIndex, string? StatementId, string? Field, string Message, string Text)
{
    public static InputErrorResponse From(InputError e) =>
        new(e.Location.File, e.Location.Document, e.Location.StatementIndex, e.Location.StatementId, e.Field, e.Message, e.ToString());
}

/// <summary>
/// POST /api/statements: disclosure documents as the CLI takes them (one document, an array of them, or NDJSON), recorded
/// through the same import pipeline as the CLI, each document all-or-nothing; recordedBy is the API key's owner.
/// </summary>
internal static class WriteEndpoints
{
    public const string WritesPolicy = "writes";
    public const string BodyName = "request";

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/keys", ListKeys).WithName("ListApiKeys").WithSummary("The API keys (never the keys themselves); admin only")
            .Produces<IReadOnlyList<ApiKey>>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(LedgerPolicies.Admin);
        api.MapPost("/statements", PostStatements).WithName("RecordStatements")
            .WithSummary("Record disclosure documents (a JSON document, an array of them, or NDJSON); each document is all-or-nothing")
            .Accepts<System.Text.Json.JsonElement>("application/json", "application/x-ndjson")
            .Produces<ImportResponse>(StatusCodes.Status201Created)
            .Produces<ImportResponse>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .RequireAuthorization(LedgerPolicies.Curator)
            .RequireRateLimiting(WritesPolicy);
    }

    private static async Task<IResult> ListKeys(IApiKeyStore keys, CancellationToken cancellationToken) =>
        ReadEndpoints.Json(await keys.ListAsync(cancellationToken));

    private static async Task<IResult> PostStatements(HttpContext context, ClaimsPrincipal user, IEventStore store, TimeProvider clock, IOptions<ApiSettings> settings,
        CancellationToken cancellationToken)
    {
        var limit = settings.Value.MaxRequestBytes;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }

        var body = await ReadBodyAsync(context.Request, limit, cancellationToken);
        if (body is null)
        {
            LedgerMetrics.ImportsRefused.Add(1);
            return Problems.Result(StatusCodes.Status413PayloadTooLarge, "Request body too large", $"the request body is larger than {limit} bytes; split the documents over several requests",
                new Dictionary<string, object?> { ["limit"] = limit });
        }

        var errors = new List<InputError>();
        var raws = DisclosureReader.Read(BodyName, body, errors);
        var documents = errors.Count == 0 ? ImportDocument.ReadValid(raws, user.Identity?.Name ?? "api", errors, RefuseArchiveFiles).ToList() : [];
        if (errors.Count > 0 || documents.Count == 0)
        {
            LedgerMetrics.ImportsRefused.Add(1);
            return Invalid(errors.Count > 0 ? errors : [new InputError(new InputLocation(BodyName), null, "the request holds no document")], null);
        }

        var result = await new ImportPipeline(store, clock).HandleAsync(documents, cancellationToken: cancellationToken);
        if (result.Appended > 0)
        {
            LedgerMetrics.StatementsAppended.Add(result.Appended);
        }

        if (result.Errors.Count > 0)
        {
            LedgerMetrics.ImportsRefused.Add(1);
            return Invalid(result.Errors, result);
        }

        if (result.Conflict is not null)
        {
            LedgerMetrics.ImportsRefused.Add(1);
            return Problems.Result(StatusCodes.Status409Conflict, "Conflict", $"{result.Conflict}; send the same request again: it is idempotent", Partial(result));
        }

        if (result.Failure is not null)
        {
            LedgerMetrics.ImportsRefused.Add(1);
            return Problems.Result(StatusCodes.Status503ServiceUnavailable, "The store failed", $"{result.Failure}; send the same request again once the store is back: it is idempotent", Partial(result));
        }

        var response = Response(result);
        if (result.Appended == 0)
        {
            return TypedResults.Json(response, Serialization.LedgerJson.OutputLine);
        }

        context.Response.Headers.Location = $"/api/matters/{result.Documents.First(d => d.Appended > 0).Matter}";
        return TypedResults.Json(response, Serialization.LedgerJson.OutputLine, statusCode: StatusCodes.Status201Created);
    }

    private static ImportResponse Response(ImportResult result) =>
        new(result.Appended, result.AlreadyPresent, result.Documents.Select(d => new DocumentResponse(d.Location.ToString(), d.Matter, d.Appended, d.AlreadyPresent)).ToList());

    private static Dictionary<string, object?> Partial(ImportResult result) => new()
    {
        ["appended"] = result.Appended,
        ["documents"] = Response(result).Documents,
    };

    private static IResult Invalid(IEnumerable<InputError> errors, ImportResult? partial)
    {
        var list = errors.Select(InputErrorResponse.From).ToList();
        var extensions = partial is null ? new Dictionary<string, object?> { ["appended"] = 0 } : Partial(partial);
        extensions["errors"] = list;
        var detail = partial is { Documents.Count: > 0 }
            ? $"{list.Count} error(s); the {partial.Documents.Count} document(s) before the first invalid one were recorded ({partial.Appended} statement(s)), nothing from it or after it"
            : $"{list.Count} error(s); nothing was appended";
        return Problems.Result(StatusCodes.Status400BadRequest, "Invalid disclosure documents", detail, extensions);
    }

    /// <summary>Archived source files cannot travel with a request: their hash must be given instead.</summary>
    private static ImportDocument RefuseArchiveFiles(ImportDocument document, List<InputError> errors)
    {
        for (var i = 0; i < document.Statements.Count; i++)
        {
            var statement = document.Statements[i];
            if (statement.Source.Archive is { } archive && statement.Source.ArchiveSha256 is null)
            {
                errors.Add(new InputError(document.Location.ForStatement(i, statement.StatementId), "source.archive",
                    $"the archived source file \"{archive}\" cannot be sent through the API; give its archiveSha256"));
            }
        }

        return document;
    }

    /// <summary>The body, or null when it is larger than <paramref name="limit"/>.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }

        return buffer.ToArray();
    }
}
