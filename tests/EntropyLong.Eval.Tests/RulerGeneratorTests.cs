using System.Text.RegularExpressions;
using EntropyLong.Core;
using EntropyLong.Eval.Models;
using EntropyLong.Eval.Ruler;

namespace EntropyLong.Eval.Tests;

public class RulerGeneratorTests
{
    private static readonly WordTokenizer Tok = new();
    private static readonly RulerInputs Inputs = new(EssayHaystack.Default(),
        QaData.ReadSquad(Fixtures.Path("squad-mini.json")), QaData.ReadHotpotQa(Fixtures.Path("hotpot-mini.json")));

    private static List<RulerSample> Gen(string task, int length, int n = 3, long seed = 42) =>
        RulerGenerator.Generate(RulerTasks.Find(task)!, length, n, seed, Tok, Inputs);

    public static IEnumerable<object[]> AllTasksAtTwoLengths() =>
        RulerTasks.All.SelectMany(t => new[] { new object[] { t.Name, 2048 }, [t.Name, 6000] });

    [Theory]
    [MemberData(nameof(AllTasksAtTwoLengths))]
    public void SamplesFitTheirBudgetCloselyAndContainTheirAnswers(string task, int length)
    {
        var t = RulerTasks.Find(task)!;
        var samples = Gen(task, length);
        Assert.Equal([0, 1, 2], samples.Select(s => s.Index));
        foreach (var s in samples)
        {
            int tokens = Tok.CountTokens(s.Input + s.AnswerPrefix);
            Assert.Equal(tokens + t.TokensToGenerate, s.Length);
            Assert.True(s.Length <= length, $"{task}: {s.Length} > {length}");
            // the haystack search fills the budget: within one back-off step of it
            Assert.True(s.Length > length * 0.85, $"{task}: only {s.Length} of {length} tokens used");
            Assert.NotEmpty(s.Outputs);
            foreach (var answer in s.Outputs) Assert.Contains(answer, s.Input);
        }
    }

    [Theory]
    [InlineData("niah_single_2")]
    [InlineData("niah_multikey_3")]
    [InlineData("vt")]
    [InlineData("cwe")]
    [InlineData("fwe")]
    [InlineData("qa_1")]
    public void SameSeedSameSamplesOtherSeedOthers(string task)
    {
        var a = Gen(task, 3000);
        var b = Gen(task, 3000);
        Assert.Equal(a, b, (x, y) => x.Input == y.Input && x.AnswerPrefix == y.AnswerPrefix && x.Outputs.SequenceEqual(y.Outputs) && x.Length == y.Length);
        var c = Gen(task, 3000, seed: 7);
        Assert.NotEqual(a[0].Input + string.Join("|", a[0].Outputs), c[0].Input + string.Join("|", c[0].Outputs));
    }

    [Fact]
    public void FirstSamplesDoNotDependOnHowManyAreAsked()
    {
        var few = Gen("niah_multivalue", 3000, n: 2);
        var more = Gen("niah_multivalue", 3000, n: 4);
        Assert.Equal(few[1].Input, more[1].Input);
    }

    [Fact]
    public void SingleNeedleUsesTheReferenceSingularTemplate()
    {
        var s = Gen("niah_single_1", 2048)[0];
        Assert.StartsWith("A special magic number is hidden within the following text. Make sure to memorize it. I will quiz you about the number afterwards.\n", s.Input);
        var m = Regex.Match(s.Input, @"\nWhat is the special magic number for ([a-z]+(?:-[a-z]+)+) mentioned in the provided text\?$");
        Assert.True(m.Success, s.Input[^200..]);
        Assert.Equal($" The special magic number for {m.Groups[1].Value} mentioned in the provided text is", s.AnswerPrefix);
        Assert.Contains($"One of the special magic numbers for {m.Groups[1].Value} is: {s.Outputs[0]}.", s.Input);
        Assert.Matches(@"^\d{7}$", s.Outputs[0]);
        // the noise haystack: the reference's five sentences, one per line
        Assert.Contains("\nThe grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.\n", s.Input);
    }

