using System.Text.Json;
using Ledger.Events;
using Ledger.Importing;
using Ledger.Matters;
using Ledger.Projections;
using Ledger.Serialization;
using Ledger.Storage;
using Snapshooter.Xunit;

namespace Ledger.Contracts;

/// <summary>
/// Contract tests: the JSON that users, dashboards and other backends read. A change here is a change of contract;
/// review the snapshot diff (in __snapshots__/__mismatch__) before accepting it.
/// </summary>
public class SampleSnapshots
{
    private static readonly DateTimeOffset RecordedAt = new(2025, 12, 1, 9, 30, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset AsOf = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static List<Recorded> RecordSample()
    {
        var errors = new List<InputError>();
        var json = File.ReadAllText(Ledger.Testing.Checkout.SampleFile);
        var document = ImportDocument.Read(DisclosureReader.Read("samples/microsoft-imod-azure.json", json, errors).Single(), "curator", errors)!;
        Assert.Empty(errors);
        var decision = ImportDocument.Decide(document, new ImportState(MatterState.Initial(document.Matter), new Dictionary<string, Statement>()), RecordedAt);
        Assert.Empty(decision.Errors);
        return decision.Events.Select((e, i) => new Recorded(i + 1, e)).ToList();
    }

    private static string Pretty<T>(T value) => JsonSerializer.Serialize(value, LedgerJson.Output);

    [Fact]
    public void Sample_status_json()
    {
        var status = MatterViews.Status(RecordSample(), AsOf)!;

        Snapshot.Match(Pretty(status));
    }

    [Fact]
    public void Sample_history_json()
    {
        var history = MatterHistory.Build(MatterTimeline.Build(RecordSample())!);

        Snapshot.Match(Pretty(history));
    }

    [Fact]
    public void Sample_status_as_of_september_first_shows_a_review_under_way_and_no_action()
    {
        var status = MatterViews.Status(RecordSample(), new DateTimeOffset(2025, 9, 1, 23, 59, 59, TimeSpan.Zero))!;

        Assert.Equal(("under-review", "ongoing"), (status.Phase, status.Review.Status));
        Assert.Empty(status.Actions);
        Snapshot.Match(Pretty(status));
    }

    [Fact]
    public void Stored_event_json_of_the_sample()
    {
        var stored = RecordSample().Select(r => EventEnvelope.ToAppend(r.Event, "Microsoft"))
            .Select(e => new { e.Type, e.StatementId, e.Organization, e.PublishedAt, e.RecordedAt, e.RecordedBy, Data = JsonDocument.Parse(e.Data).RootElement });

        Snapshot.Match(Pretty(stored));
    }

    [Fact]
    public void Stored_events_read_back_equal_to_what_was_written()
    {
        foreach (var recorded in RecordSample())
        {
            var row = EventEnvelope.ToAppend(recorded.Event, "Microsoft");
            var back = LedgerJson.Deserialize(row.Type, row.Data);
            Assert.Equal(row.Data, LedgerJson.Serialize(back));
        }
    }

    [Fact]
    public void Event_type_names_are_stable()
    {
        Snapshot.Match(string.Join("\n", EventTypes.All));
        Assert.All(EventTypes.All, name => Assert.Equal(name, EventTypes.NameOf(EventTypes.TypeOf(name))));
    }
}
