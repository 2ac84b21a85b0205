using System.Data.Common;
using Ledger.Messaging.Hosting;
using Ledger.Storage;
using Ledger.Verification;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ledger.Messaging.Verifying;

/// <summary>
/// Signs a checkpoint every <see cref="LogOptions.CheckpointSeconds"/> while the tree grows, when the store keeps a
/// Merkle log and a key is there. One process signs at a time (the worker's leadership), so that two hosts never race
/// to sign the same size. A tree that no longer extends the latest checkpoint is never signed: it is logged, and left
/// for <c>ledger verify</c>.
/// </summary>
public sealed class CheckpointSigning(IEventStore store, LedgerBackend backend, ILeaderLock leadership, LedgerClock clock, LogOptions options, ILogger<CheckpointSigning> logger) : BackgroundService
{
    public const string LockName = "checkpoint-signing";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (store is not IVerifiableStore verifiable)
        {
            logger.LogInformation("this backend keeps no Merkle log: no checkpoints are signed");
            return;
        }

        var path = LogKeyFile.Configured(options, backend);
        if (path is null || (options.KeyFile is null && !File.Exists(path)))
        {
            logger.LogInformation("no log key ({Setting}): no checkpoints are signed", $"{LogOptions.Section}:KeyFile");
            return;
        }

        NoteSigner signer;
        try
        {
            signer = LogKeyFile.Load(path);
        }
        catch (LogKeyException ex)
        {
            logger.LogError("no checkpoints are signed: {Message}", ex.Message);
            return;
        }

        using (signer)
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) })
        {
            var cosigning = options.Witnesses.Count == 0 ? null : new WitnessCosigning(options.Witnesses, http, logger);
            await SignWhileLeadingAsync(verifiable.Merkle, signer, cosigning, stoppingToken);
        }
    }

    private async Task SignWhileLeadingAsync(IMerkleLog log, NoteSigner signer, WitnessCosigning? cosigning, CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(options.CheckpointSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            await using var lease = await leadership.AcquireAsync(stoppingToken);
            using var lead = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, lease.Lost);
            try
            {
                while (!lead.IsCancellationRequested)
                {
                    await SignOnceAsync(log, signer, cosigning, lead.Token);
                    await Task.Delay(interval, clock, lead.Token);
                }
            }
            catch (OperationCanceledException) when (lease.Lost.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("lost the checkpoint signing lock; standing by");
            }
        }
    }

    private async Task SignOnceAsync(IMerkleLog log, NoteSigner signer, WitnessCosigning? cosigning, CancellationToken cancellationToken)
    {
        try
        {
            var result = await SignCheckpoint.RunAsync(log, signer, clock, cosigning, cancellationToken);
            if (result.Signed)
            {
                logger.LogInformation("signed the checkpoint of tree size {Size}", result.Checkpoint.TreeSize);
                if (cosigning is not null && !options.Policy.IsWitnessed(result.Checkpoint.Note))
                {
                    logger.LogWarning("the checkpoint of tree size {Size} has fewer than {Quorum} witnesses' cosignatures: it does not count as witnessed", result.Checkpoint.TreeSize, options.Policy.Quorum);
                }
            }
        }
        catch (LogIntegrityException ex)
        {
            logger.LogCritical("refusing to sign a checkpoint: {Message}", ex.Message);
        }
        catch (Exception ex) when (ex is DbException || ex.InnerException is DbException || ex is InvalidOperationException)
        {
            // A store away, or another signer that kept this size first: the next round tries again.
            logger.LogWarning("could not sign a checkpoint ({Message}); trying again in the next round", ex.InnerException?.Message ?? ex.Message);
        }
    }
}

public static class CheckpointSigningRegistration
{
    /// <summary>
    /// Signs checkpoints in the background from <c>Ledger:Log:*</c> (see <see cref="LogOptions"/>). Needs the store, the
    /// backend and the clock registered (<c>AddLedgerMessaging</c> does). Registering twice adds it once.
    /// </summary>
    public static IServiceCollection AddLedgerCheckpointSigning(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(LogOptions)))
        {
            return services;
        }

        services.AddSingleton(LogOptions.From(configuration));
        services.AddHostedService(provider => ActivatorUtilities.CreateInstance<CheckpointSigning>(provider,
            provider.GetRequiredService<LedgerBackend>().WorkerLeadership(CheckpointSigning.LockName, provider)));
        return services;
    }
}
