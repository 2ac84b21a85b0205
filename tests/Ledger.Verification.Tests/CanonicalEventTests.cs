using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ledger.Events;
using Ledger.Storage;

namespace Ledger.Verification.Tests;

public sealed class CanonicalEventTests
{
    private static readonly DateTimeOffset Recorded = new DateTimeOffset(2025, 9, 25, 16, 3, 0, TimeSpan.FromHours(2)).AddTicks(1234567);

    private static readonly StoredEvent Statement = new(
        Position: 42,
        Stream: "microsoft/imod-azure",
        Version: 7,
        Type: EventTypes.ActionTaken,
        StatementId: "msft-2025-09-25-termination",
        Organization: "Microsoft",
        PublishedAt: new DateTimeOffset(2025, 9, 25, 0, 0, 0, TimeSpan.Zero),
        RecordedAt: Recorded,
        RecordedBy: "curator",
        Data: """{"statementId":"msft-2025-09-25-termination","quote":"We have \"ceased\" services","quoteSha256":"ab12","source":{"url":"https://example.org/a","archiveSha256":"cd34"},"services":["Azure storage"],"n":1.50}""");

    [Fact]
    public void The_envelope_is_fixed_sorted_and_complete()
    {
        Assert.Equal(
            """{"matter":"microsoft/imod-azure","organization":"Microsoft","payload":{"n":1.5,"quote":"We have \"ceased\" services","quoteSha256":"ab12","services":["Azure storage"],"source":{"archiveSha256":"cd34","url":"https://example.org/a"},"statementId":"msft-2025-09-25-termination"},"publishedAt":"2025-09-25T00:00:00.0000000Z","recordedAt":"2025-09-25T14:03:00.1234567Z","recordedBy":"curator","statementId":"msft-2025-09-25-termination","type":"ActionTaken","version":7}""",
            Encoding.UTF8.GetString(CanonicalEvent.Bytes(Statement)));
    }

    [Fact]
    public void Times_are_utc_with_seven_fraction_digits_whatever_their_offset()
    {
        var times = new[]
        {
            DateTimeOffset.MinValue, DateTimeOffset.MaxValue, Recorded, new DateTimeOffset(1999, 12, 31, 23, 59, 59, TimeSpan.FromHours(-11)),
            new DateTimeOffset(2024, 2, 29, 0, 0, 0, TimeSpan.FromMinutes(345)).AddTicks(1), new DateTimeOffset(638_000_000_000_000_001, TimeSpan.Zero),
        };
        foreach (var time in times)
        {
            using var envelope = JsonDocument.Parse(CanonicalEvent.Bytes(Statement with { RecordedAt = time, PublishedAt = time }));
            var expected = time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(expected, envelope.RootElement.GetProperty("recordedAt").GetString());
            Assert.Equal(expected, envelope.RootElement.GetProperty("publishedAt").GetString());
        }
    }

    [Fact]
    public void The_envelope_is_its_own_canonical_form()
    {
        var bytes = CanonicalEvent.Bytes(Statement);
        Assert.Equal(bytes, JsonCanonicalizer.Canonicalize(bytes));
    }

    [Fact]
    public void Events_without_statement_or_publication_carry_nulls()
    {
        var opened = new MatterOpened("microsoft/imod-azure", "Microsoft", "Review of IMOD's use of Azure", Recorded, "curator");
        var append = EventEnvelope.ToAppend(opened, "Microsoft");
        var stored = new StoredEvent(1, opened.Matter, 1, append.Type, append.StatementId, append.Organization, append.PublishedAt, append.RecordedAt, append.RecordedBy, append.Data);

        using var envelope = JsonDocument.Parse(CanonicalEvent.Bytes(stored));
        var root = envelope.RootElement;
        Assert.Equal(JsonValueKind.Null, root.GetProperty("statementId").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("publishedAt").ValueKind);
        Assert.Equal("MatterOpened", root.GetProperty("type").GetString());
        Assert.Equal("Review of IMOD's use of Azure", root.GetProperty("payload").GetProperty("title").GetString());
        Assert.Equal(
            ["matter", "organization", "payload", "publishedAt", "recordedAt", "recordedBy", "statementId", "type", "version"],
            root.EnumerateObject().Select(p => p.Name).ToArray());
    }

    [Fact]
    public void Stored_formatting_and_position_do_not_change_the_bytes()
    {
        var reformatted = Statement with
        {
            Position = 4242,
            RecordedAt = Recorded.ToOffset(TimeSpan.FromHours(-5)),
            Data = """
                {
                  "n": 15e-1, "services": [ "Azure storage" ],
                  "source": { "archiveSha256": "cd34", "url": "https:\/\/example.org\/a" },
                  "quoteSha256": "ab12", "quote": "We have \u0022ceased\u0022 services",
                  "statementId": "msft-2025-09-25-termination"
                }
                """,
        };

        Assert.Equal(CanonicalEvent.Bytes(Statement), CanonicalEvent.Bytes(reformatted));
    }

    [Fact]
    public void Every_committed_field_changes_the_leaf()
    {
        var leaf = CanonicalEvent.LeafHash(Statement);
        StoredEvent[] changed =
        [
            Statement with { Stream = "microsoft/other" },
            Statement with { Version = 8 },
            Statement with { Type = EventTypes.PositionStated },
            Statement with { StatementId = "other" },
            Statement with { StatementId = null },
            Statement with { Organization = "Microsoft Corp." },
            Statement with { PublishedAt = Statement.PublishedAt!.Value.AddDays(1) },
            Statement with { PublishedAt = null },
            Statement with { RecordedAt = Recorded.AddTicks(1) },
            Statement with { RecordedBy = "someone" },
            Statement with { Data = Statement.Data.Replace("cd34", "cd35", StringComparison.Ordinal) },
            Statement with { Data = Statement.Data.Replace("ab12", "ab13", StringComparison.Ordinal) },
        ];

        Assert.All(changed, e => Assert.NotEqual(leaf, CanonicalEvent.LeafHash(e)));
    }

    [Fact]
    public void The_leaf_hash_is_sha256_of_zero_and_the_bytes() =>
        Assert.Equal(SHA256.HashData([0x00, .. CanonicalEvent.Bytes(Statement)]), CanonicalEvent.LeafHash(Statement));
}
