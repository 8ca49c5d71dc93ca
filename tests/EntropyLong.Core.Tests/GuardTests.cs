namespace EntropyLong.Core.Tests;

/// <summary>The overlap measures behind the near-duplicate guard and decontamination, and the guard's step.</summary>
public class GuardTests
{
    // Distinct words w0, w1, ...: a text of words [from, to) has to - from - 4 shingles, all distinct.
    private static string Words(int from, int to) => string.Join(' ', Enumerable.Range(from, to - from).Select(i => $"w{i}"));

    private static double ExactJaccard(string a, string b)
    {
        var x = WordNGrams.Of(WordNGrams.Words(a), MinHash.ShingleWords).ToHashSet();
        var y = WordNGrams.Of(WordNGrams.Words(b), MinHash.ShingleWords).ToHashSet();
        return (double)x.Intersect(y).Count() / x.Union(y).Count();
    }

    [Theory]
    [InlineData(0, 300, 0, 300)]     // identical: 1
    [InlineData(0, 300, 100, 400)]   // 196 of 396 shingles shared: 0.49
    [InlineData(0, 300, 200, 500)]   // 96 of 496: 0.19
    [InlineData(0, 200, 0, 400)]     // a copy of half the text: 0.49
    [InlineData(0, 300, 300, 600)]   // nothing shared: 0
    public void TheEstimateIsCloseToTheExactJaccardSimilarity(int a0, int a1, int b0, int b1)
    {
        string a = Words(a0, a1), b = Words(b0, b1);
        var minHash = new MinHash();
        double exact = ExactJaccard(a, b);
        double estimate = MinHash.Similarity(minHash.Signature(a), minHash.Signature(b));
        // Three standard errors of an estimate from 128 functions, at least 0.02.
        double tolerance = Math.Max(0.02, 3 * Math.Sqrt(exact * (1 - exact) / MinHash.DefaultFunctions));
        Assert.InRange(estimate, exact - tolerance, exact + tolerance);
    }

    [Fact]
    public void WordsIgnoreCasePunctuationAndSpacing()
    {
        Assert.Equal(WordNGrams.Words("the quick brown fox"), WordNGrams.Words("The  Quick,\nbrown (fox)!"));
        Assert.NotEqual(WordNGrams.Words("the quick brown fox"), WordNGrams.Words("the quick brown box"));
        Assert.Equal(3, WordNGrams.Words("größe 42 Ünïcode").Length);
        Assert.Empty(WordNGrams.Words(" ,.; "));
        // A text without words is similar to nothing, not to every other empty text.
        Assert.Equal(0, MinHash.Similarity(new MinHash().Signature("..."), new MinHash().Signature("...")));
    }

    private static readonly string Page = string.Join(' ',
        "In computing a daemon is a program that runs as a background process rather than under the direct control",
        "of an interactive user. Traditionally the process names of a daemon end with the letter d for clarification",
        "that the process is in fact a daemon and for differentiation between a daemon and a normal computer program.",
        "Systems often start daemons at boot time which will respond to network requests hardware activity or other programs.");

    [Fact]
    public void APlantedNearCopyIsCaughtAndDifferentTextIsNot()
    {
        var minHash = new MinHash();
        // A mirror of the page: one sentence reworded, one word changed, other case and line breaks.
        string mirror = Page.Replace("Traditionally the process names", "By tradition the names").Replace("boot time", "startup time")
            .ToUpperInvariant().Replace(". ", ".\n");
        string other = "The Jargon File is a glossary and usage dictionary of slang used by computer programmers. The original " +
                       "Jargon File was a collection of terms from technical cultures such as the MIT AI Lab and the Stanford AI Lab.";
        double copy = MinHash.Similarity(minHash.Signature(Page), minHash.Signature(mirror));
        Assert.InRange(copy, 0.5, 0.95);
        Assert.InRange(ExactJaccard(Page, mirror), 0.5, 0.95);
        Assert.Equal(0, MinHash.Similarity(minHash.Signature(Page), minHash.Signature(other)));
    }

    [Fact]
    public void AnySharedThirteenGramContaminatesAText()
    {
        var evaluation = new NGramSet();
        evaluation.Add(Page);
        string thirteen = "That runs as a BACKGROUND process, rather than under the direct control of"; // 13 words of the page
        string twelve = "runs as a background process rather than under the direct control of";             // 12 of them
        Assert.True(evaluation.SharesAny("Here is something else. " + thirteen + " and more."));
        Assert.False(evaluation.SharesAny("Here is something else. " + twelve + " and more."));
        Assert.False(evaluation.SharesAny(string.Join(' ', Page.Split(' ').Reverse())));
        Assert.True(evaluation.Count > 50);
    }

