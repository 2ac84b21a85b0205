using System.Text.Json.Serialization;
using Ledger.Projections;
using Ledger.Projections.ReadModels;
using Marten;

namespace Ledger.Store.Marten.ReadModels;

/// <summary>
/// A matter's stored status and row. The keys the lists filter and sort by are duplicated into indexed columns, so
/// every list is an index read; the row and status themselves stay in the document.
/// </summary>
public sealed class MatterDocument
{
    /// <summary>The matter.</summary>
    public string Id { get; set; } = string.Empty;

    public string Organization { get; set; } = string.Empty;

    public string Phase { get; set; } = string.Empty;

    /// <summary>The position of the matter's first event: the matters list's sort key and cursor.</summary>
    public long Opened { get; set; }

    /// <summary>The position of the matter's last event: the read models reflect the highest of them.</summary>
    public long Position { get; set; }

    /// <summary>The earliest due date of an open promise: the matter has overdue promises on any later day.</summary>
    public DateOnly? EarliestOpenDue { get; set; }

    public required MatterRow Row { get; set; }

    public required MatterStatus Status { get; set; }

    public static MatterDocument Of(MatterReadModel model) => new()
    {
        Id = model.Row.Matter,
        Organization = model.Row.Organization,
        Phase = model.Row.Phase,
        Opened = model.Row.Opened,
        Position = model.Row.Position,
        EarliestOpenDue = model.Row.OpenDueDates.Count > 0 ? model.Row.OpenDueDates[0] : null,
        Row = model.Row,
        Status = model.Status,
    };
}

/// <summary>A promise as the tracker lists it, its filter and sort keys duplicated into indexed columns.</summary>
public sealed class PromiseDocument
{
    /// <summary>The matter and the promise's id within it.</summary>
    public string Id { get; set; } = string.Empty;

    public string Matter { get; set; } = string.Empty;

    public string PromiseId { get; set; } = string.Empty;

    public string Organization { get; set; } = string.Empty;

    /// <summary>Open, delivered or withdrawn: overdue is an open promise due before the day asked about.</summary>
    public string State { get; set; } = string.Empty;

    public DateOnly DueBy { get; set; }

    public required PromiseRow Row { get; set; }

    public static string IdOf(string matter, string promise) => $"{matter}\n{promise}";

    public static PromiseDocument Of(PromiseRow row) => new()
    {
        Id = IdOf(row.Matter, row.Id),
        Matter = row.Matter,
        PromiseId = row.Id,
        Organization = row.Organization,
        State = row.State,
        DueBy = row.DueBy,
        Row = row,
    };
}

/// <summary>An organization's summary: the sum of its matters' rows.</summary>
public sealed class OrganizationDocument
{
    /// <summary>The organization.</summary>
    public string Id { get; set; } = string.Empty;

    public required OrganizationRow Row { get; set; }
}

/// <summary>Which projection code the stored read models come from, and how far a rebuild of them got.</summary>
public sealed class ReadModelStamp
{
    public const string Ledger = "ledger";

    public string Id { get; set; } = Ledger;

    public int Version { get; set; }

    /// <summary>The last matter a running rebuild refolded ("" when it has just begun); null when no rebuild runs.</summary>
    public string? RebuildAfter { get; set; }

    [JsonIgnore]
    public bool Current => Version == ReadModelJson.ProjectionVersion && RebuildAfter is null;
}

/// <summary>The read models' documents with the indexes their lists read by.</summary>
internal static class ReadModelSchema
{
    private static readonly string[] UnindexedMatterColumns = [nameof(MatterDocument.Organization), nameof(MatterDocument.Phase)];
    private static readonly string[] UnindexedPromiseColumns =
        [nameof(PromiseDocument.PromiseId), nameof(PromiseDocument.Organization), nameof(PromiseDocument.State), nameof(PromiseDocument.DueBy)];

    public static void Register(StoreOptions options)
    {
        // Duplicated without an index of their own: the composite indexes below lead with them, and nothing filters
        // on promise_id alone. Marten's Duplicate() would index each; every append and rebuild would keep those.
        options.Policies.ForAllDocuments(mapping =>
        {
            var unindexed = mapping.DocumentType == typeof(MatterDocument) ? UnindexedMatterColumns
                : mapping.DocumentType == typeof(PromiseDocument) ? UnindexedPromiseColumns
                : [];
            foreach (var property in unindexed)
            {
                mapping.DuplicateField([mapping.DocumentType.GetProperty(property)!], null, null, notNull: true, false);
            }
        });

        options.Schema.For<MatterDocument>()
            .DocumentAlias("ledger_read_matter")
            .Duplicate(m => m.Opened, notNull: true)
            .Duplicate(m => m.Position, notNull: true)
            .Duplicate(m => m.EarliestOpenDue)
            .Index([m => m.Organization, m => m.Opened], i => i.Name = "ledger_read_matters_organization")
            .Index([m => m.Phase, m => m.Opened], i => i.Name = "ledger_read_matters_phase");

        options.Schema.For<PromiseDocument>()
            .DocumentAlias("ledger_read_promise")
            .Duplicate(p => p.Matter, notNull: true)
            .Index([p => p.DueBy, p => p.Matter, p => p.PromiseId], i => i.Name = "ledger_read_promises_due")
            .Index([p => p.State, p => p.DueBy, p => p.Matter, p => p.PromiseId], i => i.Name = "ledger_read_promises_state")
            .Index([p => p.Organization, p => p.State, p => p.DueBy, p => p.Matter, p => p.PromiseId], i => i.Name = "ledger_read_promises_organization");

        options.Schema.For<OrganizationDocument>().DocumentAlias("ledger_read_organization");
        options.Schema.For<ReadModelStamp>().DocumentAlias("ledger_read_stamp");
    }
}
