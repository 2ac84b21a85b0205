namespace Ledger.Diffing.Tests;

// shared/ lives beside the checkout (X/main and X/shared), so it is found by walking up from the test binaries.
internal static class SharedFolder
{
    public const string EnvironmentVariable = "LEDGER_SHARED";

    private static readonly Lazy<string> Located = new(Locate);

    public static string Path => Located.Value;

    public static string JsonPatchSuite(string fileName) =>
        System.IO.Path.Combine(Path, "conformance", "json-patch", fileName);

    private static string Locate()
    {
        var overridden = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(overridden))
        {
            return Directory.Exists(System.IO.Path.Combine(overridden, "conformance"))
                ? System.IO.Path.GetFullPath(overridden)
                : throw new InvalidOperationException(
                    $"{EnvironmentVariable} is set to \"{overridden}\", but that folder has no conformance/ subfolder.");
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared");
            if (Directory.Exists(System.IO.Path.Combine(candidate, "conformance")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            $"Could not find shared/conformance in any ancestor of {AppContext.BaseDirectory}. The public conformance "
            + $"suites live in a shared/ folder beside the repository checkout; lay it there or set {EnvironmentVariable} "
            + "to the path of the shared folder.");
    }
}
