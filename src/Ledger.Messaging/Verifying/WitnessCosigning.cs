using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Ledger.Verification;
using Microsoft.Extensions.Logging;

namespace Ledger.Messaging.Verifying;

/// <summary>A witness the log sends its checkpoints to: the submission prefix of its C2SP tlog-witness API, and its verifier key.</summary>
public sealed record WitnessEndpoint(Uri Url, WitnessVerifier Key)
{
    /// <exception cref="FormatException">The URL is not absolute http(s), or the key is not a witness verifier key; the message names <paramref name="where"/>.</exception>
    public static WitnessEndpoint Parse(string url, string key, string where)
    {
        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new FormatException($"{where}: \"{url}\" is not an http(s) URL of a witness");
        }

        try
        {
            return new WitnessEndpoint(uri, WitnessVerifier.Parse(key));
        }
        catch (FormatException e)
        {
            throw new FormatException($"{where}: {e.Message}", e);
        }
    }

    /// <exception cref="FormatException">The quorum cannot be met by these witnesses.</exception>
    public static WitnessPolicy Policy(IReadOnlyList<WitnessEndpoint> witnesses, int? quorum, string where)
    {
        ArgumentNullException.ThrowIfNull(witnesses);
        try
        {
            return WitnessPolicy.Of([.. witnesses.Select(w => w.Key)], quorum);
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"{where}: {e.Message}", e);
        }
    }

    public Uri AddCheckpoint => new(Url.AbsoluteUri.TrimEnd('/') + "/add-checkpoint");
}

/// <summary>
/// Sends a new checkpoint to every witness at once (C2SP tlog-witness add-checkpoint) with the consistency proof from
/// the size that witness last cosigned, and adds the cosignatures that verify. The size a witness last cosigned is
/// remembered; at first it is guessed from the latest kept checkpoint, and a 409 answer gives the right one, which is
/// tried once more. A witness that is away or refuses is logged and skipped: the checkpoint is kept anyway, and counts
/// as witnessed only with a quorum of cosignatures.
/// </summary>
public sealed class WitnessCosigning(IReadOnlyList<WitnessEndpoint> witnesses, HttpClient http, ILogger logger) : ICheckpointCosigning
{
    private const string SizeType = "text/x.tlog.size";
    private readonly ConcurrentDictionary<string, long> cosignedSizes = new(StringComparer.Ordinal);

    public async Task<string> CosignAsync(string note, Checkpoint checkpoint, IMerkleNodeSource tree, StoredCheckpoint? latest, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var lines = await Task.WhenAll(witnesses.Select(w => AskAsync(w, note, checkpoint, tree, latest, cancellationToken)));
        return Cosignatures.Add(note, lines.OfType<string>());
    }

    private async Task<string?> AskAsync(WitnessEndpoint witness, string note, Checkpoint checkpoint, IMerkleNodeSource tree, StoredCheckpoint? latest, CancellationToken cancellationToken)
    {
        var name = witness.Key.ToString();
        var oldSize = cosignedSizes.TryGetValue(name, out var known) ? known
            : latest is not null && latest.Note.Contains($"\n\u2014 {witness.Key.Name} ", StringComparison.Ordinal) ? latest.TreeSize : 0;
        try
        {
            for (var attempt = 0; attempt < 3; attempt++)
            {
                if (oldSize > checkpoint.Size)
                {
                    logger.LogCritical("witness {Witness} cosigned a tree of {Old} leaves, larger than this log's {Size}: it saw another view of this log", witness.Key.Name, oldSize, checkpoint.Size);
                    return null;
                }

                var proof = oldSize == 0 || oldSize == checkpoint.Size ? [] : await MerkleProofs.ConsistencyAsync(tree, oldSize, checkpoint.Size, cancellationToken);
                using var content = new StringContent(new AddCheckpointRequest(oldSize, proof, note).ToBody(), Encoding.UTF8, "text/plain");
                using var response = await http.PostAsync(witness.AddCheckpoint, content, cancellationToken);
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var line = Verified(witness, note, body);
                    if (line is not null)
                    {
                        cosignedSizes[name] = checkpoint.Size;
                    }

                    return line;
                }

                if (response.StatusCode == HttpStatusCode.Conflict && response.Content.Headers.ContentType?.MediaType == SizeType
                    && AddCheckpointRequest.IsDecimal(body.TrimEnd('\n'), out var theirs) && theirs != oldSize)
                {
                    oldSize = theirs;
                    continue;
                }

                logger.LogCritical("witness {Witness} refused the checkpoint of size {Size}: {Status} {Body}", witness.Key.Name, checkpoint.Size, (int)response.StatusCode, body.Trim());
                return null;
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("witness {Witness} at {Url} could not be reached: {Message}", witness.Key.Name, witness.Url, ex.Message);
            return null;
        }

        logger.LogWarning("witness {Witness} kept answering 409; the checkpoint of size {Size} goes without its cosignature", witness.Key.Name, checkpoint.Size);
        return null;
    }

    private string? Verified(WitnessEndpoint witness, string note, string body)
    {
        var prefix = $"\u2014 {witness.Key.Name} ";
        foreach (var line in body.Split('\n').Where(l => l.StartsWith(prefix, StringComparison.Ordinal)))
        {
            try
            {
                if (Cosignatures.Verify(Cosignatures.Add(note, [line]), [witness.Key]).Count == 1)
                {
                    return line;
                }
            }
            catch (NoteVerificationException)
            {
                // Another line by the same name may be the one by this key; a bad one is reported below.
            }
        }

        logger.LogCritical("witness {Witness} answered 200 without a cosignature that verifies with its key: {Body}", witness.Key.Name, body.Trim());
        return null;
    }
}
