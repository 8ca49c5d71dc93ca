namespace EntropyLong.Core.Tests;

public class AssemblyTests
{
    private static VerifiedContext Ctx(string id, int anchor) => new(id, "src", $"<{id}>", anchor, 0, "a", 3, 1, 0.6);
    private static readonly CharTokenizer Tokenize = new();

    /// <summary>One token per character; counts its calls. Optionally not byte-level (byte counts that do not add up),
    /// which sends stage 5 down its re-tokenizing path.</summary>
    private sealed class CharTokenizer(bool byteLevel = true) : ITrainingTokenizer
    {
        public int Calls;
        public int[] Encode(string text) { Calls++; return text.Select(c => (int)c).ToArray(); }
        public int ByteCount(int token) => byteLevel ? System.Text.Encoding.UTF8.GetByteCount(((char)token).ToString()) : 0;
    }

    [Fact]
    public void ContextsComeFirstAndTheDocumentLast()
    {
        var options = new EntropyLongOptions { Order = ContextOrder.Anchor, SeqLen = 1000, Separator = "|" };
        var ordered = SequenceAssembly.Order([Ctx("b", 9), Ctx("a", 2)], "doc", options);
        var sample = SequenceAssembly.Build("doc", "DOC", ordered, Tokenize, options)!;
        Assert.Equal("<a>|<b>|DOC", sample.Text);
        Assert.Equal(0, sample.ContextsDropped);
    }

    [Fact]
    public void ShuffleIsSeededByRunSeedAndDocumentId()
    {
        var contexts = Enumerable.Range(0, 8).Select(i => Ctx($"c{i}", i)).ToArray();
        var options = new EntropyLongOptions { Seed = 5 };
        var a = SequenceAssembly.Order(contexts, "doc", options).Select(c => c.ChunkId).ToArray();
        var b = SequenceAssembly.Order(contexts.Reverse().ToArray(), "doc", options).Select(c => c.ChunkId).ToArray();
        Assert.Equal(a, b);
        Assert.NotEqual(contexts.Select(c => c.ChunkId), a);
        var other = SequenceAssembly.Order(contexts, "doc", options with { Seed = 6 }).Select(c => c.ChunkId);
        Assert.NotEqual(a, other);
    }

    [Fact]
    public void OverlongSamplesDropFrontContextsNeverTheDocument()
    {
        var options = new EntropyLongOptions { Order = ContextOrder.Anchor, SeqLen = 12, Separator = "|" };
        var contexts = SequenceAssembly.Order([Ctx("a", 1), Ctx("b", 2), Ctx("c", 3)], "d", options);
        var sample = SequenceAssembly.Build("d", "DOCUMENT", contexts, Tokenize, options)!;
        Assert.Equal("<c>|DOCUMENT", sample.Text);
        Assert.Equal(2, sample.ContextsDropped);
        Assert.Null(SequenceAssembly.Build("d", "A DOCUMENT LONGER THAN TWELVE", contexts, Tokenize, options));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ASampleIsTokenizedOnceWhenItFitsAndOnceMoreWhenContextsAreDropped(bool byteLevel)
    {
        var options = new EntropyLongOptions { Order = ContextOrder.Anchor, SeqLen = 16, Separator = "|" };
        var contexts = SequenceAssembly.Order([Ctx("a", 1), Ctx("bé", 2), Ctx("c", 3)], "d", options);
        var fits = new CharTokenizer(byteLevel);
        var whole = SequenceAssembly.Build("d", "DOC", contexts, fits, options)!;
        Assert.Equal("<a>|<bé>|<c>|DOC", whole.Text);
        Assert.Equal(0, whole.ContextsDropped);
        // The spans are where the contexts and anchors are, found from byte counts or by re-tokenizing prefixes.
        Assert.Equal([new ContextSpan(0, 3, 13), new ContextSpan(4, 8, 13), new ContextSpan(9, 12, 13)], whole.Spans);
        if (byteLevel) Assert.Equal(1, fits.Calls);

        var dropping = new CharTokenizer(byteLevel);
        var cut = SequenceAssembly.Build("d", "DOCUMENT", contexts, dropping, options with { SeqLen = 12 })!;
        Assert.Equal("<c>|DOCUMENT", cut.Text);
        Assert.Equal([new ContextSpan(0, 3, 4)], cut.Spans);
        if (byteLevel) Assert.Equal(2, dropping.Calls);
    }

    [Fact]
    public void PackerFillsSequencesAndRecordsBoundaries()
    {
        var packer = new Packer(10);
        Sample S(int n) => new("d" + n, [], "", new string('x', n), Enumerable.Repeat(n, n).ToArray(), 0);
        Assert.Null(packer.Add(S(4)));
        Assert.Null(packer.Add(S(5)));
        var first = packer.Add(S(3));
        Assert.NotNull(first);
        Assert.Equal([(0, 4), (4, 9)], first!.Boundaries);
        Assert.Equal(9, first.Tokens.Length);
        var last = packer.Flush()!;
        Assert.Equal([(0, 3)], last.Boundaries);
        Assert.Equal(1, last.Index);
        Assert.Null(packer.Flush());
    }

    [Fact]
    public void OptionsRejectOutOfRangeValuesWithClearMessages()
    {
        Assert.Contains("epsilon", Assert.Throws<UserInputException>(() => new EntropyLongOptions { Epsilon = 1.5 }.Validate()).Message);
        Assert.Contains("top-k", Assert.Throws<UserInputException>(() => new EntropyLongOptions { TopK = 0 }.Validate()).Message);
        new EntropyLongOptions().Validate();
    }
}