    [Fact]
    public void MultiQueryAsksForFourKeysWithThePluralTemplate()
    {
        var s = Gen("niah_multiquery", 3000)[0];
        Assert.StartsWith("Some special magic numbers are hidden within the following text. Make sure to memorize it. I will quiz you about the numbers afterwards.\n", s.Input);
        var m = Regex.Match(s.Input, @"\nWhat are all the special magic numbers for (\S+), (\S+), (\S+), and (\S+) mentioned in the provided text\?$");
        Assert.True(m.Success, s.Input[^200..]);
        Assert.Equal(4, s.Outputs.Count);
        for (int i = 0; i < 4; i++) Assert.Contains($"One of the special magic numbers for {m.Groups[i + 1].Value} is: {s.Outputs[i]}.", s.Input);
        Assert.StartsWith(" The special magic numbers for ", s.AnswerPrefix);
        Assert.EndsWith(" mentioned in the provided text are", s.AnswerPrefix);
    }

    [Fact]
    public void MultiKeyAndMultiValueInsertFourNeedles()
    {
        var mk = Gen("niah_multikey_1", 3000)[0];
        Assert.Equal(4, Regex.Count(mk.Input, "One of the special magic numbers for "));
        Assert.Single(mk.Outputs);
        var mv = Gen("niah_multivalue", 3000)[0];
        Assert.Equal(4, mv.Outputs.Count);
        Assert.Equal(4, Regex.Count(mv.Input, "One of the special magic numbers for "));
        Assert.StartsWith("Some special magic numbers are hidden", mv.Input);
    }

    [Fact]
    public void NeedleHaystackIsMadeOfDistractorNeedles()
    {
        var s = Gen("niah_multikey_3", 2048)[0];
        var lines = s.Input.Split('\n');
        int needles = lines.Count(l => Regex.IsMatch(l, @"^One of the special magic uuids for [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12} is: [0-9a-f-]{36}\.$"));
        Assert.True(needles > 10, $"{needles} needle lines");
        Assert.Matches(@"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", s.Outputs[0]);
    }

    [Fact]
    public void VariableTrackingHasTheOneShotExampleAndTheReferenceWording()
    {
        var s = Gen("vt", 4096)[0];
        Assert.StartsWith("Memorize and track the chain(s) of variable assignment hidden in the following text.\n\n", s.Input);
        // example + "\n" + task: two task prompts, the first answered with its 5 variables
        var parts = s.Input.Split("Memorize and track the chain(s) of variable assignment hidden in the following text.\n\n");
        Assert.Equal(3, parts.Length);
        // the example's answer follows its prefix after one more space, as the reference joins them
        Assert.Matches(@" Answer: According to the chain\(s\) of variable assignment in the text above, 5 variables are assigned the value \d{5}, they are:  [A-Z]{3} [A-Z]{3} [A-Z]{3} [A-Z]{3} [A-Z]{3}\n\n$", parts[1]);
        Assert.DoesNotContain("12345", parts[1]);
        Assert.Equal(5, s.Outputs.Count);
        Assert.All(s.Outputs, v => Assert.Matches("^[A-Z]{5}$", v));
        var value = Regex.Match(s.Input, $@"VAR {s.Outputs[0]} = (\d{{5}})\n").Groups[1].Value;
        Assert.NotEmpty(value);
        Assert.Equal($" Answer: According to the chain(s) of variable assignment in the text above, 5 variables are assigned the value {value}, they are: ", s.AnswerPrefix);
        for (int i = 1; i < 5; i++) Assert.Contains($"VAR {s.Outputs[i]} = VAR {s.Outputs[i - 1]} ", s.Input);
        Assert.EndsWith($"\nQuestion: Find all variables that are assigned the value {value} in the text above.", s.Input);
    }

