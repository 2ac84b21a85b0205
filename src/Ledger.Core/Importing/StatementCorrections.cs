using System.Text.Json;
using System.Text.Json.Nodes;
using Ledger.Events;

namespace Ledger.Importing;

/// <summary>Applies a curator's correction to the statement it corrects. Pure; used by decisions and projections alike.</summary>
public static class StatementCorrections
{
    private static readonly string[] Fixed = ["id", "type"];

    /// <summary>The corrected statement, keeping the original's recording stamps; null (with reports) when the result is invalid.</summary>
    public static Statement? Apply(Statement target, IReadOnlyDictionary<string, JsonElement> changes, Action<string, string> report)
    {
        var input = StatementContent.ToInput(target);
        var ok = true;
        foreach (var (field, value) in changes)
        {
            if (Fixed.Contains(field))
            {
                report($"changes.{field}", "a statement's id and type cannot be corrected; withdraw it and record a new one");
                ok = false;
                continue;
            }

            var path = field.Split('.');
            var parent = input;
            foreach (var step in path[..^1])
            {
                if (parent[step] is not JsonObject child)
                {
                    child = [];
                    parent[step] = child;
                }

                parent = child;
            }

            if (value.ValueKind == JsonValueKind.Null)
            {
                parent.Remove(path[^1]);
            }
            else
            {
                parent[path[^1]] = JsonNode.Parse(value.GetRawText());
            }
        }

        if (!ok)
        {
            return null;
        }

        var errors = 0;
        var element = JsonSerializer.SerializeToElement(input);
        var corrected = StatementParser.Parse(element, target.Matter, (field, message) =>
        {
            errors++;
            report($"changes.{field}", message);
        });
        if (corrected is null || errors > 0)
        {
            return null;
        }

        var identity = (target, corrected) switch
        {
            (DisclosurePromised before, DisclosurePromised after) when before.Promise.Id != after.Promise.Id => "promise.id",
            (DisclosureDelivered before, DisclosureDelivered after) when before.Promise != after.Promise => "promise",
            (StatementWithdrawn before, StatementWithdrawn after) when before.Withdraws != after.Withdraws => "withdraws",
            (EntryCorrected, _) => "corrects",
            _ => null,
        };
        if (identity is not null)
        {
            report($"changes.{identity}", "references between statements cannot be corrected; withdraw the statement and record a new one");
            return null;
        }

        return corrected with { RecordedAt = target.RecordedAt, RecordedBy = target.RecordedBy };
    }
}
