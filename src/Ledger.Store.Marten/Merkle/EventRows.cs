using System.Text;
using System.Text.Json;
using JasperFx;
using Ledger.Events;
using Ledger.Storage;
using Marten;
using Npgsql;

namespace Ledger.Store.Marten.Merkle;

/// <summary>
/// Marten's event rows as verification reads them: with plain SQL, a row at a time, so that a row that no longer holds
/// the event the ledger wrote comes back with <see cref="StoredEvent.Unreadable"/> saying why instead of failing the
/// whole read (Marten's own reads throw on data that does not deserialize, and fall back on the CLR type name when a
/// row's type is unknown). A row reads as the ledger wrote it when its data is exactly what Marten writes for the event
/// it deserializes to, its headers name the organization and nothing else, and it is neither archived nor holding
/// binary data: readers skip archived rows, and Marten reads binary data in place of the JSON.
/// </summary>
internal sealed class EventRows(NpgsqlDataSource dataSource, string events, ISerializer serializer)
{
    /// <summary>The rows at these sequences, in sequence order; Marten's tombstones of failed appends are left out when asked.</summary>
    public async Task<List<StoredEvent>> ReadAsync(IReadOnlyCollection<long> sequences, bool skipTombstones, CancellationToken cancellationToken)
    {
        var found = new List<StoredEvent>(sequences.Count);
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT seq_id, stream_id, version, type, headers::text, data::text, is_archived, bdata IS NOT NULL,
                   CASE WHEN jsonb_typeof(data -> 'statementId') = 'string' THEN data ->> 'statementId' END
            FROM {events} WHERE seq_id = ANY($1) ORDER BY seq_id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = sequences.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            string? Text(int column) => reader.IsDBNull(column) ? null : reader.GetString(column);
            var stream = Text(1);
            var type = Text(3);
            if (skipTombstones && stream == StorageConstants.TombstoneStreamKey && (type is null || !EventTypes.TryGetType(type, out _)))
            {
                continue;
            }

            // Every column is read as nullable: whoever owns the database can drop its constraints too.
            found.Add(Read(
                reader.GetInt64(0), stream, reader.IsDBNull(2) ? null : reader.GetInt64(2), type, Text(4), Text(5),
                reader.IsDBNull(6) ? null : reader.GetBoolean(6), reader.GetBoolean(7), Text(8)));
        }

        return found;
    }

    private StoredEvent Read(long position, string? stream, long? version, string? type, string? headers, string? data, bool? archived, bool binary, string? statementId)
    {
        var problems = new List<string>();
        if (stream is null)
        {
            problems.Add("it has no matter (stream_id)");
        }

        if (version is null)
        {
            problems.Add("it has no version");
        }

        var organization = Organization(headers, problems);
        if (archived != false)
        {
            problems.Add("it is marked archived, which the ledger never does: readers skip it");
        }

        if (binary)
        {
            problems.Add("it holds binary data (bdata), which the ledger never writes and Marten reads in place of its JSON");
        }

        ILedgerEvent? read = null;
        if (type is null || !EventTypes.TryGetType(type, out var clrType))
        {
            problems.Add($"its type {(type is null ? "is missing" : $"\"{type}\" is no ledger event type")}");
        }
        else if (data is null)
        {
            problems.Add("it has no data");
        }
        else
        {
            read = Deserialize(clrType, type, data, problems);
        }

        var unreadable = problems.Count == 0 ? null : string.Join("; ", problems);
        return read is not null
            ? MartenEventStore.ToStored(position, stream ?? string.Empty, version ?? 0, type!, organization, read) with { Unreadable = unreadable }
            : new StoredEvent(position, stream ?? string.Empty, version ?? 0, type ?? string.Empty, statementId, organization, null, default, string.Empty, data ?? string.Empty)
            {
                Unreadable = unreadable,
            };
    }

    /// <summary>The event the data reads as, as Marten reads it; null, with the reason among the problems, when it reads as none.</summary>
    private ILedgerEvent? Deserialize(Type clrType, string type, string data, List<string> problems)
    {
        try
        {
            using var utf8 = new MemoryStream(Encoding.UTF8.GetBytes(data));
            if (serializer.FromJson(clrType, utf8) is not ILedgerEvent read)
            {
                problems.Add($"its data is no {type}");
                return null;
            }

            // What the reading left out (a member it does not know, a computed one) or normalized must still be as written.
            using var stored = JsonDocument.Parse(data);
            using var written = JsonDocument.Parse(serializer.ToJson(read));
            if (FirstDifference(stored.RootElement, written.RootElement, string.Empty) is { } path)
            {
                problems.Add($"its data{(path.Length == 0 ? string.Empty : $" at {path}")} is not what the ledger writes for the {type} it reads as");
            }

            return read;
        }
        catch (Exception ex)
        {
            // Whatever the stored text makes the deserializer throw, it is no event the ledger wrote.
            problems.Add($"its data no longer reads as a {type}: {ex.Message}");
            return null;
        }
    }

    /// <summary>The organization the headers give; they hold it alone, as a string.</summary>
    private static string Organization(string? headers, List<string> problems)
    {
        if (headers is not null)
        {
            try
            {
                using var document = JsonDocument.Parse(headers);
                var root = document.RootElement;
                if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty(MartenEventStore.OrganizationHeader, out var organization) && organization.ValueKind == JsonValueKind.String)
                {
                    foreach (var member in root.EnumerateObject().Where(m => m.Name != MartenEventStore.OrganizationHeader))
                    {
                        problems.Add($"its headers hold \"{member.Name}\", which the ledger never writes");
                    }

                    return organization.GetString()!;
                }
            }
            catch (JsonException)
            {
                // Not JSON: no organization either.
            }
        }

        problems.Add("its headers no longer give its organization");
        return string.Empty;
    }

    /// <summary>
    /// Where stored JSON first differs from what the ledger writes, as a JSON pointer; null when nowhere. A member written
    /// as null may be missing from what is stored: events stored before their type gained it lack it, and the leaf
    /// leaves nulls out anyway. Any other member missing, added, or holding another value is a difference.
    /// </summary>
    internal static string? FirstDifference(JsonElement stored, JsonElement written, string path)
    {
        if (stored.ValueKind == JsonValueKind.Object && written.ValueKind == JsonValueKind.Object)
        {
            foreach (var member in stored.EnumerateObject())
            {
                var at = $"{path}/{member.Name}";
                if (!written.TryGetProperty(member.Name, out var expected))
                {
                    return at;
                }

                if (FirstDifference(member.Value, expected, at) is { } inner)
                {
                    return inner;
                }
            }

            foreach (var member in written.EnumerateObject())
            {
                if (member.Value.ValueKind != JsonValueKind.Null && !stored.TryGetProperty(member.Name, out _))
                {
                    return $"{path}/{member.Name}";
                }
            }

            return null;
        }

        if (stored.ValueKind == JsonValueKind.Array && written.ValueKind == JsonValueKind.Array)
        {
            if (stored.GetArrayLength() != written.GetArrayLength())
            {
                return path;
            }

            var index = 0;
            foreach (var (item, expected) in stored.EnumerateArray().Zip(written.EnumerateArray()))
            {
                if (FirstDifference(item, expected, $"{path}/{index++}") is { } inner)
                {
                    return inner;
                }
            }

            return null;
        }

        return JsonElement.DeepEquals(stored, written) ? null : path;
    }
}
