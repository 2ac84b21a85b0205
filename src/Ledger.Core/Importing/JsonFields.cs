using System.Globalization;
using System.Text.Json;

namespace Ledger.Importing;

/// <summary>Reads the members of one JSON object, naming each problem by its field path and refusing unknown members.</summary>
internal sealed class JsonFields
{
    private readonly JsonElement element;
    private readonly string prefix;
    private readonly Action<string, string> report;
    // Field names are few and literal: a small array beats a hash set per JSON object.
    private string[] read = new string[8];
    private int readCount;

    public JsonFields(JsonElement element, string prefix, Action<string, string> report)
    {
        this.element = element;
        this.prefix = prefix;
        this.report = report;
    }

    public string PathOf(string name) => prefix.Length == 0 ? name : $"{prefix}.{name}";

    public void Error(string name, string message) => report(PathOf(name), message);

    public bool Has(string name) => element.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    private JsonElement? Get(string name, bool required)
    {
        if (readCount == read.Length)
        {
            Array.Resize(ref read, read.Length * 2);
        }

        read[readCount++] = name;
        if (element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
        {
            return value;
        }

        if (required)
        {
            Error(name, "is required");
        }

        return null;
    }

    public string? Text(string name, bool required = false)
    {
        if (Get(name, required) is not { } value)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            Error(name, $"must be a string, not {Describe(value)}");
            return null;
        }

        var text = value.GetString()!;
        if (ControlCharacters.Refusal(text) is { } refused)
        {
            Error(name, refused);
            return null;
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            if (required)
            {
                Error(name, "must not be empty");
            }

            return null;
        }

        return text;
    }

    public string? Identifier(string name, bool required = false)
    {
        var text = Text(name, required);
        if (text is not null && !Identifiers.IsValid(text))
        {
            Error(name, $"\"{text}\" is not a valid identifier (letters, digits and . _ : / - only, starting with a letter or digit, at most 200 characters)");
            return null;
        }

        return text;
    }

    /// <summary>A point in time: a date (midnight UTC) or an ISO 8601 timestamp with an offset.</summary>
    public DateTimeOffset? Timestamp(string name, bool required = false)
    {
        var text = Text(name, required);
        if (text is null)
        {
            return null;
        }

        if (Timestamps.TryParse(text, out var at))
        {
            return at;
        }

        Error(name, $"\"{text}\" is not a date (2025-09-25) or a timestamp with an offset (2025-09-25T14:00:00Z)");
        return null;
    }

    public DateOnly? Date(string name, bool required = false)
    {
        var text = Text(name, required);
        if (text is null)
        {
            return null;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }

        Error(name, $"\"{text}\" is not a date (yyyy-MM-dd)");
        return null;
    }

    public T? Choice<T>(string name, IReadOnlyDictionary<string, T> choices, bool required = false)
        where T : struct
    {
        var text = Text(name, required);
        if (text is null)
        {
            return null;
        }

        if (choices.TryGetValue(text, out var choice))
        {
            return choice;
        }

        Error(name, $"\"{text}\" is not one of {string.Join(", ", choices.Keys)}");
        return null;
    }

    public IReadOnlyList<string> TextList(string name, bool required = false)
    {
        if (Get(name, required) is not { } value)
        {
            return [];
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            Error(name, $"must be an array of strings, not {Describe(value)}");
            return [];
        }

        var items = new List<string>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(item.GetString()))
            {
                report($"{PathOf(name)}[{index}]", "must be a non-empty string");
            }
            else if (ControlCharacters.Refusal(item.GetString()!) is { } refused)
            {
                report($"{PathOf(name)}[{index}]", refused);
            }
            else
            {
                items.Add(item.GetString()!);
            }

            index++;
        }

        if (required && value.GetArrayLength() == 0)
        {
            Error(name, "must not be empty");
        }

        return items;
    }

    public JsonFields? Object(string name, bool required = false)
    {
        if (Get(name, required) is not { } value)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            Error(name, $"must be an object, not {Describe(value)}");
            return null;
        }

        return new JsonFields(value, PathOf(name), report);
    }

    public JsonElement? Raw(string name, bool required = false) => Get(name, required);

    /// <summary>A true or false member; absent means false.</summary>
    public bool Flag(string name)
    {
        if (Get(name, required: false) is not { } value)
        {
            return false;
        }

        if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            Error(name, $"must be true or false, not {Describe(value)}");
            return false;
        }

        return value.GetBoolean();
    }

    public IReadOnlyList<JsonFields> Objects(string name, bool required = false)
    {
        if (Get(name, required) is not { } value)
        {
            return [];
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            Error(name, $"must be an array of objects, not {Describe(value)}");
            return [];
        }

        var items = new List<JsonFields>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            var path = $"{PathOf(name)}[{index}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                report(path, $"must be an object, not {Describe(item)}");
            }
            else
            {
                items.Add(new JsonFields(item, path, report));
            }

            index++;
        }

        if (required && items.Count == 0 && value.GetArrayLength() == 0)
        {
            Error(name, "must not be empty");
        }

        return items;
    }

    /// <summary>Reports every member that no reader asked for: a misspelt field must not pass silently.</summary>
    public void RefuseUnknown()
    {
        foreach (var property in element.EnumerateObject())
        {
            if (!WasRead(property))
            {
                report(PathOf(property.Name), "is not a known field");
            }
        }
    }

    private bool WasRead(JsonProperty property)
    {
        for (var i = 0; i < readCount; i++)
        {
            if (property.NameEquals(read[i]))
            {
                return true;
            }
        }

        return false;
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
