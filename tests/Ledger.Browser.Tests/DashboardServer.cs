using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ledger.Testing;
using Microsoft.Playwright;

namespace Ledger.Browser.Tests;

/// <summary>
/// The real server as a child process (Ledger.Server.dll from the test output folder) on a SQLite ledger holding the
/// sample, a document full of markup (to check escaping) and a small matter for the live-update test; and Debian's
/// chromium driven by Playwright (no browser is downloaded).
/// </summary>
public sealed class DashboardServer : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string SampleMatter = "microsoft/imod-azure";
    public const string EscapingMatter = "example/escaping";
    public const string LiveMatter = "example/live";
    public const string StreamMatter = "example/stream";

    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic",
    ];

    private readonly StringBuilder output = new();
    private Process? server;
    private IPlaywright? playwright;

    public string Folder { get; } = Directory.CreateTempSubdirectory("ledger-browser-").FullName;

    public string Store => "sqlite:" + Path.Combine(Folder, "ledger.db");

    public string BaseUrl { get; private set; } = string.Empty;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where the screenshots go: TestResults/screenshots in the test output folder.</summary>
    public static string Screenshots { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots")).FullName;

    public string ServerOutput
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: install Debian's chromium package (ops/test.sh does so as root)");
        }

        // The sample is imported here rather than loaded by the server, since the server loads it only into an empty ledger.
        var escaping = Path.Combine(Folder, "escaping.json");
        await File.WriteAllTextAsync(escaping, Documents.Escaping);
        var live = Path.Combine(Folder, "live.json");
        await File.WriteAllTextAsync(live, Documents.LiveFirst);
        var stream = Path.Combine(Folder, "stream.json");
        await File.WriteAllTextAsync(stream, Documents.StreamFirst);
        var import = await ImportAsync(Checkout.SampleFile, escaping, live, stream);
        Assert.True(import.ExitCode == 0, "the import failed: " + import.Output);

        var port = FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        var info = Dotnet(Path.Combine(AppContext.BaseDirectory, "Ledger.Server.dll"), $"--Ledger:Store={Store}", "--Ledger:LoadSample=false", "--urls", BaseUrl);
        server = new Process { StartInfo = info };
        server.OutputDataReceived += (_, e) => Collect(e.Data);
        server.ErrorDataReceived += (_, e) => Collect(e.Data);
        server.Start();
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        await WaitUntilReadyAsync();

        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
            Timeout = 60_000,
        });
    }

    public async Task DisposeAsync()
    {
        if (playwright is not null)
        {
            await Browser.DisposeAsync();
            playwright.Dispose();
        }

        if (server is not null)
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }

            server.Dispose();
            await File.WriteAllTextAsync(Path.Combine(Screenshots, "..", "server.log"), ServerOutput);
        }

        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open; the temporary folder is cleaned by the system.
        }
    }

    /// <summary>A page in a browser context of its own, 1280 pixels wide.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        // Generous: the machine is small and shared, and the first render of each page warms the server up.
        page.SetDefaultTimeout(30_000);
        page.SetDefaultNavigationTimeout(45_000);
        return page;
    }

    public static async Task ScreenshotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });

    /// <summary>Runs `ledger --store ... import files...` from the test output folder.</summary>
    public Task<(int ExitCode, string Output)> ImportAsync(params string[] files) => LedgerAsync(["import", .. files]);

    private async Task<(int ExitCode, string Output)> LedgerAsync(string[] args)
    {
        var info = Dotnet(Path.Combine(AppContext.BaseDirectory, "ledger.dll"), ["--store", Store, .. args]);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(cancel.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private async Task WaitUntilReadyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (server!.HasExited)
            {
                throw new InvalidOperationException($"the server exited with {server.ExitCode}:{Environment.NewLine}{ServerOutput}");
            }

            try
            {
                using var response = await http.GetAsync(BaseUrl + "/health/ready");
                // Ready, and the sample's overdue promise in the feed: that notice would otherwise reach an open page as
                // a live update and replace its content while a test clicks in it.
                if (response.StatusCode == HttpStatusCode.OK && (await LedgerAsync(["notifications", "--kind", "promise-overdue", "--json"])).Output.Contains("lessons-learned", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"the server was not ready within 90 s:{Environment.NewLine}{ServerOutput}");
    }

    private void Collect(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static ProcessStartInfo Dotnet(string dll, params string[] args)
    {
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{Path.GetFileName(dll)} is not in the test output folder {AppContext.BaseDirectory}", dll);
        }

        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // The developer's own ledger settings must not leak into a test.
        info.Environment.Remove("LEDGER_STORE");
        info.Environment.Remove("LEDGER_CLOCK_OFFSET");
        info.Environment["LEDGER_ACTOR"] = "browser-tests";
        info.Environment["NO_COLOR"] = "1";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        return info;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardServer>
{
    public const string Name = "dashboard";
}

/// <summary>Documents the tests write into the ledger.</summary>
public static class Documents
{
    /// <summary>Markup in every field a person can write: none of it may run or render as markup.</summary>
    public const string Escaping = """
        {
          "matter": "example/escaping",
          "organization": "Acme <i>Corp</i> & \"Sons\"",
          "title": "<script>window.__xss = 'title'</script>Escaping <b>check</b>",
          "statements": [
            {
              "id": "acme-1", "type": "ReviewLaunched", "publishedAt": "2025-01-10",
              "speaker": { "name": "<img src=x onerror=\"window.__xss='speaker'\">", "role": "spokesperson" },
              "source": { "url": "https://example.org/a?q=\"><script>window.__xss='url'</script>", "title": "<b>Source</b> title", "publisher": "<i>Pub</i>" },
              "quote": "We said \"<script>window.__xss = 'quote'</script>\" & <img src=x onerror=\"window.__xss='img'\"> nothing more.",
              "reviewer": "</td><script>window.__xss='reviewer'</script>", "scope": "<u>scope</u>", "principles": ["<em>principle</em>"]
            },
            {
              "id": "acme-2", "type": "DisclosurePromised", "publishedAt": "2025-02-01",
              "source": { "title": "Promise source" },
              "quote": "We will publish <script>window.__xss = 'quote2'</script> a report.",
              "promise": { "id": "report", "what": "<svg onload=\"window.__xss='what'\"></svg> the report", "dueBy": "2025-03-01", "dueText": "</title><script>window.__xss='due'</script>" }
            }
          ]
        }
        """;

    public const string LiveFirst = """
        { "matter": "example/live", "organization": "Example Live", "title": "Live update check",
          "statements": [ { "id": "live-1", "type": "ReviewLaunched", "publishedAt": "2025-03-01", "source": { "title": "first" }, "quote": "A review starts.", "reviewer": "Someone" } ] }
        """;

    public const string StreamFirst = """
        { "matter": "example/stream", "organization": "Example Live", "title": "Server stream check",
          "statements": [ { "id": "stream-1", "type": "ReviewLaunched", "publishedAt": "2025-03-01", "source": { "title": "first" }, "quote": "A review starts.", "reviewer": "Someone" } ] }
        """;

    public const string StreamSecond = """
        { "matter": "example/stream",
          "statements": [ { "id": "stream-2", "type": "DisclosurePromised", "publishedAt": "2025-04-01", "source": { "title": "second" }, "quote": "A report will follow.",
            "promise": { "id": "report", "what": "the report", "dueBy": "2025-05-01" } } ] }
        """;

    public const string LiveSecond = """
        { "matter": "example/live",
          "statements": [ { "id": "live-2", "type": "ReviewConcluded", "publishedAt": "2025-04-01", "source": { "title": "second" }, "quote": "The review is over.", "outcome": "done" } ] }
        """;
}
