using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Ledger.Storage;
using Ledger.Verification;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Ledger.Store.Sqlite;

namespace Ledger.Server.Tests;

/// <summary>The server in process on its own temporary SQLite ledger, removed afterwards.</summary>
public sealed class LedgerServerFactory : WebApplicationFactory<Program>
{
    public const string Matter = "microsoft/imod-azure";

    private readonly Dictionary<string, string> settings;
    private readonly Action<IServiceCollection>? services;

    /// <summary><paramref name="services"/> adds test services to the server, such as a startup filter.</summary>
    public LedgerServerFactory(bool loadSample = false, IReadOnlyDictionary<string, string>? settings = null, Action<IServiceCollection>? services = null)
    {
        this.services = services;
        Folder = Path.Combine(Path.GetTempPath(), "ledger-server-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        this.settings = new Dictionary<string, string>
        {
            ["Ledger:Store"] = StoreOption,
            ["Ledger:LoadSample"] = loadSample ? "true" : "false",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            this.settings[key] = value;
        }
    }

    public string Folder { get; }

    public string DbPath => Path.Combine(Folder, "ledger.db");

    public string StoreOption => $"sqlite:{DbPath}";

    /// <summary>The server's clock, when a test moves time; the ledger's own otherwise.</summary>
    public TimeProvider? Clock { get; init; }

    /// <summary>When set, the next append fails as if another writer had moved the matter on.</summary>
    public bool ConflictOnNextAppend { get; set; }

    /// <summary>When set, the next append fails as if the store had gone away.</summary>
    public bool FailOnNextAppend { get; set; }

    public static string SampleText => File.ReadAllText(Ledger.Testing.Checkout.SampleFile);

    public static JsonObject Sample() => JsonNode.Parse(SampleText)!.AsObject();

    public async Task<string> CreateKeyAsync(string owner, string role)
    {
        await using var keys = new SqliteApiKeyStore(DbPath);
        return (await keys.CreateAsync(owner, role, DateTimeOffset.UtcNow)).Secret;
    }

    public HttpClient ClientWithKey(string? secret)
    {
        var client = CreateClient();
        if (secret is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        }

        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            var registered = services.Single(d => d.ServiceType == typeof(IEventStore) && d.ImplementationInstance is not null);
            services.Remove(registered);
            services.AddSingleton<IEventStore>(new ConflictingStore((IEventStore)registered.ImplementationInstance!, this));
            if (Clock is { } clock)
            {
                services.AddSingleton(clock);
            }
            this.services?.Invoke(services);
        });
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The real store and its Merkle log, except that an append can be made to lose a race or fail on purpose.</summary>
    private sealed class ConflictingStore(IEventStore inner, LedgerServerFactory factory) : DelegatingEventStore(inner), IVerifiableStore
    {
        public IMerkleLog Merkle => ((IVerifiableStore)Inner).Merkle;

        public override Task<AppendResult> AppendAsync(string stream, long expectedVersion, IReadOnlyList<EventToAppend> events, CancellationToken cancellationToken = default)
        {
            if (factory.ConflictOnNextAppend)
            {
                factory.ConflictOnNextAppend = false;
                throw ConcurrencyConflictException.WrongVersion(stream, expectedVersion, expectedVersion + 1);
            }

            if (factory.FailOnNextAppend)
            {
                factory.FailOnNextAppend = false;
                throw new IOException("the store went away");
            }

            return base.AppendAsync(stream, expectedVersion, events, cancellationToken);
        }
    }
}

/// <summary>One server with the sample loaded, shared by the read tests of a class.</summary>
public sealed class SampleServer : IAsyncLifetime
{
    // Signs the sample's tree within a moment of the start rather than the default ten seconds: the log tests wait for it.
    public LedgerServerFactory Factory { get; } = new(loadSample: true, new Dictionary<string, string> { ["Ledger:Log:CheckpointSeconds"] = "0.2" });

    public HttpClient Client { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Client = Factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Factory.DisposeAsync();
    }
}
