using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Projections;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Store.Marten.Projections;

/// <summary>
/// A projection of the ledger's own, added by <see cref="MartenEventStore.Configure"/> with the state it needs;
/// registering it through a container, as Marten offers for projections without such state, is refused.
/// </summary>
internal abstract class ConfiguredProjection : IProjection
{
    public static void Register<TConcrete>(IServiceCollection collection, ProjectionLifecycle lifecycle, ServiceLifetime lifetime, Action<ProjectionBase>? configure)
        where TConcrete : class =>
        throw new NotSupportedException($"{typeof(TConcrete).Name} is added by MartenEventStore.Configure");

    public static void Register<TConcrete, TStore>(IServiceCollection collection, ProjectionLifecycle lifecycle, ServiceLifetime lifetime, Action<ProjectionBase>? configure)
        where TConcrete : class
        where TStore : IDocumentStore =>
        throw new NotSupportedException($"{typeof(TConcrete).Name} is added by MartenEventStore.Configure");

    public abstract Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation);
}
