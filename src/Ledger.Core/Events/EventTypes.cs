namespace Ledger.Events;

/// <summary>Stable event type names, shared by every backend. Never rename an entry: add a new one.</summary>
public static class EventTypes
{
    public const string MatterOpened = "MatterOpened";
    public const string AllegationReported = "AllegationReported";
    public const string ReviewLaunched = "ReviewLaunched";
    public const string FindingsDisclosed = "FindingsDisclosed";
    public const string ActionTaken = "ActionTaken";
    public const string DisclosurePromised = "DisclosurePromised";
    public const string DisclosureDelivered = "DisclosureDelivered";
    public const string ReviewConcluded = "ReviewConcluded";
    public const string PositionStated = "PositionStated";
    public const string StatementWithdrawn = "StatementWithdrawn";
    public const string EntryCorrected = "EntryCorrected";
    public const string SourceArchived = "SourceArchived";

    private static readonly (string Name, Type Type)[] Table =
    [
        (MatterOpened, typeof(MatterOpened)),
        (AllegationReported, typeof(AllegationReported)),
        (ReviewLaunched, typeof(ReviewLaunched)),
        (FindingsDisclosed, typeof(FindingsDisclosed)),
        (ActionTaken, typeof(ActionTaken)),
        (DisclosurePromised, typeof(DisclosurePromised)),
        (DisclosureDelivered, typeof(DisclosureDelivered)),
        (ReviewConcluded, typeof(ReviewConcluded)),
        (PositionStated, typeof(PositionStated)),
        (StatementWithdrawn, typeof(StatementWithdrawn)),
        (EntryCorrected, typeof(EntryCorrected)),
        (SourceArchived, typeof(SourceArchived)),
    ];

    private static readonly Dictionary<string, Type> ByName = Table.ToDictionary(e => e.Name, e => e.Type, StringComparer.Ordinal);
    private static readonly Dictionary<Type, string> ByType = Table.ToDictionary(e => e.Type, e => e.Name);

    /// <summary>The statement types a disclosure document may use, in lifecycle order.</summary>
    public static IReadOnlyList<string> StatementTypes { get; } = Table.Where(e => e.Type.IsSubclassOf(typeof(Statement))).Select(e => e.Name).ToArray();

    public static IReadOnlyList<string> All { get; } = Table.Select(e => e.Name).ToArray();

    public static string NameOf(Type type) =>
        ByType.TryGetValue(type, out var name) ? name : throw new ArgumentException($"{type.Name} has no stable event type name", nameof(type));

    public static bool TryGetType(string name, out Type type) => ByName.TryGetValue(name, out type!);

    public static Type TypeOf(string name) =>
        TryGetType(name, out var type) ? type : throw new ArgumentException($"unknown event type '{name}'", nameof(name));
}
