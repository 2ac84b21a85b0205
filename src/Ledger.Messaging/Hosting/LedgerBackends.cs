namespace Ledger.Messaging.Hosting;

/// <summary>One kind of backend: the store locations it answers to.</summary>
public interface ILedgerBackendKind
{
    /// <summary>How its locations are written, for the error that lists them.</summary>
    string Usage { get; }

    /// <summary>The backend a location names by its scheme (sqlite:, postgres:, esdb://), else null.</summary>
    /// <param name="location">The store location.</param>
    /// <param name="state">The state store named for a backend that keeps its state elsewhere, else null.</param>
    /// <param name="backends">Every kind of this build, for a backend that keeps its state in another.</param>
    /// <exception cref="InvalidStoreLocationException">It names this backend, but malformed.</exception>
    LedgerBackend? ByScheme(string location, string? state, LedgerBackends backends);

    /// <summary>The backend a location without a scheme names by its shape (a path ending .db), else null; asked after every scheme.</summary>
    LedgerBackend? ByShape(string location) => null;
}

/// <summary>The backends of this build, each added by its module's extension (AddLedgerSqlite, AddLedgerPostgres, AddLedgerEventStoreDb).</summary>
public sealed class LedgerBackends
{
    public const string StoreVariable = "LEDGER_STORE";

    private readonly List<ILedgerBackendKind> kinds = [];

    public static string DefaultPath =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "ledger", "ledger.db");

    /// <summary>The given location, else LEDGER_STORE, else the SQLite file in the user's data directory.</summary>
    public static string Locate(string? location)
    {
        if (!string.IsNullOrWhiteSpace(location))
        {
            return location;
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(StoreVariable);
        return string.IsNullOrWhiteSpace(fromEnvironment) ? $"sqlite:{DefaultPath}" : fromEnvironment;
    }

    public LedgerBackends Add(ILedgerBackendKind kind)
    {
        kinds.Add(kind);
        return this;
    }

    /// <summary>The backend a location names; <paramref name="state"/> names the state store of a backend that keeps it elsewhere.</summary>
    /// <exception cref="InvalidStoreLocationException">The location names no backend this build has.</exception>
    public LedgerBackend Parse(string location, string? state = null) =>
        kinds.Select(kind => kind.ByScheme(location, state, this)).FirstOrDefault(backend => backend is not null)
        ?? kinds.Select(kind => kind.ByShape(location)).FirstOrDefault(backend => backend is not null)
        ?? throw new InvalidStoreLocationException($"--store \"{location}\": unknown store; use {string.Join(", ", kinds.Select(kind => kind.Usage))}");
}

/// <summary>A --store value that names no usable backend (a usage error).</summary>
public sealed class InvalidStoreLocationException : Exception
{
    public InvalidStoreLocationException()
    {
    }

    public InvalidStoreLocationException(string message)
        : base(message)
    {
    }

    public InvalidStoreLocationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
