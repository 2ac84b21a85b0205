using Grpc.Core;
using Ledger.Store.EventStoreDb.Protocol;
using Ledger.Store.EventStoreDb.Protocol.Gossip;

namespace Ledger.Store.EventStoreDb.ProtocolFake;

/// <summary>The fake's gossip: the members a test sets, else the fake itself as a lone leader.</summary>
internal sealed class FakeGossipService(FakeNodeOptions node) : Gossip.GossipBase
{
    public override Task<ClusterInfo> Read(Empty request, ServerCallContext context)
    {
        var members = node.Members ?? [Member(node.Port, MemberInfo.Types.VNodeState.Leader)];
        return Task.FromResult(new ClusterInfo { Members = { members } });
    }

    public static MemberInfo Member(int port, MemberInfo.Types.VNodeState state, bool alive = true) =>
        new()
        {
            InstanceId = new UUID { String = Guid.NewGuid().ToString() },
            State = state,
            IsAlive = alive,
            HttpEndPoint = new EndPoint { Address = "127.0.0.1", Port = (uint)port },
        };
}
