using EntropyLong.Core;

namespace EntropyLong.Core.Tests;

public class DocumentTests
{
    [Fact]
    public void RecordsCompareByValue() =>
        Assert.Equal(new Document("a", "t", "f:1"), new Document("a", "t", "f:1"));
}
