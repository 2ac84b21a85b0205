using System.Text.RegularExpressions;
using Ledger.Messaging.Webhooks;

namespace Ledger.Specs;

public partial class WebhookSignatureSpecs
{
    [Fact]
    public void The_standard_webhooks_known_answer_from_the_conformance_notes_holds()
    {
        var notes = File.ReadAllText(Path.Combine(Ledger.Testing.Checkout.Conformance, "standard-webhooks", "README.md")).ReplaceLineEndings(" ");
        var known = KnownAnswer().Match(notes);
        Assert.True(known.Success, "the known-answer test is not in tests/conformance/standard-webhooks/README.md any more");
        var (secret, id, timestamp, body, signature) = (known.Groups["secret"].Value, known.Groups["id"].Value, long.Parse(known.Groups["ts"].Value, System.Globalization.CultureInfo.InvariantCulture), known.Groups["body"].Value, known.Groups["sig"].Value);

        Assert.Equal(signature, WebhookSignature.Sign(secret, id, timestamp, body));
        Assert.True(WebhookSignature.Verify(secret, id, timestamp, body, "v1,bm90IGl0 " + signature));
        Assert.False(WebhookSignature.Verify(secret, id, timestamp, body + " ", signature));
        Assert.False(WebhookSignature.Verify(secret, id, timestamp + 1, body, signature));
    }

    [Fact]
    public void New_secrets_carry_the_whsec_prefix_and_32_random_bytes()
    {
        var a = WebhookSignature.NewSecret();
        var b = WebhookSignature.NewSecret();

        Assert.StartsWith("whsec_", a, StringComparison.Ordinal);
        Assert.Equal(32, Convert.FromBase64String(a["whsec_".Length..]).Length);
        Assert.NotEqual(a, b);
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("10.1.2.3", true)]
    [InlineData("172.20.0.1", true)]
    [InlineData("192.168.1.1", true)]
    [InlineData("169.254.169.254", true)]
    [InlineData("::1", true)]
    [InlineData("fd00::1", true)]
    [InlineData("::ffff:10.0.0.1", true)]
    [InlineData("93.184.216.34", false)]
    [InlineData("2606:2800:220:1::", false)]
    [InlineData("64:ff9b::a9fe:a9fe", true)]
    [InlineData("64:ff9b::808:808", false)]
    [InlineData("64:ff9b:1::a9fe:a9fe", true)]
    [InlineData("64:ff9b:1:a9fe:a9:fe00::", true)]
    [InlineData("::a9fe:a9fe", true)]
    [InlineData("::808:808", false)]
    [InlineData("2002:a9fe:a9fe::", true)]
    [InlineData("2002:808:808::", false)]
    [InlineData("2001:0:4136:e378:8000:63bf:5601:5601", true)]
    [InlineData("2001:0:4136:e378:8000:63bf:f7f7:f7f7", false)]
    public void Private_loopback_and_link_local_targets_are_recognised(string address, bool isPrivate) =>
        Assert.Equal(isPrivate, WebhookTargets.IsPrivate(System.Net.IPAddress.Parse(address)));

    [Fact]
    public async Task A_loopback_target_is_refused_unless_allowed_and_only_http_urls_are_accepted()
    {
        Assert.Contains("private, loopback or link-local", await WebhookTargets.ProblemAsync("http://127.0.0.1:9/hook", false, default), StringComparison.Ordinal);
        Assert.Null(await WebhookTargets.ProblemAsync("http://127.0.0.1:9/hook", true, default));
        Assert.Contains("not an absolute http or https URL", await WebhookTargets.ProblemAsync("ftp://example.org/x", true, default), StringComparison.Ordinal);
    }

    [Fact]
    public void Backoff_doubles_from_the_base_up_to_the_cap()
    {
        var settings = new WebhookSettings(RetryBaseSeconds: 2, RetryCapSeconds: 30);

        Assert.Equal([2.0, 4, 8, 16, 30, 30], Enumerable.Range(1, 6).Select(n => settings.Backoff(n).TotalSeconds));
    }

    [GeneratedRegex("secret `(?<secret>[^`]+)`, id `(?<id>[^`]+)`, timestamp\\s+`(?<ts>\\d+)`, body `(?<body>[^`]+)` → `webhook-signature: (?<sig>[^`]+)`")]
    private static partial Regex KnownAnswer();
}
