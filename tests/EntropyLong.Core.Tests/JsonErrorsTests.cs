using System.Text.Json;
using EntropyLong.Core;

namespace EntropyLong.Core.Tests;

public class JsonErrorsTests
{
    [Fact]
    public void AParseErrorIsPlacedAtItsLineCountedFromOne()
    {
        // The third line is bad: JsonException says LineNumber 2.
        var e = Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse("{\n  \"a\": 1,\n  \"b\": }"));
        Assert.Equal("config.json:3", JsonErrors.Where("config.json", e));
        Assert.Equal("'}' is an invalid start of a value, at byte 8", JsonErrors.Message(e));
        Assert.DoesNotContain("LineNumber", JsonErrors.Message(e));
    }

    [Fact]
    public void AnErrorWithoutAPositionKeepsThePathAndItsMessage()
    {
        var e = new InvalidOperationException("LineNumber: not from the parser");
        Assert.Equal("x.json", JsonErrors.Where("x.json", e));
        Assert.Equal(e.Message, JsonErrors.Message(e));
    }

    private sealed record Row(long Count, IReadOnlyList<string> Names);

    private sealed class Strict
    {
        public required int Index { get; init; }
        public required string Text { get; init; }
    }

    [Theory]
    [InlineData("""{"Count": "x", "Names": []}""", "field \"Count\" has the wrong type or is null, at byte 14")]
    [InlineData("""{"Count": 1.5, "Names": []}""", "field \"Count\" has the wrong type or is null, at byte 14")]
    [InlineData("""{"Count": 1, "Names": 5}""", "field \"Names\" has the wrong type or is null, at byte 24")]
    [InlineData("[1]", "not a JSON object, at byte 2")]
    public void ConversionErrorsSayWhichFieldWithoutNamingDotNetTypes(string json, string expected)
    {
        var e = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<Row>(json));
        Assert.Equal(expected, JsonErrors.Message(e));
    }

    [Fact]
    public void MissingRequiredFieldsAreListedWithoutTheTypeName()
    {
        var e = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<Strict>("{}"));
        Assert.Equal("missing required fields: 'Index', 'Text'", JsonErrors.Message(e));
        e = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<List<int>>("{}"));
        Assert.Equal("not a JSON array, at byte 2", JsonErrors.Message(e));
    }
}
