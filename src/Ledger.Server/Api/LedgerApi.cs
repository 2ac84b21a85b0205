using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Ledger.Querying;
using Ledger.Server.Auth;
using Ledger.Server.Hosting;
using Ledger.Server.Telemetry;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection.Extensions;
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
