namespace EntropyLong.Core.Tests;

public class AssemblyTests
{
    private static SampleContext Ctx(string id, int anchor) => new(id, "src", $"<{id}>", anchor, 0, "a", 3, 1, 0.6);
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

    /// <summary>A token per GPT-2 pre-tokenizer piece: "\n\n" at the end of a text is one piece, before a word it is
    /// two, so tokenizing a prefix that ends at a separator is not a prefix of the whole text's tokens.</summary>
    private sealed class Gpt2PieceTokenizer : ITrainingTokenizer
    {
        private static readonly System.Text.RegularExpressions.Regex Split = new(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+");
        private readonly Dictionary<string, int> _ids = new();
        private readonly List<string> _pieces = new();
        public int[] Encode(string text) => Split.Matches(text).Select(m => Id(m.Value)).ToArray();
        public int ByteCount(int token) => System.Text.Encoding.UTF8.GetByteCount(_pieces[token]);
        public string Decode(IEnumerable<int> tokens) => string.Concat(tokens.Select(t => _pieces[t]));
        private int Id(string piece)
        {
            if (!_ids.TryGetValue(piece, out int id)) { _ids[piece] = id = _pieces.Count; _pieces.Add(piece); }
            return id;
        }
    }

    // Tokenizing text[..c] (the way spans were found before) put a context's start two tokens early, on the "\n\n" of
    // the separator before it; the byte counts of one encoding find its first token.
    [Fact]
    public void ContextTokenSpansHoldExactlyTheContextWhereSeparatorsTokenizeDifferentlyAtTheEnd()
    {
        var options = new EntropyLongOptions { Order = ContextOrder.Anchor, SeqLen = 1000 }; // separator "\n\n"
        SampleContext C(string id, string text, int anchorChar) => new(id, "src", text, 0, anchorChar, "x", 3, 1, 0.6);
        string document = "The sysop restarted the server.";
        var tokenizer = new Gpt2PieceTokenizer();
        var sample = SequenceAssembly.Build("d", document, [C("a", "A sysop runs a BBS.", 4), C("b", "Servers serve.", 24)], tokenizer, options)!;
        for (int i = 0; i < sample.Contexts.Count; i++)
        {
            var span = sample.Spans[i];
            Assert.Equal(sample.Contexts[i].Text, tokenizer.Decode(sample.Tokens[span.Start..span.End]));
            Assert.StartsWith(document[sample.Contexts[i].AnchorChar..].Split(' ')[0], tokenizer.Decode(sample.Tokens[span.Anchor..]).TrimStart());
        }
    }

    [Fact]
    public void PackerFillsSequencesAndRecordsBoundaries()
    {
        var packer = new Packer(10);
        Sample S(int n) => new("d" + n, [], "", new string('x', n), Enumerable.Repeat(n, n).ToArray(), []);
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
