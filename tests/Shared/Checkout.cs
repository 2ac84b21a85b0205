namespace Ledger.Testing;

/// <summary>The checkout the tests run from: found by walking up from the test binaries to the folder holding Ledger.sln.</summary>
public static class Checkout
{
    private static readonly Lazy<string> Located = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ledger.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Ledger.sln not found above {AppContext.BaseDirectory}");
    });

    public static string Root => Located.Value;

    public static string SampleFile => Path.Combine(Root, "samples", "microsoft-imod-azure.json");

    /// <summary>The read-only shared/ folder beside the checkout (LEDGER_SHARED overrides it), holding the public conformance suites.</summary>
    public static string Shared
    {
        get
        {
            var overridden = Environment.GetEnvironmentVariable("LEDGER_SHARED");
            if (!string.IsNullOrEmpty(overridden))
            {
                return overridden;
            }

            for (var dir = new DirectoryInfo(Root); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared");
                if (Directory.Exists(Path.Combine(candidate, "conformance")))
                {
                    return candidate;
                }
            }

            throw new InvalidOperationException($"no shared/conformance folder above {Root}; set LEDGER_SHARED");
        }
    }
}
