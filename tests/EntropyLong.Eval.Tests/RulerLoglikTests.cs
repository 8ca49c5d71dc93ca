using System.Text.RegularExpressions;
using EntropyLong.Core;
using EntropyLong.Eval.Models;
using EntropyLong.Eval.Ruler;

namespace EntropyLong.Eval.Tests;

public class RulerLoglikTests
{
    private static readonly RulerInputs Inputs = new(EssayHaystack.Default());

    private static RulerTask Task(string name) => RulerTasks.Find(name)!;

    [Theory]
    [InlineData("niah_single_1", @"^\d{7}$")]
    [InlineData("niah_multikey_3", @"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")]
    [InlineData("niah_multivalue", @"^\d{7}$")]
    [InlineData("vt", @"^[A-Z]{5}$")]
    [InlineData("fwe", @"^[a-z]{6}$")]
    [InlineData("cwe", @"^\S+$")]
    public void DistractorsAreOfTheAnswersKindNeverAGoldAndSeeded(string name, string kind)
    {
        var task = Task(name);
        foreach (var sample in RulerGenerator.Generate(task, 1024, 3, 42, new WordTokenizer(), Inputs))
        {
            var items = RulerLoglik.Items(task, sample, 6, seed: 7);
            Assert.Equal(sample.Outputs, items.Select(i => i.Answer));
            foreach (var item in items)
            {
                Assert.Equal(sample.Prompt + (task is CommonWordsTask ? " 1." : ""), item.Prompt);
                // the answer right after the prefix, with a space unless the prefix ends in one (vt)
                string lead = task is VariableTrackingTask ? "" : " ";
                Assert.Equal(lead + item.Answer, item.Gold);
                Assert.Equal(6, item.Distractors.Count);
                Assert.Equal(6, item.Distractors.Distinct().Count());
                foreach (var d in item.Distractors)
                {
                    Assert.StartsWith(lead, d);
                    Assert.Matches(kind, d[lead.Length..]);
                    Assert.DoesNotContain(d[lead.Length..], sample.Outputs);
                }
                if (task is CommonWordsTask)
                    Assert.All(item.Distractors, d => Assert.Contains(d.Trim(), WordLists.Instance.Nouns.Concat(WordLists.Instance.Adjectives).Concat(WordLists.Instance.Verbs)));
            }
            Assert.Equal(items, RulerLoglik.Items(task, sample, 6, seed: 7), new ItemComparer());
            Assert.NotEqual(items[0].Distractors, RulerLoglik.Items(task, sample, 6, seed: 8)[0].Distractors);
        }
    }

    private sealed class ItemComparer : IEqualityComparer<LoglikItem>
    {
        public bool Equals(LoglikItem? a, LoglikItem? b) => a!.Prompt == b!.Prompt && a.Gold == b.Gold && a.Distractors.SequenceEqual(b.Distractors);
        public int GetHashCode(LoglikItem i) => i.Gold.GetHashCode();
    }

    [Fact]
    public void DistractorsLeaveOutEveryGoldAnswerOfTheSample()
    {
        // One-letter variable names: 26 possible values, 20 of them gold, so the 6 distractors are the 6 others.
        var golds = Enumerable.Range(0, 20).Select(i => ((char)('A' + i)).ToString()).ToHashSet();
        var drawn = RulerDistractors.Draw(Task("vt"), "A", golds, 6, new EvalRandom(1));
        Assert.Equal(["U", "V", "W", "X", "Y", "Z"], drawn.Order());
        Assert.Throws<InvalidOperationException>(() => RulerDistractors.Draw(Task("vt"), "A", golds, 7, new EvalRandom(1)));
    }

    private static LoglikAnswer Answer(double gold, int tokens, params double[] distractors) =>
        new("a", new ContinuationScore(" a", gold, tokens), distractors.Select(d => new ContinuationScore(" b", d, 1)).ToList());

    [Fact]
    public void AccuracyIsTheShareOfAnswersWhoseGoldBeatsEveryDistractor()
    {
        IReadOnlyList<IReadOnlyList<LoglikAnswer>> samples =
        [
            [Answer(-5, 2, -6, -7), Answer(-5, 3, -4, -9)], // one of two answers wins
            [Answer(-3, 1, -3)],                             // a tie is not a win
            [Answer(-1, 2, -8, -8)],
        ];
        var score = RulerLoglik.Summarize("niah_multivalue", samples);
        Assert.Equal(PyCompat.Round((0.5 + 0 + 1) / 3 * 100, 2), score.Accuracy);
        Assert.Equal(50.0, score.Accuracy);
        Assert.Equal((-5 - 5 - 3 - 1) / 8.0, score.MeanLogProb, 12);
        Assert.Equal((3, 4), (score.Samples, score.Answers));
        Assert.Equal(20.0, RulerLoglik.Chance(4));
    }

