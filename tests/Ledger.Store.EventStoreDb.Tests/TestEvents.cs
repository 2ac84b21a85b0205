using Ledger.Storage;

namespace Ledger.Store.EventStoreDb.Tests;

/// <summary>Small events in their stored form, for the protocol tests.</summary>
internal static class TestEvents
{
    public const string Type = "PositionStated";

    private static readonly DateTimeOffset Now = new(2026, 1, 10, 12, 0, 0, TimeSpan.Zero);

    public static EventToAppend Event(string id) => new(Type, id, "Acme", Now.AddDays(-1), Now, "spec", """{"quote":"Q."}""");

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
