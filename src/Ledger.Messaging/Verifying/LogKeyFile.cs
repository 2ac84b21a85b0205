using Ledger.Messaging.Hosting;
using Ledger.Verification;

namespace Ledger.Messaging.Verifying;

/// <summary>
/// The log's private signing key on disk: one line, <c>PRIVATE+KEY+&lt;origin&gt;+…</c>, readable by its owner only.
/// A SQLite ledger keeps it beside its file (<c>&lt;ledger&gt;.log.key</c>); a PostgreSQL ledger has no such place, so its
/// key file is always named (<c>--key-file</c> or <c>Ledger:Log:KeyFile</c>).
/// </summary>
public static class LogKeyFile
{
    public const string Extension = ".log.key";

    /// <summary>The origin a key is named with when none is given.</summary>
    public static string DefaultOrigin => $"{Environment.MachineName.ToLowerInvariant()}/ledger";

    /// <summary>The key file the settings name, else the backend's default place; null when there is neither.</summary>
    public static string? Configured(LogOptions options, LedgerBackend backend)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.KeyFile is { } named ? Path.GetFullPath(named) : DefaultPath(backend);
    }

    /// <summary>Where a backend's key lives by default; null when it has no default place.</summary>
    public static string? DefaultPath(LedgerBackend backend) =>
        backend.FileBeside(Extension);

    /// <summary>The key file named, else the one in the environment (<see cref="LogOptions.KeyFileVariable"/>), else the backend's default.</summary>
    /// <exception cref="LogKeyException">None is named and the backend has no default place.</exception>
    public static string Locate(LedgerBackend backend, string? named)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (!string.IsNullOrWhiteSpace(named))
        {
            return Path.GetFullPath(named);
        }

        if (Environment.GetEnvironmentVariable(LogOptions.KeyFileVariable) is { Length: > 0 } fromEnvironment)
        {
            return Path.GetFullPath(fromEnvironment);
        }

        return DefaultPath(backend)
            ?? throw new LogKeyException($"this ledger keeps its log key in no default place: give --key-file (or set {LogOptions.Section}:KeyFile)");
    }

    /// <exception cref="LogKeyException">The file is missing, unreadable or holds no private note key.</exception>
    public static NoteSigner Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new LogKeyException($"{path}: no log key there; create one with: ledger log key create --name <origin>", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new LogKeyException($"{path}: cannot read the log key ({ex.Message})", ex);
        }

        try
        {
            return NoteSigner.Parse(text.Trim());
        }
        catch (FormatException ex)
        {
            throw new LogKeyException($"{path}: {ex.Message}", ex);
        }
    }

    /// <summary>Writes the key, readable and writable by its owner only; an existing file is replaced only when <paramref name="force"/>.</summary>
    /// <exception cref="LogKeyException">The file exists and <paramref name="force"/> is false, or it cannot be written.</exception>
    public static void Write(string path, NoteSigner signer, bool force)
    {
        ArgumentNullException.ThrowIfNull(signer);
        if (File.Exists(path) && !force)
        {
            throw new LogKeyException($"{path}: a log key is already there; replacing it makes checkpoints signed with it unverifiable with the new one: pass --force to replace it");
        }

        WritePrivate(path, signer.ExportPrivateKey(), force);
    }

    /// <summary>Writes a private key's text (a witness's too) to a file readable and writable by its owner only.</summary>
    /// <exception cref="LogKeyException">The file exists and <paramref name="force"/> is false, or it cannot be written.</exception>
    public static void WritePrivate(string path, string privateKey, bool force)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        if (File.Exists(path) && !force)
        {
            throw new LogKeyException($"{path}: a key is already there: pass --force to replace it");
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(directory);

            // Created 0600 from the start, then moved over the old file, so the key is never readable by others.
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var writer = new StreamWriter(temporary, options))
            {
                writer.Write(privateKey + "\n");
            }

            File.Move(temporary, path, overwrite: force);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            File.Delete(temporary);
            throw new LogKeyException($"{path}: cannot write the key ({ex.Message})", ex);
        }
    }
}

/// <summary>The log key cannot be found, read or written; the message names the file.</summary>
public sealed class LogKeyException : Exception
{
    public LogKeyException()
    {
    }

    public LogKeyException(string message)
        : base(message)
    {
    }

    public LogKeyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