    private static BuildDocument Document(string id, string text, params RetrievedChunk[][] candidates) =>
        new(new Document(id, text, "test")) { Anchors = candidates.Select((_, a) => new Anchor(a + 1, 5)).ToArray(),
            Candidates = candidates.Select(IReadOnlyList<RetrievedChunk> (c) => c).ToArray() }; // an array of lists, as retrieval makes it (a step may replace one)

    [Fact]
    public void TheGuardExcludesNearCopiesBeforeVerificationAndCountsThemPerAnchor()
    {
        var mirror = new RetrievedChunk(1, "mirror#0", "mirror", Page.Replace("boot time", "startup time"), 0.9f);
        var other = new RetrievedChunk(2, "jargon#0", "jargon", "The Jargon File is a glossary of slang used by computer programmers.", 0.8f);
        var quote = new RetrievedChunk(3, "quote#0", "quote", "a daemon is a program that runs as a background process", 0.7f);
        var doc = Document("page", Page, [mirror, other], [other, mirror, mirror], [quote]);
        var stats = new BuildStats();
        new NearDuplicateStep(0.5).Run(new BuildBlock([doc], stats), default);
        Assert.Equal(new Dictionary<long, string> { [1] = NearDuplicateStep.Reason }, doc.Excluded);
        Assert.Equal(2, stats.CandidatesNearDuplicate); // once per anchor, as pairs are judged
        // The threshold decides: a quotation of a tenth of the page is no near-copy at 0.5, and is one at 0.05.
        var strict = Document("page", Page, [quote]);
        new NearDuplicateStep(0.05).Run(new BuildBlock([strict], new BuildStats()), default);
        Assert.True(strict.Excluded.ContainsKey(3));
    }

    [Fact]
    public void OfCandidatesWithOneTextOneStandsForAllAtEveryAnchorThatFoundIt()
    {
        // One entry filed under two ids, the copy retrieved higher (at the second anchor); a second text under two ids
        // retrieved with equal scores.
        var entry = new RetrievedChunk(1, "foo#0", "foo", "foo: a metasyntactic variable.", 0.8f);
        var copy = new RetrievedChunk(2, "foo2#0", "foo2", "foo: a metasyntactic variable.", 0.9f);
        var tie = new RetrievedChunk(3, "bar#0", "bar", "bar: the next one.", 0.5f);
        var tieCopy = new RetrievedChunk(4, "baa#0", "baa", "bar: the next one.", 0.5f);
        var other = new RetrievedChunk(5, "baz#0", "baz", "baz: the third.", 0.7f);
        var doc = Document("page", Page, [entry, tie, other], [copy, tieCopy, entry]);
        var stats = new BuildStats();
        new RepeatedTextStep().Run(new BuildBlock([doc], stats), default);
        // The best-scored copy stands for its text (of equal scores, the lower chunk id: "baa#0" before "bar#0"). At
        // the first anchor it takes its copies' places, ranks and scores, so the text is judged there too; at the
        // second the copy beside it is not judged.
        Assert.Equal([(2L, 0.8f), (4L, 0.5f), (5L, 0.7f)], doc.Candidates[0].Select(h => (h.Key, h.Score)));
        Assert.Equal([2L, 4L, 1L], doc.Candidates[1].Select(h => h.Key));
        Assert.Equal(new Dictionary<long, string> { [1] = RepeatedTextStep.Reason }, doc.Excluded);
        Assert.Equal(1, stats.CandidatesRepeatedText); // once per anchor, as pairs are judged
        // The method judges no excluded candidate: the step sits between retrieval and verification.
        var steps = BuildSteps.EntropyLong(null!, null!, null!, new EntropyLongOptions()).Select(s => s.GetType()).ToList();
        Assert.Equal(steps.IndexOf(typeof(RetrievalStep)) + 1, steps.IndexOf(typeof(RepeatedTextStep)));
    }

    [Fact]
    public void ARepeatedIdIsRuledOutInItsBlockAndInLaterOnes()
    {
        var step = new DuplicateIdStep();
        var first = new[] { "a", "b", "a", "A" }.Select(id => Document(id, "text of " + id)).ToList();
        var second = new[] { "b", "c", "c" }.Select(id => Document(id, "other text")).ToList();
        step.Run(new BuildBlock(first, new BuildStats()), default);
        step.Run(new BuildBlock(second, new BuildStats()), default);
        Assert.Equal([null, null, DuplicateIdStep.Reason, null], first.Select(d => d.SkipReason));
        Assert.Equal([DuplicateIdStep.Reason, null, DuplicateIdStep.Reason], second.Select(d => d.SkipReason));
        // Every method starts with it (composing the steps touches no engine).
        var options = new EntropyLongOptions();
        Assert.All([BuildSteps.EntropyLong(null!, null!, null!, options), BuildSteps.Retrieval(null!, null!, null!, options, null),
            BuildSteps.Random(null!, options), BuildSteps.NextLong(null!, null!, options, null)], steps => Assert.IsType<DuplicateIdStep>(steps[0]));
    }
}
