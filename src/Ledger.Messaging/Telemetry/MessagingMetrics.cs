using System.Diagnostics.Metrics;

namespace Ledger.Messaging.Telemetry;

/// <summary>The worker's instruments on the meter "Ledger" (the server exports that meter at /metrics).</summary>
public static class MessagingMetrics
{
    public const string MeterName = "Ledger";

    public static Meter Meter { get; } = new(MeterName);

    public static Counter<long> WebhookDeliveries { get; } =
        Meter.CreateCounter<long>("ledger.webhook.deliveries", "{delivery}", "Webhook deliveries that succeeded");

    public static Counter<long> WebhookFailures { get; } =
        Meter.CreateCounter<long>("ledger.webhook.failures", "{delivery}", "Webhook delivery attempts that failed");

    /// <summary>How many events a reader of the log (label "projection": the notification relay) is behind its end.</summary>
    public static Gauge<long> ProjectionLag { get; } =
        Meter.CreateGauge<long>("ledger.projection.lag", "{event}", "Events a projection is behind the end of the log");
}
