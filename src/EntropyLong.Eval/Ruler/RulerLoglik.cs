using EntropyLong.Core;
using EntropyLong.Eval.Models;

namespace EntropyLong.Eval.Ruler;

/// <summary>One gold answer of a sample to be scored by log-likelihood: the prompt (input, answer prefix and, for cwe,
/// the list number the one-shot example answers with), the gold continuation and K distractor continuations of the
/// same kind, all written the same way.</summary>
public sealed record LoglikItem(string Prompt, string Answer, string Gold, IReadOnlyList<string> Distractors);

/// <summary>A scored continuation: its total natural-log probability and its tokens.</summary>
public sealed record ContinuationScore(string Text, double LogProb, int Tokens);

/// <summary>An answer scored: the gold continuation, its distractors, and whether the gold's total log-likelihood is
/// higher than every distractor's.</summary>
public sealed record LoglikAnswer(string Answer, ContinuationScore Gold, IReadOnlyList<ContinuationScore> Distractors)
{
    public bool Correct => Distractors.All(d => Gold.LogProb > d.LogProb);
}

/// <summary>A task at a length scored by log-likelihood. <paramref name="Accuracy"/>: per sample the fraction of its
/// answers whose gold continuation beats all K distractors, mean over samples x 100 (2 decimals, as RULER's scores);
/// <paramref name="MeanLogProb"/>: the gold answers' total log-probability over their total tokens (nats per token).</summary>
public sealed record LoglikTaskScore(string Task, double Accuracy, double MeanLogProb, int Samples, int Answers);

/// <summary>
/// RULER scored by log-likelihood instead of generation, for models too small to answer in words: the tasks whose
/// answers are short strings (niah_*, vt, cwe, fwe). Each gold answer is scored on its own as the first item of the
/// answer list, right after the answer prefix, against K distractors drawn the way the task draws its values (other
/// 7-digit numbers or UUIDs, other variable names, other words of the same lists, other coded words), never one of
/// the sample's gold answers. The gold "wins" when its total log-likelihood is higher; under a model that ignores the
/// context, gold and distractors are draws of one distribution, so chance is 1/(K+1) whatever their token counts.
/// A sample with several answers (niah_multivalue, niah_multiquery, vt, cwe, fwe) scores the fraction of its answers
/// that win, as string_match_all scores the fraction of answers found.
/// </summary>
public static class RulerLoglik
{
    public const int DefaultDistractors = 4;

    public static bool Applies(RulerTask task) => task is NiahTask or VariableTrackingTask or CommonWordsTask or FrequentWordsTask;

    /// <summary>The items of one sample, one per gold answer; distractors are seeded by (seed, task, sample index, answer).</summary>
    public static List<LoglikItem> Items(RulerTask task, RulerSample sample, int distractors, long seed)
    {
        if (!Applies(task)) throw new ArgumentException($"{task.Name} has no short-string answers to score by log-likelihood");
        // cwe's one-shot example lists its answers as "1. word 2. word ...": the list starts in the prompt.
        string prompt = sample.Prompt + (task is CommonWordsTask ? " 1." : "");
        // After a prefix ending in a space (vt) the answer follows directly; else a space separates it (as the examples write it).
        string lead = prompt.Length > 0 && char.IsWhiteSpace(prompt[^1]) ? "" : " ";
        var golds = new HashSet<string>(sample.Outputs, StringComparer.Ordinal);
        var items = new List<LoglikItem>(sample.Outputs.Count);
        foreach (var answer in sample.Outputs)
        {
            var rng = new EvalRandom((long)StableHash.Of($"{task.Name}\n{sample.Index}\n{answer}", (ulong)seed));
            var drawn = RulerDistractors.Draw(task, answer, golds, distractors, rng);
            items.Add(new LoglikItem(prompt, answer, lead + answer, drawn.Select(d => lead + d).ToList()));
        }
        return items;
    }

