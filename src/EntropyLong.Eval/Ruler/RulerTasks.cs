namespace EntropyLong.Eval.Ruler;

public enum HaystackKind { Noise, Essay, Needle }

public enum NeedleKind { Numbers, Words, Uuids }

public enum QaDataset { Squad, HotpotQa }

/// <summary>How a task's predictions are scored (scripts/eval/synthetic/constants.py).</summary>
public enum RulerMetric { StringMatchAll, StringMatchPart }

/// <summary>One of the 13 RULER tasks with its arguments from the reference's synthetic.yaml.</summary>
public abstract record RulerTask(string Name, int TokensToGenerate, RulerMetric Metric);

public sealed record NiahTask(string Name, HaystackKind Haystack, NeedleKind Keys, NeedleKind Values, int NumKeys, int NumValues, int NumQueries)
    : RulerTask(Name, 128, RulerMetric.StringMatchAll);

public sealed record VariableTrackingTask(string Name, int NumChains, int NumHops)
    : RulerTask(Name, 30, RulerMetric.StringMatchAll);

public sealed record CommonWordsTask(string Name, int FreqCommon, int FreqUncommon, int NumCommon)
    : RulerTask(Name, 120, RulerMetric.StringMatchAll);

public sealed record FrequentWordsTask(string Name, double Alpha)
    : RulerTask(Name, 50, RulerMetric.StringMatchAll);

public sealed record QaTask(string Name, QaDataset Dataset)
    : RulerTask(Name, 32, RulerMetric.StringMatchPart);

public static class RulerTasks
{
    /// <summary>The 13 tasks in the reference's order (scripts/config_tasks.sh).</summary>
    public static readonly IReadOnlyList<RulerTask> All =
    [
        new NiahTask("niah_single_1", HaystackKind.Noise, NeedleKind.Words, NeedleKind.Numbers, 1, 1, 1),
        new NiahTask("niah_single_2", HaystackKind.Essay, NeedleKind.Words, NeedleKind.Numbers, 1, 1, 1),
        new NiahTask("niah_single_3", HaystackKind.Essay, NeedleKind.Words, NeedleKind.Uuids, 1, 1, 1),
        new NiahTask("niah_multikey_1", HaystackKind.Essay, NeedleKind.Words, NeedleKind.Numbers, 4, 1, 1),
        new NiahTask("niah_multikey_2", HaystackKind.Needle, NeedleKind.Words, NeedleKind.Numbers, 1, 1, 1),
        new NiahTask("niah_multikey_3", HaystackKind.Needle, NeedleKind.Uuids, NeedleKind.Uuids, 1, 1, 1),
        new NiahTask("niah_multivalue", HaystackKind.Essay, NeedleKind.Words, NeedleKind.Numbers, 1, 4, 1),
        new NiahTask("niah_multiquery", HaystackKind.Essay, NeedleKind.Words, NeedleKind.Numbers, 1, 1, 4),
        new VariableTrackingTask("vt", 1, 4),
        new CommonWordsTask("cwe", 30, 3, 10),
        new FrequentWordsTask("fwe", 2.0),
        new QaTask("qa_1", QaDataset.Squad),
        new QaTask("qa_2", QaDataset.HotpotQa),
    ];

    public static RulerTask? Find(string name) => All.FirstOrDefault(t => t.Name == name);

    public static bool UsesEssay(RulerTask t) => t is NiahTask { Haystack: HaystackKind.Essay };
}
