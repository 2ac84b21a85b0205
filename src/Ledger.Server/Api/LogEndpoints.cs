using Ledger.Messaging.Hosting;
using Ledger.Messaging.Verifying;
using Ledger.Querying;
using Ledger.Server.Auth;
using Ledger.Storage;
using Ledger.Verification;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Ledger.Server.Api;

/// <summary>The tree's current size and root, the latest signed checkpoint, and the key that verifies checkpoints.</summary>
public sealed record LogState(long TreeSize, string RootHash, CheckpointView? Checkpoint, string? VerifierKey);

/// <summary>The public half of the key that signs this ledger's checkpoints, as a note verifier key; null when none is set up.</summary>
public sealed record LogPublicKey(string? VerifierKey, string? CreatedFile = null);

public static class LedgerLog
{
    /// <summary>The log key, set up before the host starts so that the embedded worker signs with it from the start.</summary>
    public static IHostApplicationBuilder AddLedgerLog(this IHostApplicationBuilder builder, LedgerBackend backend)
    {
        builder.Services.AddSingleton(LogEndpoints.SetUpKey(builder.Configuration, backend));
        builder.Services.TryAddSingleton(LogOptions.From(builder.Configuration).Policy);
        return builder;
    }

    public static WebApplication MapLedgerLog(this WebApplication app)
    {
        if (app.Services.GetRequiredService<LogPublicKey>() is { CreatedFile: { } created, VerifierKey: var verifier })
        {
            app.Logger.LogWarning("created the log key {Path}; checkpoints are signed with it. Verifier key: {VerifierKey}", created, verifier);
        }

        return app;
    }
}

/// <summary>A signed checkpoint: tree size, root (base64), when it was signed, and the whole signed note.</summary>
public sealed record CheckpointView(long TreeSize, string RootHash, DateTimeOffset SignedAt, string Note)
{
    public static CheckpointView From(StoredCheckpoint c) => new(c.TreeSize, Convert.ToBase64String(c.RootHash), c.SignedAt, c.Note);
}

/// <summary>An event's inclusion proof, the fields of `ledger prove --json`: hashes base64, the path lowest first (RFC 9162), the signed note when the size was signed.</summary>
public sealed record InclusionProofView(string? StatementId, long Position, long LeafIndex, long TreeSize, string LeafHash, string RootHash,
    IReadOnlyList<string> Path, string? Checkpoint);

/// <summary>A consistency proof from one tree size to a larger one, the fields of `ledger prove --consistency --json`.</summary>
public sealed record ConsistencyProofView(long OldSize, long NewSize, string OldRoot, string NewRoot, IReadOnlyList<string> Path, string? OldCheckpoint, string? NewCheckpoint);

/// <summary>
/// The verifiable log under /api/log: its state, signed checkpoints (the notes as text/plain, for tools that speak
/// C2SP signed notes), inclusion proofs of events and consistency proofs between tree sizes.
/// </summary>
internal static class LogEndpoints
{
    private const string NoteType = "text/plain; charset=utf-8";

    /// <summary>
    /// Finds the log key (Ledger:Log:KeyFile, else beside a SQLite ledger). An embedded ledger with none gets one on
    /// first start, named by Ledger:Log:Origin, so that the default set-up signs checkpoints; Ledger:Log:CreateKey=false
    /// turns that off. Checkpoints are signed by the worker the server embeds.
    /// </summary>
    public static LogPublicKey SetUpKey(IConfiguration configuration, LedgerBackend backend)
    {
        var options = LogOptions.From(configuration);
        var path = LogKeyFile.Configured(options, backend);
        if (path is null)
        {
            return new LogPublicKey(null);
        }

        string? createdFile = null;
        if (!File.Exists(path) && options.KeyFile is null && configuration.GetValue($"{LogOptions.Section}:CreateKey", true))
        {
            using var created = NoteSigner.Generate(configuration[$"{LogOptions.Section}:Origin"] ?? LogKeyFile.DefaultOrigin);
            LogKeyFile.Write(path, created, force: false);
            createdFile = path;
        }

        if (!File.Exists(path))
        {
            return new LogPublicKey(null);
        }

        using var signer = LogKeyFile.Load(path);
        return new LogPublicKey(signer.Verifier.ToString(), createdFile);
    }

