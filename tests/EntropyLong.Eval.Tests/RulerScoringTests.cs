using EntropyLong.Eval.Ruler;

namespace EntropyLong.Eval.Tests;

public class RulerScoringTests
{
    [Theory]
    [InlineData("  answer  ", "answer")]
    [InlineData("\u0000\u0001answer\u001f", "answer")]
    [InlineData("a\tb\u0007c", "a\nb\nc")]
    [InlineData("\u001c\u001d x \u001e", "x")] // U+001C..U+001F are whitespace to Python's strip
    [InlineData("", "")]
    [InlineData("\n\t ", "")]
    [InlineData("\u00a0non-breaking\u3000", "non-breaking")]
    public void PostprocessMatchesTheReference(string raw, string expected) =>
        Assert.Equal(expected, RulerScoring.Postprocess(raw));

    [Fact]
    public void StringMatchAllIsTheMeanFractionOfReferencesFound()
    {
        // sample 1: 1 of 2 found; sample 2: 3 of 3 (case-insensitive); sample 3: empty prediction, 0 of 1
        string[] preds = ["the number is 1234567", "ALPHA, beta and Gamma", ""];
        string[][] refs = [["1234567", "7654321"], ["alpha", "BETA", "gamma"], ["x"]];
        Assert.Equal(50.0, RulerScoring.StringMatchAll(preds, refs)); // (0.5 + 1 + 0) / 3 * 100
    }

    [Fact]
    public void StringMatchPartCountsASampleWhenAnyReferenceIsFound()
    {
        string[] preds = ["Black sea", "the swiss alps, maybe", "no idea"];
        string[][] refs = [["the Black Sea", "Black Sea"], ["the Swiss Alps"], ["8849 metres"]];
        Assert.Equal(66.67, RulerScoring.StringMatchPart(preds, refs)); // 2/3 * 100 = 66.666.. -> 66.67
    }

    [Fact]
    public void ThirdsRoundAsPythonDoes()
    {
        string[] preds = ["a", "", ""];
        string[][] refs = [["a", "b", "c"], ["a"], ["a"]];
        Assert.Equal(11.11, RulerScoring.StringMatchAll(preds, refs)); // (1/3)/3*100 = 11.111..
    }

    [Theory]
    [InlineData(2.675, 2, 2.67)]   // binary value is below the half
    [InlineData(0.125, 2, 0.12)]   // exact half: to even
    [InlineData(0.375, 2, 0.38)]
    [InlineData(66.66666666666667, 2, 66.67)]
    [InlineData(12.25, 1, 12.2)]
    [InlineData(12.35, 1, 12.3)]   // 12.35 is 12.3499999... in binary
    [InlineData(-1.005, 2, -1.0)]
    [InlineData(100.0, 2, 100.0)]
    public void RoundIsPythonsRound(double x, int digits, double expected) =>
        Assert.Equal(expected, PyCompat.Round(x, digits));

    [Fact]
    public void SumIsCompensatedAsPythons()
    {
        Assert.Equal(1.0, PyCompat.Sum(Enumerable.Repeat(0.1, 10)));
        Assert.NotEqual(1.0, Enumerable.Repeat(0.1, 10).Aggregate(0.0, (a, b) => a + b));
    }

    [Fact]
    public void MatchesTheReferenceFormulasOnTheSameFiles()
    {
        var report = RulerDirectoryScorer.Score(Fixtures.Path("ruler-xcheck"));
        var tasks = Assert.Single(report.Lengths).Tasks.ToDictionary(t => t.Task, t => t.Score);
        var python = new Dictionary<string, double>
        {
            ["niah_single_1"] = 46.85, ["niah_multivalue"] = 56.98, ["vt"] = 48.42, ["cwe"] = 54.28, ["fwe"] = 37.84, ["qa_1"] = 64.86, ["qa_2"] = 94.59,
        };
        Assert.Equal(python, tasks);
    }

    [Theory]
    [InlineData("\u0397\u039b\u0399\u039f\u03a3", "\u03b7\u03bb\u03b9\u03bf\u03c2")]       // final sigma
    [InlineData("\u03a3\u0391 \u0391\u03a3.", "\u03c3\u03b1 \u03b1\u03c2.")]
    [InlineData("\u0130stanbul", "i\u0307stanbul")]
    [InlineData("ABC def", "abc def")]
    public void LowerIsPythonsLower(string s, string expected) => Assert.Equal(expected, PyCompat.Lower(s));

    [Fact]
    public void ScoringNothingIsAnError()
    {
        Assert.Throws<ArgumentException>(() => RulerScoring.StringMatchAll([], []));
        Assert.Throws<ArgumentException>(() => RulerScoring.StringMatchAll(["x"], [[]]));
    }
}
