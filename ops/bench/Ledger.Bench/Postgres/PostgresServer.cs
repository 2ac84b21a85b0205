using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Ledger.Bench.Postgres;

/// <summary>
/// The PostgreSQL the bench measures on: LEDGER_BENCH_POSTGRES when set, else a throwaway cluster started from the
/// server binaries on this machine (the recipe of tests/Ledger.Stores/Postgres/PostgresCluster.cs), removed afterwards.
/// </summary>
internal sealed class PostgresServer : IAsyncDisposable
{
    public const string Variable = "LEDGER_BENCH_POSTGRES";

    private readonly string? dataDirectory;
    private readonly string? bin;

    private PostgresServer(string connectionString, string origin, string? bin = null, string? dataDirectory = null)
    {
        ConnectionString = connectionString;
        Origin = origin;
        this.bin = bin;
        this.dataDirectory = dataDirectory;
    }

    /// <summary>A connection string to a database from which this server accepts CREATE DATABASE.</summary>
    public string ConnectionString { get; }

    /// <summary>Where the server comes from, for the report.</summary>
    public string Origin { get; }

    private static string? Given => Environment.GetEnvironmentVariable(Variable) is { } given && !string.IsNullOrWhiteSpace(given) ? given : null;

    private static bool IsRoot => Environment.UserName == "root";

    /// <summary>Why no server can be had, or null when one can.</summary>
    public static string? WhyUnavailable() =>
        Given is null && FindBinaries() is null
            ? $"no PostgreSQL server binaries under /usr/lib/postgresql/*/bin and {Variable} is unset (run ops/postgres/ensure-installed.sh, or set {Variable} to a server where the bench may CREATE DATABASE)"
            : null;

    public static async Task<PostgresServer> StartAsync(CancellationToken cancellationToken)
    {
        if (Given is { } given)
        {
            return new PostgresServer(given, Variable);
        }

        var bin = FindBinaries() ?? throw new InvalidOperationException(WhyUnavailable());
        var data = Directory.CreateTempSubdirectory("ledger-bench-pg-").FullName;
        var server = new PostgresServer($"Host=127.0.0.1;Port={FreePort()};Username=ledger;Database=postgres", "throwaway cluster of the machine's PostgreSQL server binaries", bin, data);
        try
        {
            if (IsRoot)
            {
                // initdb refuses root: the cluster belongs to the postgres user.
                await RunAsync("chown", ["postgres", data], cancellationToken);
            }

            var port = new NpgsqlConnectionStringBuilder(server.ConnectionString).Port;
            await RunAsPostgresAsync(Path.Combine(bin, "initdb"), ["-D", data, "-U", "ledger", "--auth=trust", "--locale=C.UTF-8", "--encoding=UTF8", "--no-sync"], cancellationToken);

            // Server settings stay at their defaults (fsync on, synchronous_commit on): the figures are for durable appends.
            await RunAsPostgresAsync(Path.Combine(bin, "pg_ctl"), ["-D", data, "-l", Path.Combine(data, "server.log"), "-w", "-t", "60",
                "-o", $"-c listen_addresses=127.0.0.1 -p {port} -k {data}", "start"], cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Processor time the throwaway cluster has used so far: the postmaster with its reaped children (ended backends)
    /// and its live children; null for a server given by <see cref="Variable"/> or off Linux.
    /// </summary>
    public TimeSpan? ProcessorTime()
    {
        if (dataDirectory is null || !File.Exists(Path.Combine(dataDirectory, "postmaster.pid")))
        {
            return null;
        }

        var postmaster = File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First().Trim();
        long ticks = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(directory);
            if (!name.All(char.IsAsciiDigit))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(directory, "stat"));
            }
            catch (IOException)
            {
                continue;
            }

            // Fields after the command name (which may hold spaces): state ppid ... utime(14) stime(15) cutime(16) cstime(17).
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (name == postmaster)
            {
                ticks += long.Parse(fields[11]) + long.Parse(fields[12]) + long.Parse(fields[13]) + long.Parse(fields[14]);
            }
            else if (fields[1] == postmaster)
            {
                ticks += long.Parse(fields[11]) + long.Parse(fields[12]);
            }
        }

        // USER_HZ is 100 on every Linux the bench runs on.
        return TimeSpan.FromMilliseconds(ticks * 10);
    }

    /// <summary>A fresh, empty database, so that runs never see each other's rows; its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string label, CancellationToken cancellationToken)
    {
        var name = $"ledger_bench_{label.Replace('-', '_')}_{Guid.NewGuid().ToString("N")[..12]}";
        await ExecuteAsync($"CREATE DATABASE {name}", cancellationToken);
        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Drops a database made by <see cref="CreateDatabaseAsync"/>, closing what still holds it open.</summary>
    public async Task DropDatabaseAsync(string connectionString, CancellationToken cancellationToken)
    {
        NpgsqlConnection.ClearAllPools();
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        await ExecuteAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", cancellationToken);
    }

    /// <summary>The version and the settings that decide what a commit costs.</summary>
    public async Task<string> DescribeAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        var settings = new List<string>();
        foreach (var setting in new[] { "server_version", "fsync", "synchronous_commit", "wal_sync_method", "full_page_writes", "shared_buffers" })
        {
            await using var command = new NpgsqlCommand($"SHOW {setting}", connection);
            settings.Add($"{setting} {await command.ExecuteScalarAsync(cancellationToken)}");
        }

        return $"PostgreSQL ({Origin}): {string.Join(", ", settings)}";
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (dataDirectory is null || bin is null)
        {
            return;
        }

        if (File.Exists(Path.Combine(dataDirectory, "postmaster.pid")))
        {
            await RunAsPostgresAsync(Path.Combine(bin, "pg_ctl"), ["-D", dataDirectory, "-m", "immediate", "-w", "stop"], CancellationToken.None);
        }

        Directory.Delete(dataDirectory, recursive: true);
    }

    private static string? FindBinaries() =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb")))
                .Order(StringComparer.Ordinal).LastOrDefault()
            : null;

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Task RunAsPostgresAsync(string program, string[] arguments, CancellationToken cancellationToken) =>
        IsRoot ? RunAsync("runuser", ["-u", "postgres", "--", program, .. arguments], cancellationToken) : RunAsync(program, arguments, cancellationToken);

    private static async Task RunAsync(string program, string[] arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {await error}{await output}");
        }
    }
}
