using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Ledger.Stores.Postgres;

/// <summary>
/// A real PostgreSQL for the tests: LEDGER_TEST_POSTGRES when set, else a throwaway cluster started from the
/// server binaries on this machine, in a temp folder, on 127.0.0.1 and a free port, removed afterwards.
/// </summary>
public sealed class PostgresCluster : Xunit.IAsyncLifetime
{
    private string? dataDirectory;
    private string? bin;

    public string ConnectionString { get; private set; } = string.Empty;

    public bool IsThrowaway => dataDirectory is not null;

    public async Task InitializeAsync()
    {
        var given = Environment.GetEnvironmentVariable("LEDGER_TEST_POSTGRES");
        if (!string.IsNullOrWhiteSpace(given))
        {
            ConnectionString = given;
            return;
        }

        bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb"))).Order(StringComparer.Ordinal).LastOrDefault()
            : null;
        if (bin is null)
        {
            throw new InvalidOperationException("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin: run ops/postgres/ensure-installed.sh (the test command does), or set LEDGER_TEST_POSTGRES");
        }

        dataDirectory = Directory.CreateTempSubdirectory("ledger-pg-").FullName;
        if (IsRoot)
        {
            // initdb refuses root: the cluster belongs to the postgres user.
            await RunAsync("chown", "postgres", dataDirectory);
        }

        var port = FreePort();
        await RunAsPostgresAsync(Path.Combine(bin, "initdb"), "-D", dataDirectory, "-U", "ledger", "--auth=trust", "--locale=C.UTF-8", "--encoding=UTF8", "--no-sync");
        await RunAsPostgresAsync(Path.Combine(bin, "pg_ctl"), "-D", dataDirectory, "-l", Path.Combine(dataDirectory, "server.log"), "-w", "-t", "60",
            "-o", $"-c listen_addresses=127.0.0.1 -p {port} -k {dataDirectory} -c max_connections=200", "start");
        ConnectionString = $"Host=127.0.0.1;Port={port};Username=ledger;Database=postgres";
    }

    /// <summary>A fresh, empty database on this server, so that tests never see each other's data.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"ledger_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"CREATE DATABASE {name}";
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Restarts the throwaway server, dropping every connection (pg_ctl restart -m fast keeps its options).</summary>
    public async Task RestartAsync()
    {
        if (dataDirectory is null || bin is null)
        {
            throw new InvalidOperationException("only a throwaway cluster can be restarted by the tests");
        }

        await RunAsPostgresAsync(Path.Combine(bin, "pg_ctl"), "-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "restart");

        // Pooled connections died with the old server process.
        NpgsqlConnection.ClearAllPools();
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (dataDirectory is null || bin is null)
        {
            return;
        }

        await RunAsPostgresAsync(Path.Combine(bin, "pg_ctl"), "-D", dataDirectory, "-m", "immediate", "-w", "stop");
        Directory.Delete(dataDirectory, recursive: true);
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Task RunAsPostgresAsync(string program, params string[] arguments) =>
        IsRoot ? RunAsync("runuser", ["-u", "postgres", "--", program, .. arguments]) : RunAsync(program, arguments);

    private static async Task RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {await error}{await output}");
        }
    }
}

[Xunit.CollectionDefinition(Name)]
public sealed class PostgresCollection : Xunit.ICollectionFixture<PostgresCluster>
{
    public const string Name = "postgres";
}
