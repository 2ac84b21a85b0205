using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Ledger.Messaging.ApiKeys;

namespace Ledger.Server.Auth;

/// <summary>
/// Authenticates `Authorization: Bearer &lt;key&gt;` or `X-Api-Key: &lt;key&gt;` against the hashed keys beside the ledger.
/// Reads are public; the "curator" and "admin" policies guard writes and administration.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IApiKeyStore keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string KeyIdClaim = "ledger:key-id";
    public const string HeaderName = "X-Api-Key";

    private const string FailureItem = "ledger:auth-failure";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var secret = Secret(Request.Headers);
        if (secret is null)
        {
            return AuthenticateResult.NoResult();
        }

        var key = await keys.FindAsync(ApiKeyStores.Hash(secret), Context.RequestAborted);
        if (key is null || key.Revoked)
        {
            var reason = key is null ? "the API key is not known" : "the API key was revoked";
            Context.Items[FailureItem] = reason;
            return AuthenticateResult.Fail(reason);
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, key.Owner), new Claim(ClaimTypes.Role, key.Role), new Claim(KeyIdClaim, key.Id)],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        var detail = Context.Items[FailureItem] as string ?? $"this request needs an API key: send `Authorization: Bearer <key>` or `{HeaderName}: <key>` (create one with `ledger keys create`)";
        return Problems.WriteAsync(Context, StatusCodes.Status401Unauthorized, "Unauthorized", detail);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.WriteAsync(Context, StatusCodes.Status403Forbidden, "Forbidden", "this API key's role does not allow this request");

    private static string? Secret(IHeaderDictionary headers)
    {
        if (headers.TryGetValue(HeaderName, out var apiKey) && !string.IsNullOrWhiteSpace(apiKey))
        {
            return apiKey.ToString().Trim();
        }

        var authorization = headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization["Bearer ".Length..].Trim() : null;
    }
}

/// <summary>The named authorization policies other modules use: "curator" (writes) and "admin" (administration, e.g. webhooks).</summary>
public static class LedgerPolicies
{
    public const string Curator = "curator";
    public const string Admin = "admin";

    public static IServiceCollection AddLedgerAuth(this IServiceCollection services)
    {
        services.AddSingleton(sp => sp.GetRequiredService<Ledger.Messaging.Hosting.LedgerBackend>().OpenApiKeys());
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Curator, policy => policy.RequireAuthenticatedUser().RequireRole(ApiKeyRoles.Curator, ApiKeyRoles.Admin))
            .AddPolicy(Admin, policy => policy.RequireAuthenticatedUser().RequireRole(ApiKeyRoles.Admin));
        return services;
    }
}
