using System.Text;
using System.Text.Json;
using Ledger.Storage;

namespace Ledger.Verification.Tests;

/// <summary>Events, keys and export lines for the log tests.</summary>
internal static class LogFixtures
{
    public const string Origin = "ledger.example.org/disclosures";

    public static readonly DateTimeOffset Start = new(2025, 9, 25, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Statements 1..count over two matters, positions 10, 20, 30… (a backend's positions may have gaps).</summary>
    public static List<StoredEvent> Events(int count) =>
        Enumerable.Range(1, count).Select(i => Event(i)).ToList();

    public static StoredEvent Event(int i, string? quote = null)
    {
        var matter = i % 2 == 0 ? "acme/even" : "acme/odd";
        var id = $"s-{i}";
        var data = JsonSerializer.Serialize(new { statementId = id, matter, quote = quote ?? $"We said thing number {i}.", quoteSha256 = new string('a', 64) });
        return new StoredEvent(i * 10L, matter, (i + 1) / 2, "PositionStated", id, "Acme", Start.AddDays(-i), Start.AddSeconds(i), "tester", data);
    }

    public static TimeProvider Clock => new FixedClock(Start.AddDays(1));

    /// <summary>An export line as ledger export writes it.</summary>
    public static string Line(StoredEvent e, bool withLeafHash = true)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("position", e.Position);
            json.WriteString("stream", e.Stream);
            json.WriteNumber("version", e.Version);
            json.WriteString("type", e.Type);
            json.WriteString("statementId", e.StatementId);
            json.WriteString("organization", e.Organization);
            if (e.PublishedAt is { } published)
            {
                json.WriteString("publishedAt", published);
            }
            else
            {
                json.WriteNull("publishedAt");
            }

            json.WriteString("recordedAt", e.RecordedAt);
            json.WriteString("recordedBy", e.RecordedBy);
            json.WritePropertyName("data");
            using (var data = JsonDocument.Parse(e.Data))
            {
                data.RootElement.WriteTo(json);
            }

            if (withLeafHash)
            {
                json.WriteString("leafHash", Convert.ToBase64String(CanonicalEvent.LeafHash(e)));
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static async IAsyncEnumerable<ExportedEvent> Parse(IEnumerable<string> lines)
    {
        var number = 0L;
        foreach (var line in lines)
        {
            await Task.Yield();
            yield return ExportedEvent.Parse(line, ++number);
        }
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
