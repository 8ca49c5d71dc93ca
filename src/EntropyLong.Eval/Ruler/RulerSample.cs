using System.Text.Json.Nodes;

namespace EntropyLong.Eval.Ruler;

/// <summary>One line of a RULER sample or prediction file, in the reference layout: <c>index</c>, <c>input</c>
/// (the prompt without the answer prefix), <c>outputs</c> (the references), <c>length</c> (prompt tokens +
/// tokens to generate), <c>answer_prefix</c>; predictions add <c>pred</c>.</summary>
public sealed record RulerSample(int Index, string Input, IReadOnlyList<string> Outputs, int Length, string AnswerPrefix)
{
    /// <summary>What the model is given: input + answer prefix (as the reference's call_api.py does).</summary>
    public string Prompt => Input + AnswerPrefix;
}

/// <summary>A sample with the model's answer.</summary>
public sealed record RulerPrediction(RulerSample Sample, string Pred);
