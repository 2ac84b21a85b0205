using System.Text.Json;
using Ledger.Testing;

namespace Ledger.Verification.Tests;

/// <summary>
/// The transparency-dev/merkle proof vectors in tests/conformance/merkle/testdata: each file is one probe
/// (leafIdx/treeSize/root/leafHash or size1/size2/root1/root2, a base64 proof, desc, wantErr).
/// </summary>
public class MerkleConformanceTests
{
    private static string TestData => Path.Combine(Checkout.Conformance, "merkle", "testdata");

    public static TheoryData<string> InclusionProbes() => Probes("inclusion");

    public static TheoryData<string> ConsistencyProbes() => Probes("consistency");

    [Fact]
    public void The_suite_is_all_there()
    {
        Assert.True(InclusionProbes().Count >= 80, "inclusion probes");
        Assert.True(ConsistencyProbes().Count >= 90, "consistency probes");
    }

    [Theory]
    [MemberData(nameof(InclusionProbes))]
    public void Inclusion(string probe)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestData, probe)));
        var p = json.RootElement;
        var verified = Count(p.GetProperty("leafIdx")) is { } leafIndex && Count(p.GetProperty("treeSize")) is { } treeSize
            && MerkleVerifier.VerifyInclusion(leafIndex, treeSize, Bytes(p.GetProperty("leafHash")), Proof(p.GetProperty("proof")), Bytes(p.GetProperty("root")));
        Assert.Equal(!p.GetProperty("wantErr").GetBoolean(), verified);
        AssertHappyPathIsTheOnlyOneVerified(probe, verified);
    }

    [Theory]
    [MemberData(nameof(ConsistencyProbes))]
    public void Consistency(string probe)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestData, probe)));
        var p = json.RootElement;
        var verified = Count(p.GetProperty("size1")) is { } size1 && Count(p.GetProperty("size2")) is { } size2
            && MerkleVerifier.VerifyConsistency(size1, size2, Bytes(p.GetProperty("root1")), Bytes(p.GetProperty("root2")), Proof(p.GetProperty("proof")));
        Assert.Equal(!p.GetProperty("wantErr").GetBoolean(), verified);
    }

    private static void AssertHappyPathIsTheOnlyOneVerified(string probe, bool verified)
    {
        if (!probe.Contains("additional", StringComparison.Ordinal) && !probe.Contains("single-entry", StringComparison.Ordinal))
        {
            Assert.Equal(Path.GetFileName(probe) == "happy-path.json", verified);
        }
    }

    private static TheoryData<string> Probes(string kind)
    {
        var root = Path.Combine(TestData, kind);
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(root, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(TestData, file));
        }

        return data;
    }

    // The vectors are uint64 (an index "minus one" wraps to 2^64 - 1); the API takes long, as no log reaches 2^63
    // leaves, so a count beyond it is a probe that cannot be asked and counts as rejected.
    private static long? Count(JsonElement value) => value.TryGetInt64(out var count) ? count : null;

    private static byte[] Bytes(JsonElement value) =>
        value.ValueKind == JsonValueKind.Null ? [] : Convert.FromBase64String(value.GetString()!);

    private static byte[][] Proof(JsonElement value) =>
        value.ValueKind == JsonValueKind.Null ? [] : value.EnumerateArray().Select(Bytes).ToArray();
}
