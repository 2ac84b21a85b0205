using Grpc.Core;
using Ledger.Store.EventStoreDb.Protocol;
using Ledger.Store.EventStoreDb.Protocol.ServerFeatures;

namespace Ledger.Store.EventStoreDb.ProtocolFake;

/// <summary>The fake's server-features probe, answering as a 24.10 node: services and methods in lower case, with their features.</summary>
internal sealed class FakeServerFeaturesService(FakeNodeOptions node) : ServerFeatures.ServerFeaturesBase
{
    private const string Streams = "event_store.client.streams.streams";

    public override Task<SupportedMethods> GetSupportedMethods(Empty request, ServerCallContext context)
    {
        // Any node answers the probe, leader or not.
        node.Admit(context, leaderOnly: false);
        if (node.Features == FakeServerFeatures.None)
        {
            throw new RpcException(new Status(StatusCode.Unimplemented, "Service is unimplemented."));
        }

        var supported = new SupportedMethods
        {
            EventStoreServerVersion = "24.10.0",
            Methods =
            {
                Method("read", "position", "events"),
                Method("append"),
                Method("delete"),
                Method("tombstone"),
            },
        };
        if (node.Features == FakeServerFeatures.BatchAppend)
        {
            supported.Methods.Add(Method("batchappend", "deadline_duration"));
        }

        return Task.FromResult(supported);
    }

    private static SupportedMethod Method(string name, params string[] features) =>
        new() { ServiceName = Streams, MethodName = name, Features = { features } };
}
