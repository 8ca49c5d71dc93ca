using EntropyLong.Core;
using EntropyLong.Eval.Models;

namespace EntropyLong.Eval.Ruler;

/// <summary>What a generator draws on besides the tokenizer.</summary>
public sealed record RulerInputs(EssayHaystack Essay, QaData? Squad = null, QaData? HotpotQa = null);

/// <summary>
/// Makes the samples of one RULER task at one length, following the reference generators step by step:
/// the same haystack units, needle and chain insertion, answer sets, one-shot examples, haystack sizing by
/// binary search so that prompt tokens (the evaluated model's tokenizer, no special tokens) + tokens to
/// generate fit the length, and the same per-sample back-off when a draw comes out too long.
/// Randomness comes from <see cref="EvalRandom"/> seeded with the run seed (the reference seeds every task with
/// the same seed, 42 by default); where the reference re-seeds a fresh generator for one shuffle, so does this.
/// </summary>
public static class RulerGenerator
{
    private const string TooShortKey = "ruler.length-too-short";

    /// <summary>The error of a task that has no sample at a length (its smallest prompt does not fit), with the tokens
    /// its smallest sample takes when known.</summary>
    private static UserInputException TooShort(string message, int? tokensNeeded = null) => new(message) { Data = { [TooShortKey] = tokensNeeded } };

    /// <summary>Whether <paramref name="e"/> says a task has no sample at the length asked (rather than bad input).</summary>
    public static bool IsTooShort(UserInputException e) => e.Data.Contains(TooShortKey);

    /// <summary>The tokens (prompt and tokens to generate) the smallest sample of a task that <see cref="IsTooShort"/>
    /// took, which a length must hold for it; null when the generator cannot tell.</summary>
    public static int? TokensNeeded(UserInputException e) => e.Data[TooShortKey] as int?;

    public static List<RulerSample> Generate(RulerTask task, int maxSeqLength, int numSamples, long seed, ITokenizer tokenizer, RulerInputs inputs)
    {
        if (numSamples < 1) throw new ArgumentOutOfRangeException(nameof(numSamples));
        var ctx = new Ctx(task, maxSeqLength, seed, tokenizer, inputs);
        return task switch
        {
            NiahTask t => Niah.Generate(t, ctx, numSamples),
            VariableTrackingTask t => VariableTracking.Generate(t, ctx, numSamples),
            CommonWordsTask t => CommonWords.Generate(t, ctx, numSamples),
            FrequentWordsTask t => FrequentWords.Generate(t, ctx, numSamples),
            QaTask t => Qa.Generate(t, ctx, numSamples),
            _ => throw new ArgumentException($"unknown task {task.Name}"),
        };
    }

