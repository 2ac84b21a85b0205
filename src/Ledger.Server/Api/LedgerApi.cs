using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Ledger.Querying;
using Ledger.Server.Auth;
using Ledger.Server.Hosting;
using Ledger.Server.Telemetry;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.OpenApi;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Ledger.Server.Api;

/// <summary>
/// The JSON API under /api (public reads, curator writes), API-key authentication with the "curator" and "admin" policies,
/// the write rate limit, problem details for every error, the OpenAPI document at /openapi/v1.json and metrics at /metrics.
/// </summary>
public static class LedgerApi
{
    public static IHostApplicationBuilder AddLedgerApi(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ApiSettings>().BindConfiguration(ApiSettings.Section);
        services.TryAddSingleton<LedgerQueries>();
        services.AddProblemDetails();
        services.AddExceptionHandler<LedgerExceptionHandler>();
        services.AddLedgerAuth();
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.AddPolicy(WriteEndpoints.WritesPolicy, context =>
            {
                var settings = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<ApiSettings>>().Value;
                var partition = context.User.FindFirstValue(ApiKeyAuthenticationHandler.KeyIdClaim) ?? context.Connection.RemoteIpAddress?.ToString() ?? "anonymous";
                return RateLimitPartition.GetFixedWindowLimiter(partition, _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = Math.Max(1, settings.WritesPerMinute),
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                });
            });
            options.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromMinutes(1);
                context.HttpContext.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                await Problems.WriteAsync(context.HttpContext, StatusCodes.Status429TooManyRequests, "Too many requests",
                    $"this API key made too many writes; try again in {Math.Ceiling(retryAfter.TotalSeconds)} s");
            };
        });
        services.AddOpenApi(options => ApiDocument.Describe(options));
        services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("ledger")).WithMetrics(metrics => metrics.AddMeter(LedgerMetrics.MeterName).AddPrometheusExporter());
        return builder;
    }

    public static WebApplication MapLedgerApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseMiddleware<ReadModelAnswers>();

        var api = app.MapGroup("/api").WithTags("ledger");
        ReadEndpoints.Map(api);
        WriteEndpoints.Map(api);
        LogEndpoints.Map(api);
        SourceEndpoints.Map(api);
        app.MapOpenApi();
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}

