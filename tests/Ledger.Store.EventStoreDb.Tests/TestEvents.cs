using Ledger.Storage;

namespace Ledger.Store.EventStoreDb.Tests;

/// <summary>Small events in their stored form, for the protocol tests.</summary>
internal static class TestEvents
{
    public const string Type = "PositionStated";

    private static readonly DateTimeOffset Now = new(2026, 1, 10, 12, 0, 0, TimeSpan.Zero);

    public static EventToAppend Event(string id) => new(Type, id, "Acme", Now.AddDays(-1), Now, "spec", """{"quote":"Q."}""");

    /// <summary>An event whose quote is <paramref name="quoteLength"/> characters long.</summary>
    public static EventToAppend Large(string id, int quoteLength) =>
        new(Type, id, "Acme", Now.AddDays(-1), Now, "spec", $$"""{"quote":"{{new string('q', quoteLength)}}"}""");

    /// <summary>The statement id in an event's envelope, as the node stores it (custom metadata).</summary>
    public static string? StatementIdOf(Google.Protobuf.ByteString customMetadata)
    {
        using var envelope = System.Text.Json.JsonDocument.Parse(customMetadata.Memory);
        return envelope.RootElement.TryGetProperty("statementId", out var id) ? id.GetString() : null;
    }

    public static async Task<List<T>> ListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }
}