    [Theory]
    [InlineData(2048, 6)]
    [InlineData(6000, 30)]
    public void CommonWordsRepeatTheAnswerAsTheReference(int length, int repeats)
    {
        var s = Gen("cwe", length)[0];
        Assert.Equal(10, s.Outputs.Count);
        Assert.Equal(" Answer: The top 10 words that appear most often in the list are:", s.AnswerPrefix);
        // the one-shot example, answered, then the task
        var tasks = s.Input.Split("Below is a numbered list of words. In these words, some appear more often than others. Memorize the ones that appear most often.\n");
        Assert.Equal(3, tasks.Length);
        Assert.Matches(@"Answer: The top 10 words that appear most often in the list are: 1\. \S+ 2\. \S+ 3\. \S+ 4\. \S+ 5\. \S+ 6\. \S+ 7\. \S+ 8\. \S+ 9\. \S+ 10\. \S+\n$", tasks[1]);
        string list = tasks[2][..tasks[2].IndexOf("\nQuestion: What are the 10 most common words in the above list?", StringComparison.Ordinal)];
        var words = Regex.Matches(list, @"\d+\. (\S+)").Select(m => m.Groups[1].Value).ToList();
        var counts = words.GroupBy(w => w).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(s.Outputs, w => Assert.Equal(repeats, counts[w]));
        Assert.All(counts.Where(kv => !s.Outputs.Contains(kv.Key)), kv => Assert.True(kv.Value < repeats));
        Assert.Equal(Enumerable.Range(1, words.Count).Select(i => $"{i}. "), Regex.Matches(list, @"\d+\. ").Select(m => m.Value));
    }

    [Fact]
    public void FrequentWordsAnswerIsTheTopThreeAfterTheDots()
    {
        var s = Gen("fwe", 4096)[0];
        Assert.StartsWith("Read the following coded text and track the frequency of each coded word. Find the three most frequently appeared coded words. ", s.Input);
        Assert.EndsWith("\nQuestion: Do not provide any explanation. Please ignore the dots '....'. What are the three most frequently appeared words in the above coded text?", s.Input);
        string text = s.Input["Read the following coded text and track the frequency of each coded word. Find the three most frequently appeared coded words. ".Length..s.Input.IndexOf("\nQuestion:", StringComparison.Ordinal)];
        var ranked = text.Split(' ').GroupBy(w => w).OrderByDescending(g => g.Count()).Select(g => g.Key).ToList();
        Assert.Equal("...", ranked[0]);
        Assert.Equal(s.Outputs, ranked.Skip(1).Take(3).ToList());
        // Zipf with alpha 2: the top word is about 4 times as frequent as the second
        var counts = text.Split(' ').GroupBy(w => w).ToDictionary(g => g.Key, g => g.Count());
        Assert.InRange((double)counts["..."] / counts[s.Outputs[0]], 3.5, 4.5);
    }

    [Fact]
    public void QaUsesGoldAndDistractorDocumentsInTheReferencePrompt()
    {
        var s = Gen("qa_1", 2048)[0];
        Assert.StartsWith("Answer the question based on the given documents. Only give me the answer and do not output any other words.\n\nThe following are given documents.\n\nDocument 1:\n", s.Input);
        Assert.EndsWith("\n\nAnswer the question based on the given documents. Only give me the answer and do not output any other words.\n\nQuestion: Where does the Danube empty?", s.Input);
        Assert.Equal(" Answer:", s.AnswerPrefix);
        Assert.Equal(["the Black Sea", "Black Sea"], s.Outputs);
        // the second answerable question (the unanswerable one is skipped)
        Assert.EndsWith("Question: Where does the Rhine rise?", Gen("qa_1", 2048)[1].Input);
        var h = Gen("qa_2", 2048)[0];
        Assert.Contains("Danube\nThe Danube is 2850 km long. It flows east.", h.Input);
        Assert.Equal(["the Danube"], h.Outputs);
    }