    /// <summary>Scores a continuation by a fixed table; counts prompts decoded.</summary>
    private sealed class TableScorer(Func<string, double[]> logProbs) : ITextModel, IContinuationScorer
    {
        public List<(string Prompt, int Continuations)> Calls { get; } = new();
        public string Name => "table";
        public int ContextLength => 0;
        public ITokenizer Tokenizer { get; } = new WordTokenizer();
        public int MaxConcurrency => 1;
        public Task<string> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();
        public IReadOnlyList<double[]> ContinuationLogProbs(string prompt, IReadOnlyList<string> continuations)
        {
            Calls.Add((prompt, continuations.Count));
            return continuations.Select(logProbs).ToList();
        }
        public void Dispose() { }
    }

    [Fact]
    public void ASamplesAnswersShareOnePromptDecode()
    {
        var task = Task("niah_multivalue");
        var sample = RulerGenerator.Generate(task, 1024, 1, 42, new WordTokenizer(), Inputs)[0];
        var gold = sample.Outputs.Select(o => " " + o).ToHashSet();
        var scorer = new TableScorer(c => gold.Contains(c) ? [-1, -2] : [-4]);
        var answers = RulerLoglik.Score(scorer, RulerLoglik.Items(task, sample, 4, 42));
        Assert.Equal([(sample.Prompt, 4 * 5)], scorer.Calls);
        Assert.All(answers, a => Assert.True(a.Correct));
        Assert.All(answers, a => Assert.Equal((-3.0, 2), (a.Gold.LogProb, a.Gold.Tokens)));
    }

    [Fact]
    public void RunnerScoresWritesResumesAndSkipsFreeTextTasks()
    {
        using var dir = new TempDir();
        var notices = new List<string>();
        var options = new RulerRunOptions { Lengths = [1024], Tasks = new[] { "niah_single_1", "vt", "qa_1" }.Select(Task).ToList(), Samples = 3, OutDir = dir.Path };
        // A model that knows the answers of niah_single_1 (7-digit numbers) but not vt's.
        var scorer = new TableScorer(c => Regex.IsMatch(c, @"^ \d{7}$") && File.ReadAllText(RulerRunner.DataPath(dir.Path, 1024, "niah_single_1")).Contains($"\"{c[1..]}\"") ? [-1] : [-2]);
        var report = new RulerRunner(scorer, Inputs, notices.Add).RunLoglik(options, 4, default);
        Assert.Contains(notices, n => n.StartsWith("skipping qa_1: log-likelihood scoring covers"));
        var l = Assert.Single(report.Lengths);
        Assert.Equal([("niah_single_1", 100.0), ("vt", 0.0)], l.Tasks.Select(t => (t.Task, t.Accuracy)));
        Assert.Equal(6, scorer.Calls.Count);
        Assert.Equal(3, RulerLoglikFiles.Read(RulerLoglikFiles.Path(dir.Path, 1024, "vt")).Count);
        Assert.True(File.Exists(RulerRunner.DataPath(dir.Path, 1024, "vt")));
        Assert.True(File.Exists(Path.Combine(dir.Path, "loglik.json")));
        Assert.Contains("chance 20.00", report.ToText());

        // a re-run scores nothing again; other K scores again
        new RulerRunner(scorer, Inputs, _ => { }).RunLoglik(options, 4, default);
        Assert.Equal(6, scorer.Calls.Count);
        new RulerRunner(scorer, Inputs, _ => { }).RunLoglik(options, 2, default);
        Assert.Equal(12, scorer.Calls.Count);

        // the score command finds the files
        var (predictions, loglik) = RulerDirectoryScorer.ScoreAny(dir.Path);
        Assert.Null(predictions);
        Assert.Equal(2, loglik!.Distractors);
        Assert.Equal(l.Tasks.Select(t => t.Accuracy), loglik.Lengths[0].Tasks.Select(t => t.Accuracy));

        // A task with no sample at a length (the essay's smallest haystack is 500 words) is refused before anything
        // is scored or written, as generating predictions refuses it: skipped, the average would cover fewer tasks.
        var shortRun = options with { Lengths = [512], Tasks = new[] { "fwe", "niah_single_2" }.Select(Task).ToList() };
        var e = Assert.Throws<UserInputException>(() => new RulerRunner(scorer, Inputs, notices.Add).RunLoglik(shortRun, 4, default));
        Assert.StartsWith("niah_single_2: no sample fits in 512 tokens", e.Message);
        Assert.Equal(12, scorer.Calls.Count);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "512")));

        Assert.Contains("needs a GGUF model run in-process",
            Assert.Throws<UserInputException>(() => new RulerRunner(new FakeModel(_ => ""), Inputs, _ => { }).RunLoglik(options, 4, default)).Message);
    }
}
