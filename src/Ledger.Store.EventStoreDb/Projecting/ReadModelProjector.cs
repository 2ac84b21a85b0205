using Ledger.Messaging.ReadModels;
using Ledger.Storage;
using Microsoft.Extensions.Logging;

namespace Ledger.Store.EventStoreDb;

/// <summary>The projector in the worker, for EventStoreDB ledgers: while this process holds the read-model lock.</summary>
public sealed class ReadModelProjector(IEventStore store, LedgerBackend backend, ILogger<ReadModelProjector> logger)
    : LeaderProjection(backend, ReadModelProjector.LockName, "the read model projection", logger)
{
    public const string LockName = "read-models";

    protected override async Task ProjectAsync(CancellationToken lead)
    {
        if (store.Feature<ProjectedReadModels>() is not { } projected)
        {
            Logger.LogInformation("no read models are kept in this state store; queries fold the events");
            return;
        }

        Logger.LogInformation("projecting the read models from position {Position}", await projected.Writer.PositionAsync(lead) + 1);
        await new ProjectReadModels(store, projected.Writer).RunAsync(lead);
    }
}
