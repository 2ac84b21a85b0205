using System.Text.Json.Serialization;

namespace Ledger.Diffing;

[JsonConverter(typeof(JsonStringEnumConverter<DiffOp>))]
public enum DiffOp
{
    [JsonStringEnumMemberName("equal")]
    Equal,
    [JsonStringEnumMemberName("delete")]
    Delete,
    [JsonStringEnumMemberName("insert")]
    Insert,
}
