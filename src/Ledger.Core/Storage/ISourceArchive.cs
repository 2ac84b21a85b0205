namespace Ledger.Storage;

/// <summary>
/// Saved copies of statements' sources, content-addressed by their SHA-256 (lower-case hex). Every backend keeps them
/// in the ledger's own store. Bytes are never replaced: putting bytes already kept is a no-op.
/// </summary>
public interface ISourceArchive : IAsyncDisposable
{
    /// <summary>Keeps the bytes (if not kept already) and returns their SHA-256.</summary>
    Task<string> PutAsync(ReadOnlyMemory<byte> bytes, string mediaType, CancellationToken cancellationToken = default);

    /// <summary>The bytes kept under this SHA-256, or null.</summary>
    Task<ArchivedBytes?> GetAsync(string sha256, CancellationToken cancellationToken = default);
}

public sealed record ArchivedBytes(string Sha256, string MediaType, byte[] Bytes);

public static class SourceArchives
{
    /// <summary>The bytes read under a hash, after checking that they still have it.</summary>
    /// <exception cref="StoreTamperedException">The stored bytes have another hash.</exception>
    public static ArchivedBytes Checked(string sha256, string mediaType, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var actual = Hashing.Sha256Hex(bytes);
        return actual == sha256
            ? new ArchivedBytes(sha256, mediaType, bytes)
            : throw new StoreTamperedException($"the archived source stored under SHA-256 {sha256} has other bytes (SHA-256 {actual})");
    }

    /// <summary>Whether the text is a SHA-256 as the archive names them: 64 lower-case hexadecimal digits.</summary>
    public static bool IsSha256(string text) =>
        text is { Length: 64 } && text.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}