    [Fact]
    public void QaWithFewDocumentsTakesGoldThenSameArticleThenOthers()
    {
        // 3 articles x 8 paragraphs: a budget of about 12 documents holds the gold paragraph, the 7 others of its
        // article, and some from other articles
        using var dir = new TempDir();
        var articles = Enumerable.Range(0, 3).Select(a => new
        {
            title = $"A{a}",
            paragraphs = Enumerable.Range(0, 8).Select(p => new
            {
                context = $"Paragraph {p} of article {a} talks about topic{a}x{p} at some length.",
                qas = new[] { new { question = $"What is in {a}/{p}?", id = $"{a}-{p}", answers = new[] { new { text = $"topic{a}x{p}", answer_start = 0 } }, is_impossible = false } },
            }).ToArray(),
        }).ToArray();
        System.IO.File.WriteAllText(dir.File("squad.json"), System.Text.Json.JsonSerializer.Serialize(new { version = "v2.0", data = articles }));
        var squad = QaData.ReadSquad(dir.File("squad.json"));
        Assert.Equal(24, squad.Documents.Count);
        Assert.Equal(7, squad.Questions[0].MoreContext.Count);
        int perDoc = Tok.CountTokens("Document 10:\nParagraph 0 of article 0 talks about topic0x0 at some length.\n\n");
        int budget = Tok.CountTokens(RulerTemplates.QaTemplate + RulerTemplates.QaAnswerPrefix) + 32 + 12 * perDoc;
        var s = RulerGenerator.Generate(RulerTasks.Find("qa_1")!, budget, 1, 42, Tok, new RulerInputs(EssayHaystack.Default(), squad))[0];
        int docs = Regex.Count(s.Input, @"Document \d+:\n");
        Assert.InRange(docs, 10, 12);
        for (int p = 0; p < 8; p++) Assert.Contains($"Paragraph {p} of article 0 ", s.Input);
        Assert.Equal(docs - 8, Regex.Count(s.Input, "of article [12] "));
        Assert.Equal(docs, Regex.Matches(s.Input, @"Document (\d+):").Select(m => int.Parse(m.Groups[1].Value)).Max());
    }

    [Fact]
    public void QaWithoutItsFileIsAClearError()
    {
        var ex = Assert.Throws<UserInputException>(() =>
            RulerGenerator.Generate(RulerTasks.Find("qa_2")!, 2048, 1, 42, Tok, new RulerInputs(EssayHaystack.Default())));
        Assert.Contains("HotpotQA", ex.Message);
    }

    [Fact]
    public void EssayTasksUseTheGivenHaystackText()
    {
        var essay = EssayHaystack.FromText("mine.txt", string.Join(' ', Enumerable.Repeat("Zebras graze at dawn. Lions sleep at noon.", 50)));
        var s = RulerGenerator.Generate(RulerTasks.Find("niah_single_2")!, 2048, 1, 42, Tok, new RulerInputs(essay))[0];
        Assert.Contains("Zebras graze at dawn. Lions sleep at noon.", s.Input);
        Assert.DoesNotContain("Devil", s.Input);
        Assert.Contains(s.Outputs[0], s.Input);
    }

    [Fact]
    public void TooShortALengthIsAClearError()
    {
        Assert.Throws<UserInputException>(() => Gen("niah_single_2", 100));
    }

    [Fact]
    public void VtAtATightLengthBacksOffNoFurtherThanItsChainAndOtherwiseSaysItIsTooShort()
    {
        // Backing off by 5 noise sentences at a time went below the chain's 5 lines at some lengths, and drawing the
        // chain's places then failed ("sample larger than population"): it found the default model's tokenizer at 1,024.
        int drawn = 0;
        for (int length = 520; length <= 1000; length += 4)
        {
            try
            {
                foreach (var s in RulerGenerator.Generate(RulerTasks.Find("vt")!, length, 5, 42, new UnevenLetters(), Inputs))
                {
                    Assert.True(s.Length <= length);
                    Assert.Equal(5, Regex.Matches(s.Input[s.Input.LastIndexOf("Memorize", StringComparison.Ordinal)..], @"VAR [A-Z]{5} =").Count);
                    drawn++;
                }
            }
            catch (UserInputException e)
            {
                Assert.Contains("no sample fits", e.Message);
            }
        }
        Assert.True(drawn > 0);
    }

    /// <summary>Words, and a token more for each capital A-M: random variable names vary in length, as with BPE.</summary>
    private sealed class UnevenLetters : ITokenizer
    {
        public string Description => "test uneven letters";
        public int[] Tokenize(string text) => new int[CountTokens(text)];
        public string Detokenize(ReadOnlySpan<int> tokens) => throw new NotSupportedException();
        public int CountTokens(string text) => Tok.CountTokens(text) + text.Count(c => c is >= 'A' and <= 'M');
    }

    [Fact]
    public void SentenceSplitterKeepsAbbreviationsAndInitialsTogether()
    {
        var s = SentenceSplitter.Split("Mr. Smith met J. Doe at 3 p.m. today. It rained! Did it? \"Yes.\" Then 2. 3 rest.");
        Assert.Equal(["Mr. Smith met J. Doe at 3 p.m. today.", "It rained!", "Did it?", "\"Yes.\"", "Then 2. 3 rest."], s);
    }
}
