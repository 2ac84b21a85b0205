using System.CommandLine;
using Ledger.Cli.Output;
using Ledger.Messaging.Webhooks;
using Spectre.Console;

namespace Ledger.Cli.Commands;

/// <summary>`ledger webhooks add|list|remove|deliveries`: subscriptions that a worker (or `ledger serve`) delivers.</summary>
public static class WebhookCommands
{
    public static void AddWebhookCommands(this RootCommand root)
    {
        var webhooks = new Command("webhooks", "Webhook subscriptions: each delivers matching events in log order, signed per Standard Webhooks, from a worker or ledger serve");
        webhooks.Subcommands.Add(Add());
        webhooks.Subcommands.Add(List());
        webhooks.Subcommands.Add(Remove());
        webhooks.Subcommands.Add(Deliveries());
        root.Subcommands.Add(webhooks);
    }

    private static Command Add()
    {
        var url = new Argument<string>("url") { Description = "Where to POST each event (a structured-JSON CloudEvent)" };
        var matter = new Option<string[]>("--matter") { Description = "Only these matters (repeatable)", AllowMultipleArgumentsPerToken = true };
        var organization = new Option<string[]>("--organization") { Description = "Only these organizations (repeatable)", AllowMultipleArgumentsPerToken = true };
        var type = new Option<string[]>("--type") { Description = "Only these event types (repeatable)", AllowMultipleArgumentsPerToken = true };
        var fromStart = new Option<bool>("--from-start") { Description = "Deliver the whole history too, not only events recorded from now on" };
        var allowPrivate = new Option<bool>("--allow-private-target") { Description = "Accept a private or loopback address (the worker must allow them too)" };
        var command = new Command("add", "Subscribe a URL; prints its id and signing secret, shown only this once") { url, matter, organization, type, fromStart, allowPrivate };
        command.SetStoreAction(async (context, cancellationToken) =>
        {
            var target = context.Value(url)!;
            if (await WebhookTargets.ProblemAsync(target, context.Value(allowPrivate), cancellationToken) is { } problem)
            {
                throw new UsageException(problem);
            }

            var head = context.Value(fromStart) ? 0 : await context.Store.LastPositionAsync(cancellationToken);

            await using var store = await context.Backend.OpenWebhooksAsync(cancellationToken);
            var subscription = new WebhookSubscription(WebhookSignature.NewId("wh"), target, WebhookSignature.NewSecret(),
                context.Value(matter) ?? [], context.Value(organization) ?? [], context.Value(type) ?? [], Environment.UserName,
                context.Clock.GetUtcNow(), null, head, 0, null, null);
            await store.CreateAsync(subscription, cancellationToken);
            if (context.Json)
            {
                Printer.Json(subscription);
            }
            else
            {
                AnsiConsole.MarkupLineInterpolated($"subscribed [bold]{subscription.Id}[/] to {target}, after event {head}");
                AnsiConsole.MarkupLineInterpolated($"signing secret (shown once): {subscription.Secret}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "Every subscription with its delivery state");
        command.SetStoreAction(async (context, cancellationToken) =>
        {
            await using var store = await context.Backend.OpenWebhooksAsync(cancellationToken);
            var all = (await store.ListAsync(cancellationToken)).Select(s => s with { Secret = "(hidden)" }).ToList();
            if (context.Json)
            {
                Printer.Json(all);
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("id", "url", "filters", "delivered through", "failures", "state");
            foreach (var s in all)
            {
                var filters = string.Join(" ", s.Matters.Concat(s.Organizations).Concat(s.Types));
                table.AddRow(s.Id, Markup.Escape(s.Url), Markup.Escape(filters.Length == 0 ? "all" : filters), s.DeliveredThrough.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    s.FailedAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture), s.Active ? Markup.Escape(s.LastError ?? "ok") : "removed");
            }

            Printer.Table(table, "no webhook subscriptions");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Remove()
    {
        var id = new Argument<string>("id");
        var command = new Command("remove", "Stop deliveries to a subscription; its delivery log stays") { id };
        command.SetStoreAction(async (context, cancellationToken) =>
        {
            await using var store = await context.Backend.OpenWebhooksAsync(cancellationToken);
            if (!await store.RemoveAsync(context.Value(id)!, context.Clock.GetUtcNow(), cancellationToken))
            {
                throw new Ledger.Querying.NotFoundException($"no active webhook subscription \"{context.Value(id)}\"");
            }

            Console.WriteLine($"removed {context.Value(id)}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Deliveries()
    {
        var id = new Argument<string>("id");
        var limit = new Option<int>("--limit") { DefaultValueFactory = _ => 50, Description = "How many of the latest attempts" };
        var command = new Command("deliveries", "The delivery log of a subscription: every attempt, newest first") { id, limit };
        command.SetStoreAction(async (context, cancellationToken) =>
        {
            await using var store = await context.Backend.OpenWebhooksAsync(cancellationToken);
            var attempts = await store.AttemptsAsync(context.Value(id)!, context.Value(limit), cancellationToken);
            if (context.Json)
            {
                Printer.Json(attempts);
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("at", "event", "message id", "attempt", "status", "ms");
            foreach (var a in attempts)
            {
                table.AddRow(Printer.Date(a.At), a.Position.ToString(System.Globalization.CultureInfo.InvariantCulture), a.MessageId, a.Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Markup.Escape(a.StatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? a.Error ?? "-"), a.DurationMs.ToString("F0", System.Globalization.CultureInfo.InvariantCulture));
            }

            Printer.Table(table, "no delivery attempts");
            return ExitCodes.Ok;
        });
        return command;
    }
}
