using System.Globalization;
using Ledger.Projections.ReadModels;
using Ledger.Storage;
using Microsoft.Data.Sqlite;

namespace Ledger.Store.Sqlite;

/// <summary>
/// The read models in the ledger's file, written on one connection inside the caller's transaction: the append's, so
/// a reader sees an append's events and its read models together, or neither. A matter's models are refolded from
/// its events by the pure projection; its organization's row moves by the difference of the matter's rows.
/// </summary>
internal sealed class ReadModelTables : IDisposable
{
    /// <summary>Projections, not records: unlike the events they are rewritten, and rebuilt from the events at will.</summary>
    /// <remarks>
    /// A matter's list row and its status are kept apart, keyed by the position that opened the matter: the rows lie
    /// in list order, small and dense, so a page of them is one short scan; the large status is read one at a time.
    /// Schema of projection version 1 kept both in one table, dropped here: the version stamp rebuilds them.
    /// </remarks>
    public const string Schema = """
        DROP TABLE IF EXISTS read_matters;
        CREATE TABLE IF NOT EXISTS read_matter_rows (
            opened INTEGER PRIMARY KEY,
            matter TEXT NOT NULL UNIQUE,
            organization TEXT NOT NULL,
            phase TEXT NOT NULL,
            earliest_open_due TEXT,
            row TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS read_matter_rows_organization ON read_matter_rows (organization, opened);
        CREATE INDEX IF NOT EXISTS read_matter_rows_phase ON read_matter_rows (phase, opened);
        CREATE INDEX IF NOT EXISTS read_matter_rows_due ON read_matter_rows (earliest_open_due) WHERE earliest_open_due IS NOT NULL;
        CREATE TABLE IF NOT EXISTS read_matter_statuses (
            opened INTEGER PRIMARY KEY,
            status TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS read_promises (
            matter TEXT NOT NULL,
            id TEXT NOT NULL,
            organization TEXT NOT NULL,
            state TEXT NOT NULL,
            due_by TEXT NOT NULL,
            row TEXT NOT NULL,
            PRIMARY KEY (matter, id)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS read_promises_due ON read_promises (due_by, matter, id);
        CREATE INDEX IF NOT EXISTS read_promises_state ON read_promises (state, due_by, matter, id);
        CREATE INDEX IF NOT EXISTS read_promises_organization ON read_promises (organization, state, due_by, matter, id);
        CREATE TABLE IF NOT EXISTS read_organizations (
            organization TEXT PRIMARY KEY,
            row TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS read_model_state (
            name TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            position INTEGER NOT NULL,
            rebuild_after TEXT
        ) WITHOUT ROWID;
        """;

    public const string StateName = "ledger";

    /// <summary>1 when the read models are of this projection version and no rebuild is under way; nothing when never stamped.</summary>
    public static readonly string IsCurrent =
        $"SELECT version = {ReadModelJson.ProjectionVersion} AND rebuild_after IS NULL FROM read_model_state WHERE name = '{StateName}'";

    /// <summary>Empties the read models and stamps them with this projection version at position 0, as a rebuild under way or not.</summary>
    public static string Reset(bool rebuilding) => $"""
        DELETE FROM read_matter_rows; DELETE FROM read_matter_statuses; DELETE FROM read_promises; DELETE FROM read_organizations;
        INSERT INTO read_model_state (name, version, position, rebuild_after) VALUES ('{StateName}', {ReadModelJson.ProjectionVersion}, 0, {(rebuilding ? "''" : "NULL")})
        ON CONFLICT (name) DO UPDATE SET version = excluded.version, position = 0, rebuild_after = excluded.rebuild_after;
        """;

    private readonly List<SqliteCommand> commands = [];
    private readonly SqliteCommand readEvents;
    private readonly SqliteCommand readMatter;
    private readonly SqliteCommand upsertMatter;
    private readonly SqliteCommand upsertStatus;
    private readonly SqliteCommand deletePromises;
    private readonly SqliteCommand insertPromise;
    private readonly SqliteCommand readOrganization;
    private readonly SqliteCommand upsertOrganization;
    private readonly SqliteCommand movePosition;

