using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Ledger.Verification;

namespace Ledger.Cli.Commands;

/// <summary>
/// `ledger monitor &lt;url&gt;…`: follows ledger servers that claim one log (mirrors, or one server seen from several
/// networks). Each new checkpoint must verify under the log key and extend the last one seen from that server (by the
/// server's consistency proof), and checkpoints from different servers must agree: one root per size, and a proof
/// from the smaller to the larger. On a conflict it writes a split-view evidence bundle, optionally posts it to a
/// webhook, and exits 5.
/// </summary>
public static class MonitorCommand
{
    public static void AddMonitorCommand(this RootCommand root)
    {
        var urls = new Argument<string[]>("ledger-url") { Description = "The ledger servers to follow (their base URLs)", Arity = ArgumentArity.OneOrMore };
        var publicKey = new Option<string?>("--public-key") { Description = "The log's verifier key, or a file holding it (default: the first server's /api/log/key, trusted on first use)" };
        var interval = new Option<double>("--interval") { Description = "Seconds between polls", DefaultValueFactory = _ => 10 };
        var once = new Option<bool>("--once") { Description = "Poll every server once, compare, and exit" };
        var evidence = new Option<string?>("--evidence") { Description = "Where to write the evidence bundle (default: split-view-<time>.json in the current directory)" };
        var webhook = new Option<string?>("--webhook") { Description = "POST the evidence bundle (application/json) to this URL too" };
        var command = new Command("monitor", "Follow ledger servers of one log and detect a split view: checkpoints that do not extend each other") { urls, publicKey, interval, once, evidence, webhook };
        command.SetActionWithoutStore(async (parse, cancellationToken) =>
        {
            var servers = parse.GetValue(urls)!.Select(u => u.TrimEnd('/')).ToList();
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var key = parse.GetValue(publicKey) is { } given
                ? VerifiableLog.PublicKey(given, () => throw new UsageException("--public-key"))
                : VerifiableLog.PublicKey(await http.GetStringAsync(new Uri($"{servers[0]}/api/log/key"), cancellationToken), () => throw new UsageException("--public-key"));
            var monitor = new Monitor(http, key, servers);
            var seconds = parse.GetValue(interval);
            if (!(seconds > 0))
            {
                throw new UsageException("--interval must be a positive number of seconds");
            }

            while (true)
            {
                var found = await monitor.PollAsync(cancellationToken);
                if (found is not null)
                {
                    var path = Path.GetFullPath(parse.GetValue(evidence) ?? $"split-view-{found.DetectedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}.json");
                    await File.WriteAllTextAsync(path, found.ToJson() + "\n", cancellationToken);
                    Console.Error.WriteLine($"ledger: SPLIT VIEW of {found.Origin}: {found.Finding}; evidence written to {path}");
                    if (parse.GetValue(webhook) is { } hook)
                    {
                        using var content = new StringContent(found.ToJson(), Encoding.UTF8, "application/json");
                        using var posted = await http.PostAsync(new Uri(hook), content, cancellationToken);
                        Console.Error.WriteLine($"posted the evidence to {hook}: {(int)posted.StatusCode}");
                    }

                    return ExitCodes.VerificationFailed;
                }

                if (parse.GetValue(once))
                {
                    Console.WriteLine($"consistent: {string.Join(", ", monitor.Seen.Select(s => $"{s.Key} at size {s.Value.Size}"))}");
                    return ExitCodes.Ok;
                }

                await Task.Delay(TimeSpan.FromSeconds(seconds), cancellationToken);
            }
        });
        root.Subcommands.Add(command);
    }

    private sealed record Seen(long Size, byte[] Root, string Note);

    private sealed class Monitor(HttpClient http, NoteVerifier key, IReadOnlyList<string> servers)
    {
        public Dictionary<string, Seen> Seen { get; } = new(StringComparer.Ordinal);

