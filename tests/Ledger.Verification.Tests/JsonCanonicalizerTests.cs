using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Ledger.Verification.Tests;

public class JsonCanonicalizerTests
{
    private static string Canonical(string json) => Encoding.UTF8.GetString(JsonCanonicalizer.Canonicalize(json));

    [Fact]
    public void Rfc8785_section_3_2_2_example()
    {
        const string input = """
            {
              "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """;

        Assert.Equal(
            """{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}""",
            Canonical(input));
    }

    [Theory]
    [InlineData("""{"a!":1,"a":2,"a ":3,"a~":4}""")]
    [InlineData("""{"a":2,"a ":3,"a!":1,"a~":4}""")]
    [InlineData("""{"a~":4,"a!":1,"a ":3,"a":2}""")]
    public void A_name_sorts_before_itself_followed_by_any_character_even_a_space(string json)
    {
        const string expected = """{"a":2,"a ":3,"a!":1,"a~":4}""";
        Assert.Equal(expected, Canonical(json));
        using var document = JsonDocument.Parse(json);
        Assert.Equal(expected, Encoding.UTF8.GetString(JsonCanonicalizer.Canonicalize(document.RootElement)));
    }

    [Fact]
    public void Nested_objects_are_sorted_each_on_its_own_and_a_duplicate_in_any_is_refused()
    {
        Assert.Equal(
            """{"a":{"x":[{"q":1,"r":2}],"y":1},"b":{"c":{"d":0,"e":0}}}""",
            Canonical("""{"b":{"c":{"e":0,"d":0}},"a":{"y":1,"x":[{"r":2,"q":1}]}}"""));
        Assert.Throws<JsonException>(() => Canonical("""{"b":{"c":{"e":0,"e":1}},"a":1}"""));
        Assert.Throws<JsonException>(() => Canonical("""{"a":{"x":1},"b":2,"a":3}"""));
    }

    [Fact]
    public void Rfc8785_section_3_2_2_example_bytes()
    {
        const string input = """{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}""";
        const string hex =
            "7b226c69746572616c73223a5b6e756c6c2c747275652c66616c73655d2c226e756d62657273223a5b3333333333333333332e"
            + "333333333333332c31652b33302c342e352c302e3030322c31652d32375d2c22737472696e67223a22e282ac245c753030"
            + "30665c6e4127425c225c5c5c5c5c222f227d";
        Assert.Equal(hex, Convert.ToHexStringLower(JsonCanonicalizer.Canonicalize(input)));
    }

    [Fact]
    public void Rfc8785_section_3_2_3_sorts_by_utf16_code_units()
    {
        const string input = """
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """;

        using var document = JsonDocument.Parse(JsonCanonicalizer.Canonicalize(input));
        Assert.Equal(
            ["Carriage Return", "One", "Control", "Latin Small Letter O With Diaeresis", "Euro Sign", "Emoji: Grinning Face", "Hebrew Letter Dalet With Dagesh"],
            document.RootElement.EnumerateObject().Select(p => p.Value.GetString()!).ToArray());
        Assert.StartsWith("{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":", Canonical(input), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0000000000000000", "0")]
    [InlineData("8000000000000000", "0")]
    [InlineData("0000000000000001", "5e-324")]
    [InlineData("8000000000000001", "-5e-324")]
    [InlineData("7fefffffffffffff", "1.7976931348623157e+308")]
    [InlineData("ffefffffffffffff", "-1.7976931348623157e+308")]
    [InlineData("4340000000000000", "9007199254740992")]
    [InlineData("c340000000000000", "-9007199254740992")]
    [InlineData("4430000000000000", "295147905179352830000")]
    [InlineData("44b52d02c7e14af5", "9.999999999999997e+22")]
    [InlineData("44b52d02c7e14af6", "1e+23")]
    [InlineData("44b52d02c7e14af7", "1.0000000000000001e+23")]
    [InlineData("444b1ae4d6e2ef4e", "999999999999999700000")]
    [InlineData("444b1ae4d6e2ef4f", "999999999999999900000")]
    [InlineData("444b1ae4d6e2ef50", "1e+21")]
    [InlineData("3eb0c6f7a0b5ed8c", "9.999999999999997e-7")]
    [InlineData("3eb0c6f7a0b5ed8d", "0.000001")]
    [InlineData("41b3de4355555553", "333333333.3333332")]
    [InlineData("41b3de4355555554", "333333333.33333325")]
    [InlineData("41b3de4355555555", "333333333.3333333")]
    [InlineData("41b3de4355555556", "333333333.3333334")]
    [InlineData("41b3de4355555557", "333333333.33333343")]
    [InlineData("becbf647612f3696", "-0.0000033333333333333333")]
    [InlineData("43143ff3c1cb0959", "1424953923781206.2")]
    public void Rfc8785_appendix_b_numbers(string ieee754, string expected)
    {
        var value = BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64BigEndian(Convert.FromHexString(ieee754)));
        Assert.Equal(expected, JsonCanonicalizer.FormatNumber(value));
        Assert.Equal(expected, Canonical(expected));
    }

    [Theory]
    [InlineData("7fffffffffffffff")]
    [InlineData("7ff0000000000000")]
    [InlineData("fff0000000000000")]
    public void Nan_and_infinities_have_no_canonical_form(string ieee754)
    {
        var value = BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64BigEndian(Convert.FromHexString(ieee754)));
        Assert.Throws<ArgumentOutOfRangeException>(() => JsonCanonicalizer.FormatNumber(value));
    }

    [Theory]
    [InlineData("[1e400]")]
    [InlineData("""{"a":1,"a":2}""")]
    [InlineData("""["\ud800"]""")]
    [InlineData("""{"a":1""")]
    public void Refuses_what_is_not_i_json(string json) =>
        Assert.ThrowsAny<JsonException>(() => JsonCanonicalizer.Canonicalize(json));

    [Theory]
    [InlineData("""  { "b" : [ 1.0 , -0 , 10 ] , "a" : "\u00e9\t\u001f" }  """, """{"a":"é\t\u001f","b":[1,0,10]}""")]
    [InlineData("\"\\u2028</script>\"", "\"\u2028</script>\"")]
    [InlineData("[]", "[]")]
    [InlineData("{}", "{}")]
    [InlineData("[100, 1e2, 0.1e3, 123456789012345678901234567890]", "[100,100,100,1.2345678901234568e+29]")]
    public void Whitespace_escapes_and_numbers_are_normalized(string input, string expected) =>
        Assert.Equal(expected, Canonical(input));
}