/// <summary>The OpenAPI document: the key schemes (bearer and X-Api-Key), required on the endpoints that need a key.</summary>
internal static class ApiDocument
{
    public static void Describe(Microsoft.AspNetCore.OpenApi.OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Ledger API";
            document.Info.Description = "An event-sourced ledger of corporate public disclosures. Reads are public; writes need a curator key, administration an admin key (ledger keys create).";
            document.Components ??= new Microsoft.OpenApi.OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, Microsoft.OpenApi.IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["bearer"] = new Microsoft.OpenApi.OpenApiSecurityScheme
            {
                Type = Microsoft.OpenApi.SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key: Authorization: Bearer <key>",
            };
            document.Components.SecuritySchemes["apiKey"] = new Microsoft.OpenApi.OpenApiSecurityScheme
            {
                Type = Microsoft.OpenApi.SecuritySchemeType.ApiKey,
                In = Microsoft.OpenApi.ParameterLocation.Header,
                Name = ApiKeyAuthenticationHandler.HeaderName,
                Description = "An API key in the X-Api-Key header",
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            if (context.Description.ActionDescriptor.EndpointMetadata.OfType<Microsoft.AspNetCore.Authorization.IAuthorizeData>().Any())
            {
                operation.Security ??= [];
                operation.Security.Add(new Microsoft.OpenApi.OpenApiSecurityRequirement { [new Microsoft.OpenApi.OpenApiSecuritySchemeReference("bearer", context.Document)] = [] });
                operation.Security.Add(new Microsoft.OpenApi.OpenApiSecurityRequirement { [new Microsoft.OpenApi.OpenApiSecuritySchemeReference("apiKey", context.Document)] = [] });
            }

            return Task.CompletedTask;
        });
        options.AddOperationTransformer(DescribeAlternativeBodiesAsync);
    }

    /// <summary>
    /// Writes the bodies an operation declares for one status code and content type as a oneOf. ASP.NET Core 10 keeps
    /// only the last Produces of a status code and content type, so a route answering in two shapes (history without and
    /// with from/to) would document one. Alternatives must be told apart by their required properties, and come in the
    /// order declared: a generated client that reads a oneOf as one type takes the first.
    /// </summary>
    private static async Task DescribeAlternativeBodiesAsync(OpenApiOperation operation, Microsoft.AspNetCore.OpenApi.OpenApiOperationTransformerContext context,
        CancellationToken cancellationToken)
    {
        var declared = context.Description.ActionDescriptor.EndpointMetadata.OfType<Microsoft.AspNetCore.Http.Metadata.IProducesResponseTypeMetadata>()
            .Where(p => p.Type is not null && p.Type != typeof(void))
            .SelectMany(p => p.ContentTypes.Select(contentType => (p.StatusCode, ContentType: contentType, Type: p.Type!)))
            .GroupBy(p => (p.StatusCode, p.ContentType), p => p.Type);
        foreach (var group in declared)
        {
            var types = group.Distinct().ToList();
            var status = group.Key.StatusCode.ToString(CultureInfo.InvariantCulture);
            if (types.Count < 2 || operation.Responses is null || !operation.Responses.TryGetValue(status, out var response)
                || response.Content is null || !response.Content.TryGetValue(group.Key.ContentType, out var media))
            {
                continue;
            }

            var alternatives = new List<IOpenApiSchema>();
            foreach (var type in types)
            {
                alternatives.Add(Componentize(context.Document!, await context.GetOrCreateSchemaAsync(type, null, cancellationToken)));
            }

            media.Schema = new OpenApiSchema { OneOf = alternatives };
        }
    }

    /// <summary>
    /// A schema made in a transformer has its named types inline; this moves each into the components (once) and refers
    /// to it, as the generator does with the schemas it makes, so that a client gets one class per type. The generator
    /// marks a named type's schema with its component name (x-schema-id).
    /// </summary>
    private static IOpenApiSchema Componentize(OpenApiDocument document, IOpenApiSchema input)
    {
        if (input is not OpenApiSchema schema)
        {
            return input;
        }

        if (schema.Metadata?.TryGetValue("x-schema-id", out var id) != true || id is not string { Length: > 0 } name)
        {
            ComponentizeParts(document, schema);
            return schema;
        }

        var nullable = schema.Type is { } type && type.HasFlag(JsonSchemaType.Null);
        schema.Type &= ~JsonSchemaType.Null;
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        // Entered before its parts are walked, so that a type that holds itself refers to itself.
        if (document.Components.Schemas.TryAdd(name, schema))
        {
            ComponentizeParts(document, schema);
        }

        var reference = new OpenApiSchemaReference(name, document);
        return nullable ? new OpenApiSchema { OneOf = [new OpenApiSchema { Type = JsonSchemaType.Null }, reference] } : reference;
    }

    private static void ComponentizeParts(OpenApiDocument document, OpenApiSchema schema)
    {
        foreach (var name in schema.Properties?.Keys.ToList() ?? [])
        {
            schema.Properties![name] = Componentize(document, schema.Properties[name]);
        }

        schema.Items = schema.Items is null ? null : Componentize(document, schema.Items);
        schema.AdditionalProperties = schema.AdditionalProperties is null ? null : Componentize(document, schema.AdditionalProperties);
        foreach (var alternatives in new[] { schema.OneOf, schema.AnyOf, schema.AllOf })
        {
            for (var i = 0; i < (alternatives?.Count ?? 0); i++)
            {
                alternatives![i] = Componentize(document, alternatives[i]);
            }
        }
    }
}

/// <summary>Maps what the queries throw to problem details: unknown matter or statement 404, a bad argument 400.</summary>
internal sealed class LedgerExceptionHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title) = exception switch
        {
            NotFoundException => (StatusCodes.Status404NotFound, "Not found"),
            Projections.HistoryPointException => (StatusCodes.Status400BadRequest, "Invalid query parameter"),
            ArgumentException => (StatusCodes.Status400BadRequest, "Invalid request"),
            FormatException => (StatusCodes.Status400BadRequest, "Invalid query parameter"),
            BadHttpRequestException bad => (bad.StatusCode, "Bad request"),
            Ledger.Storage.ConcurrencyConflictException => (StatusCodes.Status409Conflict, "Conflict"),
            Ledger.Verification.LogIntegrityException => (StatusCodes.Status500InternalServerError, "The log does not verify"),
            _ => (0, string.Empty),
        };
        if (status == 0)
        {
            return false;
        }

        await Problems.WriteAsync(httpContext, status, title, UserMessages.Of(exception));
        return true;
    }
}
