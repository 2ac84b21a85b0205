using Ledger.Storage;

namespace Ledger.Bench.Imports;

/// <summary>The rows an imported ledger holds, cut into the transactions (one per document) that appended them.</summary>
internal static class DocumentRows
{
    public static async Task<IReadOnlyList<StoredEvent[]>> ReadAsync(IEventStore store, IReadOnlyList<int> rowsPerTransaction, CancellationToken cancellationToken)
    {
        var rows = new List<StoredEvent>();
        await foreach (var e in store.ReadAllAsync(1, null, cancellationToken))
        {
            rows.Add(e);
        }

        if (rows.Count != rowsPerTransaction.Sum())
        {
            throw new InvalidOperationException($"the ledger holds {rows.Count} rows, expected {rowsPerTransaction.Sum()}");
        }

        var transactions = new List<StoredEvent[]>(rowsPerTransaction.Count);
        var offset = 0;
        foreach (var count in rowsPerTransaction)
        {
            var chunk = rows.GetRange(offset, count).ToArray();
            if (chunk.Where((r, i) => r.Stream != chunk[0].Stream || r.Version != chunk[0].Version + i).Any())
            {
                throw new InvalidOperationException($"rows {offset + 1}..{offset + count} are not one document's append");
            }

            transactions.Add(chunk);
            offset += count;
        }

        return transactions;
    }
}