    public static void Map(RouteGroupBuilder api)
    {
        var log = api.MapGroup("/log");
        log.MapGet("/", State).WithName("GetLog").WithSummary("The Merkle log's size and root hash, and its latest signed checkpoint")
            .Produces<LogState>().ProducesProblem(StatusCodes.Status404NotFound);
        log.MapGet("/key", Key).WithName("GetLogKey").WithSummary("The note verifier key of the checkpoints' signer (text/plain): <origin>+<key id>+<base64 Ed25519 public key>")
            .Produces<string>(contentType: "text/plain").ProducesProblem(StatusCodes.Status404NotFound);
        log.MapGet("/checkpoint", Latest).WithName("GetLatestCheckpoint").WithSummary("The latest signed checkpoint as a C2SP signed note (text/plain)")
            .Produces<string>(contentType: "text/plain").ProducesProblem(StatusCodes.Status404NotFound);
        log.MapGet("/checkpoints", Checkpoints).WithName("ListCheckpoints").WithSummary("Every signed checkpoint, smallest tree first")
            .Produces<IReadOnlyList<CheckpointView>>().ProducesProblem(StatusCodes.Status404NotFound);
        log.MapGet("/checkpoints/{size:long}", Checkpoint).WithName("GetCheckpoint").WithSummary("The checkpoint signed at this tree size as a signed note (text/plain)")
            .Produces<string>(contentType: "text/plain").ProducesProblem(StatusCodes.Status404NotFound);
        log.MapGet("/proofs/inclusion", Inclusion).WithName("ProveInclusion")
            .WithSummary("The inclusion proof of an event (by statement id, or by position) in a tree size: by default the latest signed checkpoint holding it, else the current tree")
            .Produces<InclusionProofView>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        log.MapGet("/proofs/consistency", Consistency).WithName("ProveConsistency")
            .WithSummary("The consistency proof from tree size 'from' to tree size 'to' (default: the current tree)")
            .Produces<ConsistencyProofView>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static IResult NoLog() =>
        Problems.Result(StatusCodes.Status404NotFound, "No Merkle log", "this ledger's backend keeps no Merkle log of its events");

    private static IResult Key(LogPublicKey key) =>
        key.VerifierKey is { } text ? Results.Text(text + "\n", NoteType)
        : Problems.Result(StatusCodes.Status404NotFound, "No log key", $"this ledger signs no checkpoints: create a key with `ledger log key create` or set {LogOptions.Section}:KeyFile");

    // With witnesses configured, "the latest checkpoint" is the latest a quorum of them cosigned.
    private static async Task<IResult> State(IEventStore store, LogPublicKey key, WitnessPolicy policy, CancellationToken cancellationToken)
    {
        if (store is not IVerifiableStore { Merkle: var log })
        {
            return NoLog();
        }

        var tree = await log.OpenTreeAsync(cancellationToken);
        var root = await MerkleProofs.RootAsync(tree, tree.Size, cancellationToken);
        var latest = await log.LatestWitnessedAsync(policy, cancellationToken);
        return ReadEndpoints.Json(new LogState(tree.Size, Convert.ToBase64String(root), latest is null ? null : CheckpointView.From(latest), key.VerifierKey));
    }

    private static async Task<IResult> Latest(IEventStore store, WitnessPolicy policy, CancellationToken cancellationToken) =>
        store is not IVerifiableStore { Merkle: var log } ? NoLog()
        : await log.LatestWitnessedAsync(policy, cancellationToken) is { } latest ? Results.Text(latest.Note, NoteType)
        : Problems.Result(StatusCodes.Status404NotFound, "No checkpoint", policy.Quorum == 0 ? "no checkpoint of this log has been signed yet"
            : $"no checkpoint of this log has been cosigned by {policy.Quorum} of its witnesses yet");

    private static async Task<IResult> Checkpoints(IEventStore store, CancellationToken cancellationToken) =>
        store is not IVerifiableStore { Merkle: var log } ? NoLog()
        : ReadEndpoints.Json((await log.ListCheckpointsAsync(cancellationToken)).Select(CheckpointView.From).ToList());

    private static async Task<IResult> Checkpoint(long size, IEventStore store, CancellationToken cancellationToken) =>
        store is not IVerifiableStore { Merkle: var log } ? NoLog()
        : (await log.ListCheckpointsAsync(cancellationToken)).FirstOrDefault(c => c.TreeSize == size) is { } found ? Results.Text(found.Note, NoteType)
        : Problems.Result(StatusCodes.Status404NotFound, "No checkpoint", $"no checkpoint was signed at tree size {size}");

    private static async Task<IResult> Inclusion(string? statement, long? position, long? size, IEventStore store, CancellationToken cancellationToken)
    {
        if (store is not IVerifiableStore { Merkle: var log })
        {
            return NoLog();
        }

        if ((statement is null) == (position is null))
        {
            throw new ArgumentException("give either statement (a statement id) or position (a global position)");
        }

        var e = statement is not null
            ? (await store.FindStatementsAsync([statement], cancellationToken)).GetValueOrDefault(statement) ?? throw new NotFoundException($"no statement \"{statement}\" is recorded")
            : await store.ReadAllAsync(position!.Value, null, cancellationToken).FirstOrDefaultAsync(cancellationToken) is { } read && read.Position == position
                ? read
                : throw new NotFoundException($"no event is recorded at position {position}");
        // Marten's daemon extends the tree behind the appends: a fresh event is not in it for a moment.
        if (await log.LeafIndexAsync(e.Position, cancellationToken) is null)
        {
            throw new NotFoundException($"the log does not hold the event at position {e.Position} yet; try again shortly");
        }

        var proof = await ProveInclusion.RunAsync(log, e, size, cancellationToken);
        return ReadEndpoints.Json(new InclusionProofView(e.StatementId, e.Position, proof.LeafIndex, proof.TreeSize,
            Convert.ToBase64String(proof.LeafHash), Convert.ToBase64String(proof.RootHash), proof.Path.Select(Convert.ToBase64String).ToList(), proof.Checkpoint?.Note));
    }

    private static async Task<IResult> Consistency(long from, long? to, IEventStore store, CancellationToken cancellationToken)
    {
        if (store is not IVerifiableStore { Merkle: var log })
        {
            return NoLog();
        }

        var newSize = to ?? (await log.OpenTreeAsync(cancellationToken)).Size;
        var proof = await ProveConsistency.RunAsync(log, from, newSize, cancellationToken);
        return ReadEndpoints.Json(new ConsistencyProofView(proof.OldSize, proof.NewSize, Convert.ToBase64String(proof.OldRoot), Convert.ToBase64String(proof.NewRoot),
            proof.Path.Select(Convert.ToBase64String).ToList(), proof.OldCheckpoint?.Note, proof.NewCheckpoint?.Note));
    }
}
