using System.Security.Cryptography;
using System.Text;

namespace Ledger.Messaging.ApiKeys;

/// <summary>The roles an API key carries. An admin may do everything a curator may.</summary>
public static class ApiKeyRoles
{
    public const string Curator = "curator";
    public const string Admin = "admin";

    public static IReadOnlyList<string> All { get; } = [Curator, Admin];

    public static bool IsValid(string role) => All.Contains(role, StringComparer.Ordinal);
}

/// <summary>A key as the ledger keeps it: never the key itself, only its SHA-256.</summary>
public sealed record ApiKey(string Id, string Owner, string Role, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
{
    public bool Revoked => RevokedAt is not null;
}

/// <summary>A key just created: <see cref="Secret"/> is shown once and never stored.</summary>
public sealed record CreatedApiKey(ApiKey Key, string Secret);

/// <summary>API keys in a small table beside the events (SQLite file or PostgreSQL schema of the ledger).</summary>
public interface IApiKeyStore : IAsyncDisposable
{
    Task<CreatedApiKey> CreateAsync(string owner, string role, DateTimeOffset now, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ApiKey>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>True when the key existed and was not revoked yet.</summary>
    Task<bool> RevokeAsync(string id, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>The key whose secret hashes to <paramref name="sha256"/> (revoked or not), else null.</summary>
    Task<ApiKey?> FindAsync(string sha256, CancellationToken cancellationToken = default);
}

public static class ApiKeyStores
{
    public const string SecretPrefix = "ledger_";

    /// <summary>A new key: 256 random bits, URL-safe; its id is separate and public.</summary>
    public static (string Id, string Secret) Generate()
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var secret = SecretPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        return (id, secret);
    }

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