    /// <summary><paramref name="count"/> distinct draws in draw order. The reference draws with repeats and
    /// tops up until it has that many distinct ones; the distinct set it ends with is the same.</summary>
    private static List<string> DistinctDraws(int count, Func<string> draw)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>(count);
        while (result.Count < count)
        {
            string s = draw();
            if (seen.Add(s)) result.Add(s);
        }
        return result;
    }

    internal sealed class Ctx(RulerTask task, int maxSeqLength, long seed, ITokenizer tokenizer, RulerInputs inputs, string? what = null)
    {
        /// <summary>What is being fitted, for messages.</summary>
        public string What { get; } = what ?? task.Name;

        public RulerTask Task { get; } = task;
        public int MaxSeqLength { get; } = maxSeqLength;
        public long Seed { get; } = seed;
        public ITokenizer Tokenizer { get; } = tokenizer;
        public RulerInputs Inputs { get; } = inputs;
        public EvalRandom Rng { get; } = new(seed);

        public int Count(string text) => Tokenizer.CountTokens(text);

        /// <summary>The reference's sizing: probe one size to estimate tokens per unit, then binary search the
        /// largest size whose prompt fits. <paramref name="upperFromEstimate"/> turns tokens-per-unit into the
        /// search's upper bound.</summary>
        public int SearchSize(Func<int, string> make, int probe, int lower, Func<double, int> upperFromEstimate, int extraTokens, int fallback)
        {
            double tokensPerUnit = (double)Count(make(probe)) / probe;
            int upper = Math.Max(upperFromEstimate(tokensPerUnit), lower * 2);
            int? best = null;
            while (lower <= upper)
            {
                int mid = (lower + upper) / 2;
                int total = Count(make(mid)) + extraTokens;
                if (total <= MaxSeqLength) { best = mid; lower = mid + 1; }
                else upper = mid - 1;
            }
            return best ?? fallback;
        }

        /// <summary>Draws a sample of <paramref name="size"/> units, backing off by <paramref name="step"/> while
        /// it does not fit (the reference's retry loop, which would spin forever at the floor; this stops). A task
        /// that cannot be drawn below <paramref name="smallest"/> units backs off to that and no further (the
        /// reference's back-off would go below it and then spin on the error).</summary>
        public (string Text, T Answer, int Length) Fit<T>(Func<int, (string, T)> make, int size, int step, int? smallest = null)
        {
            for (int floorTries = 0; ;)
            {
                var (text, answer) = make(size);
                int length = Count(text) + Task.TokensToGenerate;
                if (length <= MaxSeqLength) return (text, answer, length);
                if (size - step >= (smallest ?? 1)) size -= step;
                else if (size > smallest) size = smallest.Value;
                else if (++floorTries >= 50)
                    throw TooShort($"{What}: no sample fits in {MaxSeqLength} tokens even with the smallest haystack " +
                                   $"({length} tokens with this tokenizer)", length);
            }
        }

        /// <summary>Splits off the answer prefix where the reference does: at the last occurrence of its first
        /// ten characters.</summary>
        public RulerSample Finish(int index, string text, IReadOnlyList<string> answers, int length, string answerPrefix)
        {
            int at = text.LastIndexOf(answerPrefix[..Math.Min(10, answerPrefix.Length)], StringComparison.Ordinal);
            return new RulerSample(index, text[..at], answers, length, text[at..]);
        }
    }

    private static class Niah
    {
        // np.round(np.linspace(0, 100, num=40)).astype(int)
        private static readonly int[] Depths = Enumerable.Range(0, 40).Select(i => (int)Math.Round(100.0 * i / 39, MidpointRounding.ToEven)).ToArray();

        public static List<RulerSample> Generate(NiahTask t, Ctx ctx, int numSamples)
        {
            int numKeys = Math.Max(t.NumKeys, t.NumQueries);
            var words = WordLists.Instance;
            string[] essay = ctx.Inputs.Essay.Words;
            var rng = ctx.Rng;
            string Random(NeedleKind kind) => kind switch
            {
                NeedleKind.Numbers => rng.RandInt(1_000_000, 9_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture),
                NeedleKind.Words => $"{rng.Choice(words.Adjectives)}-{rng.Choice(words.Nouns)}",
                _ => rng.Uuid4(),
            };
            string typeV = t.Values.ToString().ToLowerInvariant();

            (string, List<string>) Make(int numHaystack)
            {
                var keys = new List<string>();
                var values = new List<List<string>>();
                var needles = new List<string>();
                for (int k = 0; k < numKeys; k++)
                {
                    keys.Add(Random(t.Keys));
                    var value = new List<string>();
                    for (int v = 0; v < t.NumValues; v++)
                    {
                        value.Add(Random(t.Values));
                        needles.Add(RulerTemplates.Format(RulerTemplates.Needle, ("type_needle_v", typeV), ("key", keys[^1]), ("value", value[^1])));
                    }
                    values.Add(value);
                }
                new EvalRandom(ctx.Seed).Shuffle(needles);

                string context;
                if (t.Haystack == HaystackKind.Essay)
                {
                    string text = numHaystack <= essay.Length
                        ? string.Join(' ', essay, 0, numHaystack)
                        : string.Join(' ', Enumerable.Repeat(essay, (numHaystack + essay.Length - 1) / essay.Length).SelectMany(w => w).Take(numHaystack));
                    var sents = SentenceSplitter.Split(PyCompat.Strip(text));
                    var positions = new List<int> { 0 };
                    positions.AddRange(rng.Sample(Depths, needles.Count).Select(d => (int)(sents.Count * (d / 100.0))).Order());
                    positions.Add(sents.Count);
                    var parts = new List<string>();
                    for (int i = 1; i < positions.Count; i++)
                    {
                        parts.Add(string.Join(' ', sents.Skip(positions[i - 1]).Take(positions[i] - positions[i - 1])));
                        if (i - 1 < needles.Count) parts.Add(needles[i - 1]);
                    }
                    context = string.Join(' ', parts);
                }
                else
                {
                    var sentences = new List<string>(numHaystack + needles.Count);
                    if (t.Haystack == HaystackKind.Noise)
                        for (int i = 0; i < numHaystack; i++) sentences.Add(RulerTemplates.NoiseHaystack);
                    else
                        for (int i = 0; i < numHaystack; i++)
                            sentences.Add(RulerTemplates.Format(RulerTemplates.Needle, ("type_needle_v", typeV), ("key", Random(t.Keys)), ("value", Random(t.Values))));
                    var indexes = rng.SampleRange(numHaystack, needles.Count).OrderDescending().ToList();
                    for (int i = 0; i < indexes.Count; i++) sentences.Insert(indexes[i], needles[i]);
                    context = string.Join('\n', sentences);
                }

                var picked = rng.SampleRange(numKeys, t.NumQueries);
                var queries = picked.Select(i => keys[i]).ToList();
                var answers = picked.SelectMany(i => values[i]).ToList();
                string query = queries.Count > 1 ? string.Join(", ", queries.Take(queries.Count - 1)) + ", and " + queries[^1] : queries[0];

                string template = RulerTemplates.NiahTemplate + RulerTemplates.NiahAnswerPrefix;
                string type = typeV;
                if (t.NumQueries * t.NumValues == 1)
                {
                    template = template.Replace("Some", "A").Replace("are all", "is").Replace("are", "is").Replace("answers", "answer");
                    type = type[..^1];
                }
                return (RulerTemplates.Format(template, ("type_needle_v", type), ("context", context), ("query", query)), answers);
            }

            int incremental = t.Haystack == HaystackKind.Essay ? 500 : 25;
            if (t.Haystack != HaystackKind.Essay && ctx.MaxSeqLength < 4096) incremental = 5;
            int size = ctx.SearchSize(n => Make(n).Item1, incremental, incremental,
                                      tph => (int)(ctx.MaxSeqLength / tph * 3), t.TokensToGenerate, incremental);
            var samples = new List<RulerSample>(numSamples);
            for (int index = 0; index < numSamples; index++)
            {
                var (text, answer, length) = ctx.Fit(Make, size, incremental);
                samples.Add(ctx.Finish(index, text, answer, length, RulerTemplates.NiahAnswerPrefix));
            }
            return samples;
        }
    }

    private static class VariableTracking
    {
        private const string Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

        public static List<RulerSample> Generate(VariableTrackingTask t, Ctx ctx, int numSamples)
        {
            var rng = ctx.Rng;
            string fullTemplate = RulerTemplates.VtTemplate + RulerTemplates.VtAnswerPrefix;

            int Hops(bool isIcl) => isIcl ? Math.Min(10, t.NumHops) : t.NumHops;

            (string, List<string>) Make(int numNoises, bool isIcl)
            {
                int k = isIcl ? 3 : 5;
                int hops = Hops(isIcl);
                int needed = (hops + 1) * t.NumChains;
                var vars = DistinctDraws(needed, () => rng.Letters(Upper, k));
                var chainVars = new List<List<string>>();
                var chains = new List<List<string>>();
                for (int i = 0; i < vars.Count; i += hops + 1)
                {
                    var these = vars.Skip(i).Take(hops + 1).ToList();
                    chainVars.Add(these);
                    // np.random.randint(10000, 99999): the upper end is excluded
                    var chain = new List<string> { isIcl ? $"VAR {these[0]} = 12345" : $"VAR {these[0]} = {rng.RandInt(10000, 99998)}" };
                    for (int j = 0; j < hops; j++) chain.Add($"VAR {these[j + 1]} = VAR {these[j]} ");
                    chains.Add(chain);
                }
                string value = chains[0][0].Split('=')[^1].Trim();
                var sentences = Enumerable.Repeat(RulerTemplates.NoiseHaystack, numNoises).ToList();
                foreach (var chain in chains)
                {
                    var positions = rng.SampleRange(sentences.Count, chain.Count).Order().ToList();
                    for (int j = 0; j < chain.Count; j++) sentences.Insert(positions[j] + j, chain[j]);
                }
                string context = string.Join('\n', sentences).Replace(". \n", ".\n");
                string text = RulerTemplates.Format(fullTemplate, ("context", context), ("query", value),
                                                    ("num_v", (hops + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)));
                return (text, chainVars[0]);
            }

            // The one-shot example: a chain of 3-letter variables over value 12345 in a prompt of at most 500
            // tokens (the reference's first call, with nothing to generate), answered by its variables.
            var iclCtx = new Ctx(t with { TokensToGenerate = 0 }, 500, ctx.Seed, ctx.Tokenizer, ctx.Inputs, $"{t.Name} one-shot example (500 tokens at most, as in the reference)");
            int iclSize = SearchWith(iclCtx, n => Make(n, true).Item1, 5, 0);
            // a chain's lines go between noise sentences at distinct places: fewer sentences than lines cannot be drawn
            var (iclText, iclAnswer, _) = iclCtx.Fit(n => Make(n, true), iclSize, 5, smallest: Hops(true) + 1);
            string icl = iclText + " " + string.Join(' ', iclAnswer) + "\n";
            int exampleTokens = ctx.Count(icl);

            string RandomizeIcl(string example)
            {
                var targets = PyCompat.Strip(example).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[^(t.NumHops + 1)..];
                foreach (var item in targets) example = example.Replace(item, rng.Letters(Upper, item.Length));
                return example.Replace("12345", rng.RandInt(10000, 99998).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            int incremental = ctx.MaxSeqLength < 4096 ? 5 : 10;
            int size = SearchWith(ctx, n => Make(n, false).Item1, incremental, exampleTokens + t.TokensToGenerate);
            var samples = new List<RulerSample>(numSamples);
            for (int index = 0; index < numSamples; index++)
            {
                var (text, answer, length) = ctx.Fit(n =>
                {
                    var (input, vars) = Make(n, false);
                    // the example goes before the task template (at its start, with no chat template)
                    return (RandomizeIcl(icl) + "\n" + input, vars);
                }, size, incremental, smallest: Hops(false) + 1);
                samples.Add(ctx.Finish(index, text, answer, length, RulerTemplates.VtAnswerPrefix));
            }
            return samples;
        }

        private static int SearchWith(Ctx ctx, Func<int, string> make, int incremental, int extraTokens) =>
            ctx.SearchSize(make, incremental, incremental, tph => (int)(ctx.MaxSeqLength / tph * 3), extraTokens, incremental);
    }

    private static class CommonWords
    {
        public static List<RulerSample> Generate(CommonWordsTask t, Ctx ctx, int numSamples)
        {
            var rng = ctx.Rng;
            var lists = WordLists.Instance;
            var words = lists.Nouns.Concat(lists.Adjectives).Concat(lists.Verbs).Distinct().Order(StringComparer.Ordinal).ToList();
            new EvalRandom(ctx.Seed).Shuffle(words);
            string template = RulerTemplates.CweTemplate + RulerTemplates.CweAnswerPrefix;

            (string Context, List<string> Common) Example(int numWords, int commonRepeats, int uncommonRepeats)
            {
                IReadOnlyList<string> source = numWords <= words.Count ? words : lists.English;
                if (numWords > source.Count)
                    throw new UserInputException($"cwe: {numWords} distinct words needed at length {ctx.MaxSeqLength}, the word lists hold {source.Count}");
                var full = rng.Sample(source, numWords);
                var common = full.Take(t.NumCommon).ToList();
                var list = new List<string>(common.Count * commonRepeats + (full.Count - common.Count) * uncommonRepeats);
                for (int r = 0; r < commonRepeats; r++) list.AddRange(common);
                for (int r = 0; r < uncommonRepeats; r++) list.AddRange(full.Skip(t.NumCommon));
                new EvalRandom(ctx.Seed).Shuffle(list);
                return (Numbered(list), common);
            }

            (string, List<string>) Make(int numWords)
            {
                bool shortContext = ctx.MaxSeqLength < 4096;
                var (exContext, exAnswer) = shortContext ? Example(20, 3, 1) : Example(40, 10, 3);
                var (context, answer) = shortContext ? Example(numWords, 6, 1) : Example(numWords, t.FreqCommon, t.FreqUncommon);
                string fewShot = RulerTemplates.Format(template, ("context", exContext)) + " " + Numbered(exAnswer);
                return (fewShot + "\n" + RulerTemplates.Format(template, ("context", context)), answer);
            }

            const int incremental = 10;
            int size = ctx.SearchSize(n => Make(n).Item1, 4096, incremental,
                                      tpw => (int)Math.Floor(ctx.MaxSeqLength / tpw) * 2, t.TokensToGenerate, incremental);
            var samples = new List<RulerSample>(numSamples);
            for (int index = 0; index < numSamples; index++)
            {
                var (text, answer, length) = ctx.Fit(Make, size, incremental);
                samples.Add(ctx.Finish(index, text, answer, length, RulerTemplates.CweAnswerPrefix));
            }
            return samples;
        }

        private static string Numbered(IReadOnlyList<string> words)
        {
            var sb = new System.Text.StringBuilder(words.Count * 12);
            for (int i = 0; i < words.Count; i++)
            {
                if (i > 0) sb.Append(' ');
                sb.Append(i + 1).Append(". ").Append(words[i]);
            }
            return sb.ToString();
        }
    }

    private static class FrequentWords
    {
        private const int CodedWordLength = 6;

        public static List<RulerSample> Generate(FrequentWordsTask t, Ctx ctx, int numSamples)
        {
            var rng = ctx.Rng;
            int maxLen = ctx.MaxSeqLength - t.TokensToGenerate;
            int vocabSize = maxLen / 50;
            int incremental = maxLen / 32;
            double zeta = Zeta(t.Alpha);
            string template = RulerTemplates.FweTemplate + RulerTemplates.FweAnswerPrefix;

            (string Text, List<string> Answer, int NumWords) Make(int numWords)
            {
                var vocab = DistinctDraws(vocabSize, () => rng.Letters("abcdefghijklmnopqrstuvwxyz", CodedWordLength));
                vocab.Sort(StringComparer.Ordinal);
                new EvalRandom(ctx.Seed).Shuffle(vocab);
                vocab[0] = "..."; // the top-ranked word is noise

                (string, List<string>) Text(int n)
                {
                    var sampled = new List<string>();
                    for (int k = 1; k <= vocab.Count; k++)
                    {
                        int count = (int)(n * Math.Pow(k, -t.Alpha) / zeta);
                        for (int c = 0; c < count; c++) sampled.Add(vocab[k - 1]);
                    }
                    new EvalRandom(ctx.Seed).Shuffle(sampled);
                    return (RulerTemplates.Format(template, ("context", string.Join(' ', sampled))), vocab.GetRange(1, 3));
                }

                if (numWords > 0)
                {
                    var (text, _) = Text(numWords);
                    while (ctx.Count(text) > maxLen)
                    {
                        numWords -= incremental;
                        if (numWords <= 0) throw TooShort($"fwe: no sample fits in {ctx.MaxSeqLength} tokens");
                        (text, _) = Text(numWords);
                    }
                }
                else
                {
                    numWords = maxLen / CodedWordLength;
                    var (text, _) = Text(numWords);
                    while (ctx.Count(text) < maxLen)
                    {
                        numWords += incremental;
                        (text, _) = Text(numWords);
                    }
                    numWords -= incremental;
                }
                var (final, answer) = Text(numWords);
                return (final, answer, numWords);
            }

            if (incremental < 1 || vocabSize < 4) throw TooShort($"fwe: length {ctx.MaxSeqLength} is too small for this task");
            int words = Make(-1).NumWords;
            var samples = new List<RulerSample>(numSamples);
            for (int index = 0; index < numSamples; index++)
            {
                var (text, answer, _) = Make(words);
                int length = ctx.Count(text) + t.TokensToGenerate;
                samples.Add(ctx.Finish(index, text, answer, length, RulerTemplates.FweAnswerPrefix));
            }
            return samples;
        }

        /// <summary>Riemann zeta for s &gt; 1 (scipy.special.zeta), by Euler-Maclaurin summation.</summary>
        internal static double Zeta(double s)
        {
            const int n = 1000;
            double sum = 0;
            for (int k = 1; k < n; k++) sum += Math.Pow(k, -s);
            return sum + Math.Pow(n, 1 - s) / (s - 1) + 0.5 * Math.Pow(n, -s) + s * Math.Pow(n, -s - 1) / 12
                   - s * (s + 1) * (s + 2) * Math.Pow(n, -s - 3) / 720;
        }
    }

    private static class Qa
    {
        public static List<RulerSample> Generate(QaTask t, Ctx ctx, int numSamples)
        {
            var data = (t.Dataset == QaDataset.Squad ? ctx.Inputs.Squad : ctx.Inputs.HotpotQa)
                       ?? throw new UserInputException($"{t.Name}: no {(t.Dataset == QaDataset.Squad ? "SQuAD" : "HotpotQA")} file given");
            if (numSamples > data.Questions.Count)
                throw new UserInputException($"{data.Source}: {numSamples} samples asked for {t.Name}, the file has {data.Questions.Count} usable questions");
            var rng = ctx.Rng;
            var docs = data.Documents;
            string template = RulerTemplates.QaTemplate + RulerTemplates.QaAnswerPrefix;

            (string, IReadOnlyList<string>) Make(int index, int numDocs)
            {
                var q = data.Questions[index];
                List<int> chosen;
                if (numDocs < docs.Count)
                {
                    if (numDocs - q.Context.Count > q.MoreContext.Count)
                    {
                        var used = new HashSet<int>(q.Context.Concat(q.MoreContext));
                        var addition = Enumerable.Range(0, docs.Count).Where(i => !used.Contains(i)).ToList();
                        chosen = [.. q.Context, .. q.MoreContext, .. rng.Sample(addition, Math.Max(0, numDocs - q.Context.Count - q.MoreContext.Count))];
                    }
                    else
                    {
                        chosen = [.. q.Context, .. rng.Sample(q.MoreContext, Math.Max(0, numDocs - q.Context.Count))];
                    }
                }
                else
                {
                    chosen = Enumerable.Range(0, numDocs).Select(i => i % docs.Count).ToList();
                }
                var all = chosen.Select(i => docs[i]).ToList();
                new EvalRandom(ctx.Seed).Shuffle(all);
                string context = string.Join("\n\n", all.Select((d, i) =>
                    RulerTemplates.Format(RulerTemplates.DocumentPrompt, ("i", (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)), ("document", d))));
                return (RulerTemplates.Format(template, ("context", context), ("query", q.Query)), q.Outputs);
            }

            const int incremental = 10;
            int size = ctx.SearchSize(n => Make(0, n).Item1, incremental, incremental,
                                      tpd => (int)(ctx.MaxSeqLength / tpd * 3), t.TokensToGenerate, incremental);
            var samples = new List<RulerSample>(numSamples);
            for (int index = 0; index < numSamples; index++)
            {
                int i = index;
                var (text, answer, length) = ctx.Fit(n => Make(i, n), size, incremental);
                samples.Add(ctx.Finish(index, text, answer, length, RulerTemplates.QaAnswerPrefix));
            }
            return samples;
        }
    }
}
