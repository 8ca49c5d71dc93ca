using EntropyLong.Core;

namespace EntropyLong.Retrieval.Tests;

public class TextChunkerTests
{
    private static void AssertWellFormed(string text, IReadOnlyList<Chunk> chunks, int max)
    {
        for (int i = 0; i < chunks.Count; i++)
        {
            var c = chunks[i];
            Assert.Equal(i, c.Ordinal);
            Assert.Equal(text[c.Start..c.End], c.Text);
            Assert.InRange(c.Text.Length, 1, max);
            Assert.False(string.IsNullOrWhiteSpace(c.Text));
            if (i > 0) Assert.True(c.Start >= chunks[i - 1].End);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n\r\n  \t\n")]
    public void BlankTextGivesNoChunks(string text) => Assert.Empty(TextChunker.Chunk("d", text, 10));

    [Fact]
    public void GroupsWholeLinesGreedily()
    {
        string text = "aaaa\nbbbb\ncccc\ndddd";
        var chunks = TextChunker.Chunk("d", text, 10);
        Assert.Equal(["aaaa\nbbbb", "cccc\ndddd"], chunks.Select(c => c.Text));
        AssertWellFormed(text, chunks, 10);
    }

    [Fact]
    public void EmptyLinesInsideAChunkAreKeptAndBlankLinesNeverStartOne()
    {
        string text = "\n\nab\n\ncd\n\n\n";
        var chunks = TextChunker.Chunk("d", text, 100);
        var c = Assert.Single(chunks);
        Assert.Equal("ab\n\ncd", c.Text);
        Assert.Equal(2, c.Start);
    }

    [Fact]
    public void CrLfIsOneLineBreakAndIsKeptVerbatim()
    {
        string text = "one\r\ntwo\r\nthree\rfour";
        var chunks = TextChunker.Chunk("d", text, 10);
        Assert.Equal(["one\r\ntwo", "three\rfour"], chunks.Select(c => c.Text));
        AssertWellFormed(text, chunks, 10);
    }

    [Fact]
    public void OneHugeLineIsSplitAtWhitespace()
    {
        string text = string.Join(' ', Enumerable.Range(0, 2000).Select(i => $"w{i}"));
        var chunks = TextChunker.Chunk("d", text, 100);
        AssertWellFormed(text, chunks, 100);
        Assert.True(chunks.Count > 100);
        // No word is cut: every chunk starts and ends on a word boundary.
        Assert.All(chunks, c => Assert.Matches(@"^w\d+( w\d+)*$", c.Text));
        Assert.Equal(text.Split(' '), chunks.SelectMany(c => c.Text.Split(' ')));
    }

    [Fact]
    public void ALineWithoutWhitespaceIsCutHardWithoutSplittingSurrogatePairs()
    {
        string text = string.Concat(Enumerable.Repeat("x😀", 50)); // 150 UTF-16 units
        var chunks = TextChunker.Chunk("d", text, 8);
        AssertWellFormed(text, chunks, 8);
        Assert.Equal(text, string.Concat(chunks.Select(c => c.Text)));
        Assert.All(chunks, c => Assert.False(char.IsLowSurrogate(c.Text[0])));
    }

    [Fact]
    public void NonAsciiTextKeepsOffsets()
    {
        string text = "Zürich straße\nΚαλημέρα κόσμε\n東京は日本の首都です\nнова лінія";
        var chunks = TextChunker.Chunk("d", text, 20);
        AssertWellFormed(text, chunks, 20);
        Assert.Equal(4, chunks.Count);
        Assert.Equal("東京は日本の首都です", chunks[2].Text);
    }

    [Fact]
    public void AHugeLineBetweenShortOnesJoinsItsNeighboursGreedily()
    {
        string longLine = string.Join(' ', Enumerable.Repeat("abcd", 30)); // 149 chars
        string text = $"head\n{longLine}\ntail";
        var chunks = TextChunker.Chunk("d", text, 60);
        AssertWellFormed(text, chunks, 60);
        Assert.Equal("head", chunks[0].Text); // "head\n" + a 60-char piece would exceed 60
        Assert.EndsWith("abcd\ntail", chunks[^1].Text); // the line's short last piece takes the next line in
    }

    [Fact]
    public void IdsAreStableAndNameDocumentAndOrdinal()
    {
        var doc = new Document("doc-7", "alpha\nbeta\ngamma", "f:1");
        var a = TextChunker.Chunk(doc, 6);
        var b = TextChunker.Chunk(doc, 6);
        Assert.Equal(a.Select(c => c.Id), b.Select(c => c.Id));
        Assert.Equal(["doc-7#0", "doc-7#1", "doc-7#2"], a.Select(c => c.Id));
        Assert.All(a, c => Assert.Equal("doc-7", c.DocumentId));
    }

    [Fact]
    public void DefaultLimitIs2048()
    {
        string text = string.Join('\n', Enumerable.Repeat(new string('a', 99), 100));
        var chunks = TextChunker.Chunk(new Document("d", text, "f"));
        Assert.All(chunks, c => Assert.True(c.Text.Length <= 2048));
        Assert.Equal(1999, chunks[0].Text.Length); // 20 lines of 99 + 19 breaks; a 21st line would make 2099
    }
}
