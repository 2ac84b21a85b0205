using System.Security.Claims;
using Ledger.Messaging.Webhooks;
using Ledger.Server.Auth;
using Ledger.Server.Hosting;
using Ledger.Storage;
using Wolverine;

namespace Ledger.Server.Webhooks;

/// <summary>Webhook subscriptions over HTTP, for admin keys: create (the secret is shown once), list, remove, and the delivery log.</summary>
public static class WebhookEndpoints
{
    public sealed record NewWebhook(string Url, string[]? Matters = null, string[]? Organizations = null, string[]? Types = null, bool FromStart = false);

    public static WebApplication MapWebhookEndpoints(this WebApplication app)
    {
        var group = app.MapGroup("/api/webhooks").RequireAuthorization(LedgerPolicies.Admin).WithTags("webhooks")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        group.MapPost("/", CreateAsync).WithName("CreateWebhook").WithSummary("Subscribe a URL to the events matching its filters; the signing secret is in this answer only")
            .Produces<WebhookSubscription>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status400BadRequest);
        group.MapGet("/", ListAsync).WithName("ListWebhooks").WithSummary("Every subscription with its delivery state (secrets hidden)")
            .Produces<IReadOnlyList<WebhookSubscription>>();
        group.MapDelete("/{id}", RemoveAsync).WithName("RemoveWebhook").WithSummary("Stop deliveries to a subscription; its log stays")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/{id}/deliveries", DeliveriesAsync).WithName("ListWebhookDeliveries").WithSummary("The delivery log of a subscription, newest attempt first")
            .Produces<IReadOnlyList<WebhookAttempt>>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<IResult> CreateAsync(NewWebhook request, ClaimsPrincipal user, IWebhookStore webhooks, IEventStore store, WebhookSettings settings, TimeProvider clock,
        ServerSettings server, IMessageBus bus, WebhookResolver resolver, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Url))
        {
            return Problems.Result(StatusCodes.Status400BadRequest, "invalid webhook", "url: required");
        }

        if (await WebhookTargets.ProblemAsync(request.Url, settings.AllowPrivateTargets, resolver, cancellationToken) is { } problem)
        {
            return Problems.Result(StatusCodes.Status400BadRequest, "invalid webhook", $"url: {problem}");
        }

        var head = request.FromStart ? 0 : await store.LastPositionAsync(cancellationToken);

        var subscription = new WebhookSubscription(WebhookSignature.NewId("wh"), request.Url, WebhookSignature.NewSecret(),
            request.Matters ?? [], request.Organizations ?? [], request.Types ?? [], user.Identity?.Name ?? "api", clock.GetUtcNow(), null, head, 0, null, null);
        await webhooks.CreateAsync(subscription, cancellationToken);
        if (server.Worker)
        {
            // Events only wake the subscriptions they match: the backlog would otherwise wait for the next event or a restart.
            await bus.PublishAsync(new DeliverWebhooks(subscription.Id));
        }

        return Results.Created($"/api/webhooks/{subscription.Id}", subscription);
    }

    private static async Task<IResult> ListAsync(IWebhookStore webhooks, CancellationToken cancellationToken) =>
        Results.Ok((await webhooks.ListAsync(cancellationToken)).Select(s => s with { Secret = "(hidden)" }));

    private static async Task<IResult> RemoveAsync(string id, IWebhookStore webhooks, TimeProvider clock, CancellationToken cancellationToken) =>
        await webhooks.RemoveAsync(id, clock.GetUtcNow(), cancellationToken)
            ? Results.NoContent()
            : Problems.Result(StatusCodes.Status404NotFound, "no such webhook", $"no active webhook subscription \"{id}\"");

    private static async Task<IResult> DeliveriesAsync(string id, IWebhookStore webhooks, CancellationToken cancellationToken, int limit = 100) =>
        await webhooks.GetAsync(id, cancellationToken) is null
            ? Problems.Result(StatusCodes.Status404NotFound, "no such webhook", $"no webhook subscription \"{id}\"")
            : Results.Ok(await webhooks.AttemptsAsync(id, Math.Clamp(limit, 1, 1000), cancellationToken));
}