    public ReadModelTables(SqliteConnection connection)
    {
        readEvents = Add(connection.Prepare($"SELECT {SqliteEventStore.Columns} FROM events WHERE stream_id = $stream AND stream_version <= $through ORDER BY stream_version", "$stream", "$through"));
        readMatter = Add(connection.Prepare("SELECT row FROM read_matter_rows WHERE matter = $matter", "$matter"));
        upsertMatter = Add(connection.Prepare(
            """
            INSERT INTO read_matter_rows (opened, matter, organization, phase, earliest_open_due, row)
            VALUES ($opened, $matter, $organization, $phase, $due, $row)
            ON CONFLICT (opened) DO UPDATE SET phase = excluded.phase, earliest_open_due = excluded.earliest_open_due, row = excluded.row
            """,
            "$opened", "$matter", "$organization", "$phase", "$due", "$row"));
        upsertStatus = Add(connection.Prepare(
            "INSERT INTO read_matter_statuses (opened, status) VALUES ($opened, $status) ON CONFLICT (opened) DO UPDATE SET status = excluded.status",
            "$opened", "$status"));
        deletePromises = Add(connection.Prepare("DELETE FROM read_promises WHERE matter = $matter", "$matter"));
        insertPromise = Add(connection.Prepare(
            "INSERT INTO read_promises (matter, id, organization, state, due_by, row) VALUES ($matter, $id, $organization, $state, $due, $row)",
            "$matter", "$id", "$organization", "$state", "$due", "$row"));
        readOrganization = Add(connection.Prepare("SELECT row FROM read_organizations WHERE organization = $organization", "$organization"));
        upsertOrganization = Add(connection.Prepare(
            "INSERT INTO read_organizations (organization, row) VALUES ($organization, $row) ON CONFLICT (organization) DO UPDATE SET row = excluded.row",
            "$organization", "$row"));
        movePosition = Add(connection.Prepare(
            $"""
            INSERT INTO read_model_state (name, version, position) VALUES ('{StateName}', {ReadModelJson.ProjectionVersion}, $position)
            ON CONFLICT (name) DO UPDATE SET position = max(position, excluded.position)
            """,
            "$position"));
    }

    public SqliteTransaction? Transaction
    {
        set
        {
            foreach (var command in commands)
            {
                command.Transaction = value;
            }
        }
    }

    /// <summary>Refolds a matter from its events as this transaction sees them and stores its models.</summary>
    public void Project(string matter) => Project(matter, long.MaxValue, []);

    /// <summary>
    /// Refolds a matter from its stored events up to <paramref name="through"/> and those an append adds, decoded
    /// already (off the writer's thread), and stores its models. A new matter reads nothing.
    /// </summary>
    public void Project(string matter, long through, IEnumerable<Recorded> appended)
    {
        var events = new List<Recorded>();
        if (through > 0)
        {
            readEvents.Parameters[0].Value = matter;
            readEvents.Parameters[1].Value = through;
            using var reader = readEvents.ExecuteReader();
            while (reader.Read())
            {
                events.Add(EventEnvelope.ToRecorded(SqliteEventStore.ToStored(reader)));
            }
        }

        events.AddRange(appended);
        Project(events);
    }

    /// <summary>Stores the models of a matter folded from all its events; nothing before the matter is opened.</summary>
    public void Project(IReadOnlyCollection<Recorded> events)
    {
        if (MatterReadModel.Of(events) is { } model)
        {
            Store(model);
        }
    }

    /// <summary>Moves the position the read models reflect; never back, since a rebuild batch may run behind an append.</summary>
    public void MoveTo(long position)
    {
        movePosition.Parameters[0].Value = position;
        movePosition.ExecuteNonQuery();
    }

    /// <summary>Stores a matter's models, its organization's row moved by the difference from the row it replaces.</summary>
    public void Store(MatterReadModel model)
    {
        var row = model.Row;
        readMatter.Parameters[0].Value = row.Matter;
        var before = readMatter.ExecuteScalar() is string json ? ReadModelJson.MatterRow(json) : null;

        var p = upsertMatter.Parameters;
        p[0].Value = row.Opened;
        p[1].Value = row.Matter;
        p[2].Value = row.Organization;
        p[3].Value = row.Phase;
        p[4].Value = row.OpenDueDates.Count > 0 ? Day(row.OpenDueDates[0]) : DBNull.Value;
        p[5].Value = ReadModelJson.Serialize(row);
        upsertMatter.ExecuteNonQuery();
        upsertStatus.Parameters[0].Value = row.Opened;
        upsertStatus.Parameters[1].Value = ReadModelJson.Serialize(model.Status);
        upsertStatus.ExecuteNonQuery();

        deletePromises.Parameters[0].Value = row.Matter;
        deletePromises.ExecuteNonQuery();
        foreach (var promise in model.Promises)
        {
            var q = insertPromise.Parameters;
            q[0].Value = promise.Matter;
            q[1].Value = promise.Id;
            q[2].Value = promise.Organization;
            q[3].Value = promise.State;
            q[4].Value = Day(promise.DueBy);
            q[5].Value = ReadModelJson.Serialize(promise);
            insertPromise.ExecuteNonQuery();
        }

        readOrganization.Parameters[0].Value = row.Organization;
        var organization = readOrganization.ExecuteScalar() is string o ? ReadModelJson.OrganizationRow(o) : null;
        upsertOrganization.Parameters[0].Value = row.Organization;
        upsertOrganization.Parameters[1].Value = ReadModelJson.Serialize(OrganizationRow.Evolve(organization, before, row));
        upsertOrganization.ExecuteNonQuery();
    }

    internal static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public void Dispose()
    {
        foreach (var command in commands)
        {
            command.Dispose();
        }
    }

    private SqliteCommand Add(SqliteCommand command)
    {
        commands.Add(command);
        return command;
    }
}