    /// <summary>Scores the items of one sample: they share their prompt, which the model decodes once.</summary>
    public static List<LoglikAnswer> Score(IContinuationScorer model, IReadOnlyList<LoglikItem> items)
    {
        var answers = new List<LoglikAnswer>(items.Count);
        foreach (var group in items.GroupBy(i => i.Prompt, StringComparer.Ordinal))
        {
            var all = group.SelectMany(i => i.Distractors.Prepend(i.Gold)).ToList();
            var logProbs = model.ContinuationLogProbs(group.Key, all);
            int at = 0;
            foreach (var item in group)
            {
                ContinuationScore Next() { var lp = logProbs[at]; return new ContinuationScore(all[at++], lp.Sum(), lp.Length); }
                var gold = Next();
                answers.Add(new LoglikAnswer(item.Answer, gold, item.Distractors.Select(_ => Next()).ToList()));
            }
        }
        return answers;
    }

    /// <summary>Accuracy and mean gold log-probability per token over the samples of a task (each sample's answers).</summary>
    public static LoglikTaskScore Summarize(string task, IReadOnlyList<IReadOnlyList<LoglikAnswer>> samples)
    {
        if (samples.Count == 0 || samples.Any(s => s.Count == 0)) throw new ArgumentException("every sample needs at least one answer");
        double accuracy = PyCompat.Sum(samples.Select(s => (double)s.Count(a => a.Correct) / s.Count)) / samples.Count * 100;
        var golds = samples.SelectMany(s => s).Select(a => a.Gold).ToList();
        return new LoglikTaskScore(task, PyCompat.Round(accuracy, 2), PyCompat.Sum(golds.Select(g => g.LogProb)) / golds.Sum(g => g.Tokens),
            samples.Count, golds.Count);
    }

    /// <summary>Chance accuracy in percent with K distractors.</summary>
    public static double Chance(int distractors) => 100.0 / (distractors + 1);
}

/// <summary>Distractors drawn the way each RULER task draws its answers.</summary>
public static class RulerDistractors
{
    private const string Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", Lower = "abcdefghijklmnopqrstuvwxyz";

    // The generator's cwe vocabulary: wonderwords nouns, adjectives and verbs.
    private static readonly Lazy<string[]> CweWords = new(() =>
    {
        var lists = WordLists.Instance;
        return lists.Nouns.Concat(lists.Adjectives).Concat(lists.Verbs).Distinct().Order(StringComparer.Ordinal).ToArray();
    });
    private static readonly Lazy<HashSet<string>> CweWordSet = new(() => new HashSet<string>(CweWords.Value, StringComparer.Ordinal));

    /// <summary><paramref name="count"/> distinct values of <paramref name="answer"/>'s kind, none of them in
    /// <paramref name="golds"/>.</summary>
    public static List<string> Draw(RulerTask task, string answer, IReadOnlySet<string> golds, int count, EvalRandom rng)
    {
        var lists = WordLists.Instance;
        Func<string> draw = task switch
        {
            NiahTask { Values: NeedleKind.Numbers } => () => rng.RandInt(1_000_000, 9_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture),
            NiahTask { Values: NeedleKind.Uuids } => rng.Uuid4,
            NiahTask => () => $"{rng.Choice(lists.Adjectives)}-{rng.Choice(lists.Nouns)}",
            VariableTrackingTask => () => rng.Letters(Upper, answer.Length),
            // At lengths that need more distinct words than the wonderwords lists hold, cwe draws from the English list.
            CommonWordsTask => CweWordSet.Value.Contains(answer) ? () => rng.Choice(CweWords.Value) : () => rng.Choice(lists.English),
            FrequentWordsTask => () => rng.Letters(Lower, answer.Length),
            _ => throw new ArgumentException($"{task.Name} has no distractors"),
        };
        var result = new List<string>(count);
        var seen = new HashSet<string>(golds, StringComparer.Ordinal);
        for (int tries = 0; result.Count < count; tries++)
        {
            if (tries > 1000 * (count + 1)) throw new InvalidOperationException($"{task.Name}: cannot draw {count} distinct distractors for {answer}");
            string d = draw();
            if (seen.Add(d)) result.Add(d);
        }
        return result;
    }
}
