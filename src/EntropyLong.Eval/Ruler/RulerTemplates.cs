namespace EntropyLong.Eval.Ruler;

/// <summary>The RULER task templates and answer prefixes, verbatim from the reference
/// (scripts/data/synthetic/constants.py). Base models get template + answer prefix, no chat template.</summary>
public static class RulerTemplates
{
    public const string NiahTemplate = "Some special magic {type_needle_v} are hidden within the following text. Make sure to memorize it. I will quiz you about the {type_needle_v} afterwards.\n{context}\nWhat are all the special magic {type_needle_v} for {query} mentioned in the provided text?";
    public const string NiahAnswerPrefix = " The special magic {type_needle_v} for {query} mentioned in the provided text are";

    public const string VtTemplate = "Memorize and track the chain(s) of variable assignment hidden in the following text.\n\n{context}\nQuestion: Find all variables that are assigned the value {query} in the text above.";
    public const string VtAnswerPrefix = " Answer: According to the chain(s) of variable assignment in the text above, {num_v} variables are assigned the value {query}, they are: ";

    public const string CweTemplate = "Below is a numbered list of words. In these words, some appear more often than others. Memorize the ones that appear most often.\n{context}\nQuestion: What are the 10 most common words in the above list?";
    public const string CweAnswerPrefix = " Answer: The top 10 words that appear most often in the list are:";

    public const string FweTemplate = "Read the following coded text and track the frequency of each coded word. Find the three most frequently appeared coded words. {context}\nQuestion: Do not provide any explanation. Please ignore the dots '....'. What are the three most frequently appeared words in the above coded text?";
    public const string FweAnswerPrefix = " Answer: According to the coded text above, the three most frequently appeared words are:";

    public const string QaTemplate = "Answer the question based on the given documents. Only give me the answer and do not output any other words.\n\nThe following are given documents.\n\n{context}\n\nAnswer the question based on the given documents. Only give me the answer and do not output any other words.\n\nQuestion: {query}";
    public const string QaAnswerPrefix = " Answer:";

    /// <summary>The needle sentence of the niah tasks.</summary>
    public const string Needle = "One of the special magic {type_needle_v} for {key} is: {value}.";

    /// <summary>The noise haystack unit (niah_single_1, vt).</summary>
    public const string NoiseHaystack = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.";

    /// <summary>One document of the qa context.</summary>
    public const string DocumentPrompt = "Document {i}:\n{document}";

    /// <summary>Python <c>str.format</c> for these templates: each {name} replaced by its value in one pass
    /// (so braces inside a value are left alone, as there).</summary>
    public static string Format(string template, params (string Name, string Value)[] values)
    {
        var sb = new System.Text.StringBuilder(template.Length + values.Sum(v => v.Value.Length));
        int i = 0;
        while (i < template.Length)
        {
            int open = template.IndexOf('{', i);
            if (open < 0) { sb.Append(template, i, template.Length - i); break; }
            int close = template.IndexOf('}', open + 1);
            if (close < 0) throw new FormatException($"unclosed brace in template at {open}");
            sb.Append(template, i, open - i);
            var name = template.AsSpan(open + 1, close - open - 1);
            bool found = false;
            foreach (var (n, v) in values)
            {
                if (name.SequenceEqual(n)) { sb.Append(v); found = true; break; }
            }
            if (!found) throw new FormatException($"no value for {{{name}}} in template");
            i = close + 1;
        }
        return sb.ToString();
    }
}
