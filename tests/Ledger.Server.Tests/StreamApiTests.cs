using System.Net;
using System.Text;
using Ledger.Server.Subscriptions;
using Ledger.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Ledger.Messaging.ApiKeys;

namespace Ledger.Server.Tests;

/// <summary>/api/stream from the server in process, with the first bytes of its answer held back on purpose.</summary>
public sealed class StreamApiTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task An_event_appended_while_connected_is_on_its_way_reaches_a_client_without_last_event_id()
    {
        var gate = new FirstWriteGate("/api/stream");
        await using var factory = new LedgerServerFactory(loadSample: true, services: services => services.AddSingleton<IStartupFilter>(gate));
        using var client = factory.ClientWithKey(await factory.CreateKeyAsync("alice", ApiKeyRoles.Curator));
        var broadcaster = factory.Services.GetRequiredService<EventBroadcaster>();
        var store = factory.Services.GetRequiredService<IEventStore>();
        using var stop = new CancellationTokenSource(Patience);

        var connecting = client.GetAsync("/api/stream", HttpCompletionOption.ResponseHeadersRead, stop.Token);
        await gate.Reached.WaitAsync(stop.Token);
        // ": connected" is being written: events appended now, and seen by the broadcaster, are ones the client must get.
        var before = await store.LastPositionAsync();
        var first = await AppendAsync(client, "stream-window-1", store);
        while (broadcaster.Head < first)
        {
            await Task.Delay(10, stop.Token);
        }

        gate.Release();
        using var response = await connecting;
        var second = await AppendAsync(client, "stream-window-2", store);
        var ids = await ReadIdsThroughAsync(response, second, stop.Token);

        // The matter's opening, the first statement, then the second.
        Assert.Equal([before + 1, first, second], ids);
    }

    private static async Task<long> AppendAsync(HttpClient client, string id, IEventStore store)
    {
        var document = $$"""{"matter":"acme/stream","organization":"Acme","title":"Stream","statements":[{"id":"{{id}}","type":"PositionStated","publishedAt":"2025-03-01","topic":"t","position":"{{id}}","speaker":{"name":"Acme"},"source":{"url":"https://example.org/s"},"quote":"Q {{id}}."}]}""";
        using var posted = await client.PostAsync("/api/statements", new StringContent(document, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
        return (await store.FindStatementsAsync([id]))[id].Position;
    }

    /// <summary>The event ids the stream sends, up to and including <paramref name="last"/>.</summary>
    private static async Task<List<long>> ReadIdsThroughAsync(HttpResponseMessage response, long last, CancellationToken cancellationToken)
    {
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(body, Encoding.UTF8);
        var ids = new List<long>();
        while ((ids.Count == 0 || ids[^1] < last) && await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                ids.Add(long.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return ids;
    }

    /// <summary>Holds the first write of a response to one path until released, and says when it was reached.</summary>
    private sealed class FirstWriteGate(string path) : IStartupFilter
    {
        private readonly TaskCompletionSource reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Reached => reached.Task;

        public void Release() => released.TrySetResult();

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, following) =>
            {
                if (context.Request.Path == path)
                {
                    var prior = context.Features.Get<IHttpResponseBodyFeature>()!;
                    context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(new GatedStream(prior.Stream, this), prior));
                }

                await following(context);
            });
            next(app);
        };

        private async Task PassAsync()
        {
            reached.TrySetResult();
            await released.Task;
        }

        private sealed class GatedStream(Stream inner, FirstWriteGate gate) : Stream
        {
            public override bool CanRead => false;

            public override bool CanSeek => false;

            public override bool CanWrite => true;

            public override long Length => throw new NotSupportedException();

            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

            public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
            {
                await gate.PassAsync();
                await inner.WriteAsync(buffer, cancellationToken);
            }

            public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
                WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

            public override async Task FlushAsync(CancellationToken cancellationToken)
            {
                await gate.PassAsync();
                await inner.FlushAsync(cancellationToken);
            }

            public override void Flush() => inner.Flush();

            public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

            public override void SetLength(long value) => throw new NotSupportedException();

            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        }
    }
}
