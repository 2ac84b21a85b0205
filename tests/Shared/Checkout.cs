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

    /// <summary>The public conformance suites vendored under tests/conformance, each with its upstream licence.</summary>
    public static string Conformance => Path.Combine(Root, "tests", "conformance");
}
