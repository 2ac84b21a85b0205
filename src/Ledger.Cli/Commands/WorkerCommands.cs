using System.CommandLine;
using System.Text.Json;
using JasperFx;
using Ledger.Cli.Hosting;
using Ledger.Cli.Output;
using Ledger.Messaging.Notifying;
using Ledger.Messaging.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace Ledger.Cli.Commands;

/// <summary>A notification as `ledger notifications` prints it, its data as JSON rather than text.</summary>
public sealed record NotificationLine(long Sequence, string Id, string Kind, string Matter, string Organization, long? Position,
    string? EventType, string? StatementId, DateTimeOffset OccurredAt, DateTimeOffset NotifiedAt, JsonElement Data)
{
    public static NotificationLine From(Notification n)
    {
        using var data = JsonDocument.Parse(n.Data);
        return new(n.Sequence, n.Id, n.Kind, n.Matter, n.Organization, n.Position, n.EventType, n.StatementId, n.OccurredAt, n.NotifiedAt, data.RootElement.Clone());
    }
}

public static class WorkerCommands
{
    private const int DefaultNotifications = 1_000;
    private const int MaxNotifications = 10_000;

    public static void AddWorkerCommand(this RootCommand root)
    {
        var allowPrivate = new Option<bool>("--allow-private-webhook-targets") { Description = "Let webhooks call private, loopback and link-local addresses (for receivers on the same network)" };
        var command = new Command(
            "worker",
            "Run until stopped: relay every recorded event to the notification feed, raise overdue promises on their due dates, deliver webhooks, and run Wolverine's durable queues. Several workers may share one PostgreSQL ledger: one leads, the others stand by.")
        {
            allowPrivate,
        };
        command.SetStoreAction(async (context, cancellationToken) =>
        {
            await using var feed = await context.Backend.OpenFeedAsync(cancellationToken);
            await using var webhooks = await context.Backend.OpenWebhooksAsync(cancellationToken);
            // The server's Ledger__Webhooks__* variables hold for the worker too; the flag allows private targets as well.
            var configured = new ConfigurationBuilder().AddEnvironmentVariables().Build().GetSection("Ledger:Webhooks").Get<WebhookSettings>() ?? new WebhookSettings();
            var webhookSettings = configured with { AllowPrivateTargets = configured.AllowPrivateTargets || context.Value(allowPrivate) };
            using var host = MessagingHost.Build(context, feed, webhooks: webhooks, webhookSettings: webhookSettings);
            await host.StartAsync(cancellationToken);
            Console.WriteLine($"ledger worker: running on {context.Backend.Description}; stop with Ctrl+C or SIGTERM");
            await host.WaitForShutdownAsync(cancellationToken);
            return ExitCodes.Ok;
        });
        root.Subcommands.Add(command);
    }

    public static void AddNotificationsCommand(this RootCommand root)
    {
        var after = new Option<long>("--after") { Description = "Only notifications after this sequence number", DefaultValueFactory = _ => 0 };
        var kind = new Option<string?>("--kind") { Description = $"Only this kind: {NotificationKinds.EventRecorded}, {string.Join(", ", NotificationKinds.Notices)}" };
        var limit = new Option<int>("--limit") { Description = $"Read at most this many entries (1 to {MaxNotifications:N0}); the next page starts --after the last sequence shown", DefaultValueFactory = _ => DefaultNotifications };
        var command = new Command("notifications", "The notification feed the worker keeps: one entry per recorded event, one per promise gone overdue") { after, kind, limit };
        command.SetStoreAction(async (context, cancellationToken) =>
        {
            if (context.Value(limit) is < 1 or > MaxNotifications)
            {
                throw new UsageException($"--limit must be between 1 and {MaxNotifications}");
            }

            await using var feed = await context.Backend.OpenFeedAsync(cancellationToken);
            var lines = new List<NotificationLine>();
            var (read, last) = (0, context.Value(after));
            await foreach (var n in feed.ReadAsync(context.Value(after), context.Value(limit), cancellationToken))
            {
                (read, last) = (read + 1, n.Sequence);
                if (context.Value(kind) is not { } only || only == n.Kind)
                {
                    lines.Add(NotificationLine.From(n));
                }
            }

            if (read == context.Value(limit))
            {
                // On standard error, so that --json output stays one document.
                await Console.Error.WriteLineAsync($"ledger: {read:N0} entries read; more may follow: --after {last}");
            }

            if (context.Json)
            {
                Printer.Json(lines);
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("#", "kind", "matter", "what", "occurred", "notified");
            foreach (var n in lines)
            {
                var what = n.Kind == NotificationKinds.EventRecorded ? $"{n.EventType} {n.StatementId}".TrimEnd() : n.Id;
                table.AddRow(n.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), n.Kind, Markup.Escape(n.Matter), Markup.Escape(what), Printer.Date(n.OccurredAt), Printer.Date(n.NotifiedAt));
            }

            Printer.Table(table, "no notifications");
            return ExitCodes.Ok;
        });
        root.Subcommands.Add(command);
    }

    /// <summary>Writes Wolverine's handler code into a project, to be compiled in: start-up then loads it and compiles nothing.</summary>
    public static void AddCodegenCommand(this RootCommand root)
    {
        var project = new Option<string>("--project") { Description = "The folder of the Ledger.Messaging project", Required = true };
        var command = new Command("codegen", "For developers: write the pre-generated Wolverine handler code into Internal/Generated of a project") { project };
        command.Hidden = true;
        command.SetStoreAction(async (context, cancellationToken) =>
        {
            await using var feed = await context.Backend.OpenFeedAsync(cancellationToken);
            await using var webhooks = await context.Backend.OpenWebhooksAsync(cancellationToken);
            using var host = MessagingHost.Build(context, feed, Path.GetFullPath(context.Value(project)!), writingCode: true, webhooks);
            return await host.RunJasperFxCommands(["codegen", "write"]);
        });
        root.Subcommands.Add(command);
    }
}
