using System.CommandLine;
using Ledger.Cli.Output;
using Ledger.Serialization;
using Spectre.Console;
using Ledger.Messaging.ApiKeys;

namespace Ledger.Cli.Commands;

/// <summary>`ledger keys create|list|revoke`: the server's API keys, stored hashed beside the events.</summary>
public static class KeysCommand
{
    public static void AddKeysCommand(this RootCommand root)
    {
        var keys = new Command("keys", "Create, list and revoke the API keys of `ledger serve` (curator: writes; admin: also administration)");

        var owner = new Option<string>("--owner") { Description = "Who the key belongs to; recorded as recordedBy of the statements it posts", Required = true };
        var role = new Option<string>("--role") { Description = "curator or admin", DefaultValueFactory = _ => ApiKeyRoles.Curator };
        role.AcceptOnlyFromAmong([.. ApiKeyRoles.All]);
        var create = new Command("create", "Create a key; it is shown once, only its SHA-256 is kept") { owner, role };
        create.SetStoreAction(async (context, cancellationToken) =>
        {
            var name = context.Value(owner)!.Trim();
            if (name.Length == 0)
            {
                throw new UsageException("--owner must not be empty");
            }

            await using var store = context.Backend.OpenApiKeys();
            var created = await store.CreateAsync(name, context.Value(role)!, context.Clock.GetUtcNow(), cancellationToken);
            if (context.Json)
            {
                Printer.Json(new { id = created.Key.Id, owner = created.Key.Owner, role = created.Key.Role, createdAt = created.Key.CreatedAt, key = created.Secret });
            }
            else
            {
                Console.WriteLine($"created key {created.Key.Id} for {created.Key.Owner} ({created.Key.Role}); it is shown only now:");
                Console.WriteLine(created.Secret);
            }

            return ExitCodes.Ok;
        });

        var list = new Command("list", "List the keys (never the keys themselves)");
        list.SetStoreAction(async (context, cancellationToken) =>
        {
            await using var store = context.Backend.OpenApiKeys();
            var all = await store.ListAsync(cancellationToken);
            if (context.Json)
            {
                Printer.Json(all.Select(k => new { id = k.Id, owner = k.Owner, role = k.Role, createdAt = k.CreatedAt, revokedAt = k.RevokedAt }));
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("id", "owner", "role", "created", "revoked");
            foreach (var k in all)
            {
                table.AddRow(k.Id, Markup.Escape(k.Owner), k.Role, Printer.Date(k.CreatedAt), k.RevokedAt is { } at ? Printer.Date(at) : "-");
            }

            Printer.Table(table, "no keys");
            return ExitCodes.Ok;
        });

        var id = new Argument<string>("id") { Description = "The key's id (from ledger keys list)" };
        var revoke = new Command("revoke", "Revoke a key: it is refused from the next request on") { id };
        revoke.SetStoreAction(async (context, cancellationToken) =>
        {
            await using var store = context.Backend.OpenApiKeys();
            if (!await store.RevokeAsync(context.Value(id)!, context.Clock.GetUtcNow(), cancellationToken))
            {
                throw new Querying.NotFoundException($"no active key \"{context.Value(id)}\" (see: ledger keys list)");
            }

            Console.WriteLine(context.Json ? System.Text.Json.JsonSerializer.Serialize(new { revoked = context.Value(id) }, LedgerJson.Output) : $"revoked key {context.Value(id)}");
            return ExitCodes.Ok;
        });

        keys.Subcommands.Add(create);
        keys.Subcommands.Add(list);
        keys.Subcommands.Add(revoke);
        root.Subcommands.Add(keys);
    }
}
