using System.Text.Json.Serialization;

namespace Ledger.Events;

/// <summary>Who said it, as the source names them.</summary>
public sealed record Speaker(string Name, string? Role);

/// <summary>Where it was said. Note carries caveats such as "reported by the press, not in the company's own post".</summary>
public sealed record Source(string? Url, string? Title, string? Publisher, string? Note, string? Archive, string? ArchiveSha256);

public sealed record AllegationRef(string Id, string? Summary);

/// <summary>
/// An assessment of one allegation. <see cref="NewAllegation"/> says the finding itself introduces an allegation the matter
/// had not reported (written only when true, so findings of reported allegations keep their stored form).
/// </summary>
public sealed record Finding(
    string Allegation,
    Assessment Assessment,
    string? Summary,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool NewAllegation = false);

public sealed record PromiseTerms(string Id, string What, DateOnly DueBy, string? DueText);

[JsonConverter(typeof(JsonStringEnumConverter<Assessment>))]
public enum Assessment
{
    [JsonStringEnumMemberName("substantiated")]
    Substantiated,
    [JsonStringEnumMemberName("partially-substantiated")]
    PartiallySubstantiated,
    [JsonStringEnumMemberName("not-substantiated")]
    NotSubstantiated,
    [JsonStringEnumMemberName("no-evidence")]
    NoEvidence,
    [JsonStringEnumMemberName("inconclusive")]
    Inconclusive,
}

[JsonConverter(typeof(JsonStringEnumConverter<FindingStage>))]
public enum FindingStage
{
    [JsonStringEnumMemberName("interim")]
    Interim,
    [JsonStringEnumMemberName("final")]
    Final,
}

[JsonConverter(typeof(JsonStringEnumConverter<ActionKind>))]
public enum ActionKind
{
    [JsonStringEnumMemberName("terminated")]
    Terminated,
    [JsonStringEnumMemberName("suspended")]
    Suspended,
    [JsonStringEnumMemberName("disabled")]
    Disabled,
    [JsonStringEnumMemberName("restricted")]
    Restricted,
    [JsonStringEnumMemberName("resumed")]
    Resumed,
    [JsonStringEnumMemberName("other")]
    Other,
}