        public async Task<SplitViewEvidence?> PollAsync(CancellationToken cancellationToken)
        {
            foreach (var server in servers)
            {
                string note;
                try
                {
                    note = await http.GetStringAsync(new Uri($"{server}/api/log/checkpoint"), cancellationToken);
                }
                catch (HttpRequestException e)
                {
                    Console.Error.WriteLine($"ledger: {server}: no checkpoint ({e.Message}); trying again in the next round");
                    continue;
                }

                Checkpoint checkpoint;
                try
                {
                    checkpoint = Checkpoint.Open(note, key.Name, [key]);
                }
                catch (NoteVerificationException e)
                {
                    // A checkpoint that does not verify commits the log to nothing: not evidence, but worth saying.
                    Console.Error.WriteLine($"ledger: {server}: its checkpoint does not verify under {key.Name}: {e.Message}");
                    continue;
                }

                var now = new Seen(checkpoint.Size, checkpoint.RootHash.ToArray(), note);
                if (Seen.TryGetValue(server, out var before) && await ConflictAsync(server, before, server, now, cancellationToken) is { } conflict)
                {
                    return conflict;
                }

                if (before is null || now.Size >= before.Size)
                {
                    Seen[server] = now;
                }
            }

            var seen = Seen.ToList();
            for (var i = 0; i < seen.Count; i++)
            {
                for (var j = i + 1; j < seen.Count; j++)
                {
                    if (await ConflictAsync(seen[i].Key, seen[i].Value, seen[j].Key, seen[j].Value, cancellationToken) is { } conflict)
                    {
                        return conflict;
                    }
                }
            }

            return null;
        }

        /// <summary>Evidence when the two checkpoints cannot both be of one append-only log; the proof is asked of the larger one's server.</summary>
        private async Task<SplitViewEvidence?> ConflictAsync(string firstServer, Seen first, string secondServer, Seen second, CancellationToken cancellationToken)
        {
            var ((smallServer, small), (largeServer, large)) = first.Size <= second.Size ? ((firstServer, first), (secondServer, second)) : ((secondServer, second), (firstServer, first));
            if (small.Size == large.Size)
            {
                return small.Root.AsSpan().SequenceEqual(large.Root) ? null
                    : Evidence($"two checkpoints of tree size {small.Size} with different roots ({smallServer}, {largeServer})", smallServer, small, largeServer, large, null);
            }

            if (small.Size == 0)
            {
                return null;
            }

            IReadOnlyList<string> path;
            try
            {
                using var proof = JsonDocument.Parse(await http.GetStringAsync(
                    new Uri($"{largeServer}/api/log/proofs/consistency?from={small.Size.ToString(CultureInfo.InvariantCulture)}&to={large.Size.ToString(CultureInfo.InvariantCulture)}"), cancellationToken));
                path = [.. proof.RootElement.GetProperty("path").EnumerateArray().Select(h => h.GetString() ?? "")];
            }
            catch (Exception e) when (e is HttpRequestException or JsonException or KeyNotFoundException or InvalidOperationException)
            {
                Console.Error.WriteLine($"ledger: {largeServer}: no consistency proof from size {small.Size} to {large.Size} ({e.Message}); trying again in the next round");
                return null;
            }

            var hashes = path.Select(h => Convert.TryFromBase64String(h, new byte[MerkleHashes.Size], out var n) && n == MerkleHashes.Size ? Convert.FromBase64String(h) : []).ToList();
            if (MerkleVerifier.VerifyConsistency(small.Size, large.Size, small.Root, large.Root, hashes))
            {
                return null;
            }

            var served = new ServedConsistencyProof(largeServer, small.Size, large.Size, path);
            var finding = MerkleVerifier.ProvesFork(small.Size, large.Size, small.Root, large.Root, hashes)
                ? $"the checkpoint of size {large.Size} ({largeServer}) does not extend the one of size {small.Size} ({smallServer}): its server's consistency proof implies another root at size {small.Size}"
                : $"the consistency proof {largeServer} serves from size {small.Size} to {large.Size} does not verify against the signed roots";
            return Evidence(finding, smallServer, small, largeServer, large, served);
        }

        private SplitViewEvidence Evidence(string finding, string firstServer, Seen first, string secondServer, Seen second, ServedConsistencyProof? proof) =>
            new(key.Name, key.ToString(), DateTimeOffset.UtcNow, finding, new ObservedCheckpoint(firstServer, first.Note), new ObservedCheckpoint(secondServer, second.Note), proof);
    }
}
