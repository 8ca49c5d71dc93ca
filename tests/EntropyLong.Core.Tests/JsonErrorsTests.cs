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
}
