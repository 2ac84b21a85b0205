using System.Text.Json.Nodes;
using Ledger.Diffing;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Ledger.EndToEnd;

/// <summary>The checkout the tests run from: found by walking up to the folder holding Ledger.sln.</summary>
public static class Repo
{
    public const string Matter = "microsoft/imod-azure";

    public static string Root => Ledger.Testing.Checkout.Root;

    public static string Samples => Path.Combine(Root, "samples");

    public static string SampleFile => Ledger.Testing.Checkout.SampleFile;

    /// <summary>A fresh copy of the reference document, free to modify.</summary>
    public static JsonObject Sample() => JsonNode.Parse(File.ReadAllText(SampleFile))!.AsObject();

    public static JsonArray SampleStatements() => Sample()["statements"]!.AsArray();
}

/// <summary>A fresh SQLite store in its own temporary folder, removed afterwards.</summary>
public sealed class TempStore : IDisposable
{
    private readonly string? location;

    public TempStore()
    {
        Folder = Path.Combine(Path.GetTempPath(), "ledger-e2e", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        DbPath = Path.Combine(Folder, "ledger.db");
    }

    /// <summary>A temporary folder for the files of a ledger kept elsewhere (a store location such as postgres:…).</summary>
    public TempStore(string location)
        : this() => this.location = location;

    public string Folder { get; }

    public string DbPath { get; }

    public string Option => location ?? $"sqlite:{DbPath}";

    public string PathOf(string fileName) => Path.Combine(Folder, fileName);

    public Task<CliResult> RunAsync(params string[] args) => LedgerCli.RunAsync(["--store", Option, .. args]);

    public Task<CliResult> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        LedgerCli.RunAsync(["--store", Option, .. args], null, environment);

    public BackgroundCli Start(params string[] args) => LedgerCli.Start(["--store", Option, .. args]);

    public BackgroundCli Start(IReadOnlyDictionary<string, string> environment, params string[] args) => LedgerCli.Start(["--store", Option, .. args], environment);

    public async Task ImportSamplesAsync()
    {
        var result = await RunAsync("import", Repo.Samples);
        Assert.True(result.ExitCode == 0, $"importing the samples failed: {result}");
    }

    /// <summary>The whole ledger as export writes it to a file, byte for byte.</summary>
    public async Task<byte[]> ExportAsync()
    {
        var file = PathOf($"export-{Guid.NewGuid():N}.ndjson");
        var result = await RunAsync("export", "-o", file);
        Assert.True(result.ExitCode == 0, $"export failed: {result}");
        return await File.ReadAllBytesAsync(file);
    }

    /// <summary>Counts events with a read-only connection of our own; 0 while the file or its schema does not exist yet.</summary>
    public long CountEvents() => Query("SELECT count(*) FROM events") ?? 0;

    /// <summary>How far the worker's relay has got in the event log (the last event it entered in the feed); 0 before it starts.</summary>
    public long RelayedThrough() =>
        Query("SELECT count(*) FROM sqlite_master WHERE name = 'notifications'") == 1
            ? Query("SELECT coalesce((SELECT position FROM notifications WHERE kind = 'event-recorded' ORDER BY sequence DESC LIMIT 1), 0)") ?? 0
            : 0;

    /// <summary>
    /// Makes the scheduled messages of a type that a stopped worker stored fall due now, as if the system clock had
    /// reached them; returns how many there were.
    /// </summary>
    public int BringScheduledMessagesForward(string messageType)
    {
        var messages = Path.ChangeExtension(DbPath, null) + ".messages.db";
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = messages, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE wolverine_incoming_envelopes SET execution_time = $due WHERE status = 'Scheduled' AND message_type = $type";
        command.Parameters.AddWithValue("$due", DateTimeOffset.UtcNow.AddMinutes(-1).ToString("yyyy-MM-dd HH:mm:ss'+00:00'", System.Globalization.CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$type", messageType);
        return command.ExecuteNonQuery();
    }

    public bool HasSchema() => Query("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'events'") == 1;

    private long? Query(string sql)
    {
        if (!File.Exists(DbPath))
        {
            return null;
        }

        var connectionString = new SqliteConnectionStringBuilder { DataSource = DbPath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        try
        {
            using var connection = new SqliteConnection(connectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            return (long)command.ExecuteScalar()!;
        }
        catch (SqliteException)
        {
            // The file exists but the writer has not created the schema yet.
            return null;
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A killed process may still hold a file for a moment; the temp folder is cleaned eventually anyway.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }
}

public static class JsonAssert
{
    public static JsonNode Parse(CliResult result)
    {
        Assert.True(result.ExitCode == 0, $"expected success: {result}");
        try
        {
            return JsonNode.Parse(result.Stdout) ?? throw new InvalidOperationException("stdout is JSON null");
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new InvalidOperationException($"stdout is not JSON ({ex.Message}): {result}", ex);
        }
    }

    public static void DeepEqual(JsonNode? expected, JsonNode? actual, string what) =>
        Assert.True(
            JsonPatch.DeepEquals(expected, actual),
            $"{what} differ{Environment.NewLine}expected: {expected?.ToJsonString()}{Environment.NewLine}actual:   {actual?.ToJsonString()}");
}
