using System.Diagnostics.Metrics;

namespace Ledger.Server.Telemetry;

/// <summary>
/// The ledger's instruments, on the meter "Ledger", exported for Prometheus at /metrics. Any module may record on them:
/// the API counts appends; subscriptions, webhooks and projections record the rest.
/// </summary>
public static class LedgerMetrics
{
    public const string MeterName = "Ledger";

    public static Meter Meter { get; } = new(MeterName);

    /// <summary>Statements appended to the ledger through the server (label: matter's organization is not used, to keep cardinality low).</summary>
    public static Counter<long> StatementsAppended { get; } =
        Meter.CreateCounter<long>("ledger.statements.appended", "{statement}", "Statements appended to the ledger");

    /// <summary>Import requests that appended nothing because of invalid input, a conflict or a store failure.</summary>
    public static Counter<long> ImportsRefused { get; } =
        Meter.CreateCounter<long>("ledger.imports.refused", "{request}", "Import requests refused (invalid input, conflict or store failure)");

    /// <summary>Live subscribers (SSE and the like): add 1 when one connects, -1 when it leaves.</summary>
    public static UpDownCounter<long> Subscribers { get; } =
        Meter.CreateUpDownCounter<long>("ledger.subscribers", "{subscriber}", "Live subscribers connected");

    /// <summary>Recorded by the worker's webhook deliveries, wherever it runs.</summary>
    public static Counter<long> WebhookDeliveries => Ledger.Messaging.Telemetry.MessagingMetrics.WebhookDeliveries;

    public static Counter<long> WebhookFailures => Ledger.Messaging.Telemetry.MessagingMetrics.WebhookFailures;

    /// <summary>How many events the notification relay is behind the end of the log (label "projection").</summary>
    public static Gauge<long> ProjectionLag => Ledger.Messaging.Telemetry.MessagingMetrics.ProjectionLag;
}
