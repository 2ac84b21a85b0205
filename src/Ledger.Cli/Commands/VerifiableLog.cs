using System.CommandLine;
using Ledger.Messaging.Hosting;
using Ledger.Messaging.Verifying;
using Ledger.Storage;
using Ledger.Verification;

namespace Ledger.Cli.Commands;

/// <summary>What the log commands share: the store's Merkle log, the key file option and the public key.</summary>
internal static class VerifiableLog
{
    public static Option<string?> KeyFileOption() => new("--key-file")
    {
        Description = $"The log's private key file (default: beside a SQLite ledger, <ledger>{LogKeyFile.Extension}; else {LogOptions.KeyFileVariable})",
    };

    /// <exception cref="UsageException">The store keeps no Merkle log.</exception>
    public static IMerkleLog Of(IEventStore store) =>
        store is IVerifiableStore verifiable
            ? verifiable.Merkle
            : throw new UsageException("this backend keeps no Merkle log: checkpoints, proofs and verification need a store that does");

    /// <summary>
    /// The store's Merkle log, first brought up to the log's end where it is kept behind the appends by a worker that
    /// may not be running (an EventStoreDB ledger's tree file).
    /// </summary>
    /// <exception cref="UsageException">The store keeps no Merkle log.</exception>
    public static async Task<IMerkleLog> CaughtUpAsync(IEventStore store, CancellationToken cancellationToken)
    {
        if (store is ITrailingVerifiableStore trailing)
        {
            await trailing.CatchUpAsync(cancellationToken);
        }

        return Of(store);
    }

    public static LedgerBackend Backend(ParseResult parse) => StoreLocation.Backend(StoreLocation.Resolve(parse.GetValue(CliOptions.Store)));

    /// <summary>The signer in the key file named, else the backend's default one.</summary>
    public static NoteSigner LoadSigner(LedgerBackend backend, string? keyFile) => LogKeyFile.Load(LogKeyFile.Locate(backend, keyFile));

    /// <summary>The signer if a key file exists where one is looked for; null otherwise (e.g. no key was ever created).</summary>
    public static NoteSigner? TryLoadSigner(LedgerBackend backend)
    {
        string path;
        try
        {
            path = LogKeyFile.Locate(backend, null);
        }
        catch (LogKeyException)
        {
            return null;
        }

        return File.Exists(path) ? LogKeyFile.Load(path) : null;
    }

    /// <summary>The verifier key from --public-key (the key's text, or a file holding it), else the public half of the key file.</summary>
    /// <exception cref="UsageException">The text or file is not a verifier key.</exception>
    public static NoteVerifier PublicKey(string? publicKey, Func<NoteVerifier> fallback)
    {
        ArgumentNullException.ThrowIfNull(fallback);
        if (publicKey is null)
        {
            return fallback();
        }

        var fromFile = File.Exists(publicKey);
        var text = fromFile ? File.ReadAllText(publicKey).Trim() : publicKey.Trim();
        try
        {
            return NoteVerifier.Parse(text);
        }
        catch (FormatException ex)
        {
            throw new UsageException(fromFile ? $"--public-key {publicKey}: {ex.Message}" : $"--public-key: {ex.Message} (nor is it a file)");
        }
    }

    public static string Base64(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes);
}
