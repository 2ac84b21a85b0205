namespace Ledger.Store.Sqlite;

/// <summary>An exclusive lock on a file next to an SQLite ledger; the operating system frees it when the process dies.</summary>
public sealed class FileLeaderLock(string path) : ILeaderLock
{
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(1);

    public async Task<ILeadership> AcquireAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return new Lease(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException)
            {
                await Task.Delay(RetryInterval, cancellationToken);
            }
        }
    }

    private sealed class Lease(FileStream file) : ILeadership
    {
        public CancellationToken Lost => CancellationToken.None;

        public ValueTask DisposeAsync() => file.DisposeAsync();
    }
}
