using EntropyLong.Core;
using EntropyLong.Data;
using EntropyLong.Llm;
using EntropyLong.Llm.Training;
using EntropyLong.Report;

namespace EntropyLong.Cli;

/// <summary>The packed sequences of a finished build folder as the model's tokens: its mds/ when those are the model's
/// tokens, else its sequences.jsonl with each sample's text tokenized by the model's vocabulary (BOS first, as a
/// build's training tokenizer writes a sample).</summary>
internal static class BuildSequences
{
    /// <summary>The sequences (read lazily) and the file they come from.</summary>
    public static (IEnumerable<TokenSequence> Sequences, string Source) Open(string buildDir, LlamaVocabulary vocabulary, Action<string> say)
    {
        var files = new BuildFiles(buildDir);
        string mds = Path.Combine(buildDir, BuildFolder.Mds);
        if (!File.Exists(Path.Combine(mds, MdsWriter.IndexFile))) return (FromJsonl(files, vocabulary), files.SequencesPath);
        // mds/ holds the build's training tokenizer's tokens, which need not be this model's: compare the first sequence
        // with its text tokenized here.
        var fromMds = MdsReader.Read(mds).FirstOrDefault();
        var fromText = FromJsonl(files, vocabulary).FirstOrDefault();
        if (fromMds is null || fromText is null) throw new UserInputException($"{buildDir}: the build holds no sequences");
        int differsAt = fromText.Tokens.AsSpan().CommonPrefixLength(fromMds.InputIds.Select(id => (int)Math.Min(id, int.MaxValue)).ToArray());
        if (differsAt == fromText.Tokens.Length && differsAt == fromMds.InputIds.Length) return (FromMds(mds, vocabulary.Count), mds);
        say($"note: {mds} holds another tokenizer's tokens (its first sequence differs from {Path.GetFileName(files.SequencesPath)} " +
            $"tokenized by this model at token {differsAt}); training on {files.SequencesPath}, tokenized by the model's vocabulary");
        return (FromJsonl(files, vocabulary), files.SequencesPath);
    }

    private static IEnumerable<TokenSequence> FromMds(string mds, int vocabularySize)
    {
        long index = 0;
        foreach (var sample in MdsReader.Read(mds))
        {
            var tokens = new int[sample.InputIds.Length];
            for (int i = 0; i < tokens.Length; i++)
            {
                if (sample.InputIds[i] >= (uint)vocabularySize)
                    throw new UserInputException($"{sample.Source}: token id {sample.InputIds[i]} is outside the model's vocabulary of {vocabularySize} tokens");
                tokens[i] = (int)sample.InputIds[i];
            }
            // Without an indices column the whole sequence is one document (as ProLong reads it).
            var spans = sample.Indices ?? [(0, tokens.Length)];
            if (CheckSpans(spans, tokens.Length) is { } problem) throw new UserInputException($"{sample.Source}: indices {problem}");
            yield return new TokenSequence(index++, tokens, spans);
        }
    }

    private static IEnumerable<TokenSequence> FromJsonl(BuildFiles files, LlamaVocabulary vocabulary)
    {
        string path = files.SequencesPath;
        foreach (var (line, record) in files.ReadSequences())
        {
            var tokens = new List<int>();
            var spans = new List<(int, int)>();
            int previousEnd = 0;
            foreach (var sample in record.Samples)
            {
                // start_char/end_char are UTF-16 offsets into text, as the build writes them.
                var (start, end) = (sample.StartChar, sample.EndChar);
                if (start < previousEnd || end < start || end > record.Text.Length)
                    throw new UserInputException($"{path}:{line}: sample characters [{start}, {end}) are out of order or outside the text's {record.Text.Length}");
                previousEnd = end;
                var sampleTokens = vocabulary.TokenizeWithBos(record.Text[start..end]);
                if (sampleTokens.Length == 0) continue;
                spans.Add((tokens.Count, tokens.Count + sampleTokens.Length));
                tokens.AddRange(sampleTokens);
            }
            yield return new TokenSequence(record.Index, tokens.ToArray(), spans.ToArray());
        }
    }

    /// <summary>What is wrong with packed-sample ranges, or null: each must be non-empty, inside the sequence, after the previous one.</summary>
    private static string? CheckSpans((int Start, int End)[] spans, int length)
    {
        int previousEnd = 0;
        foreach (var (start, end) in spans)
        {
            if (start < previousEnd || end <= start || end > length)
                return $"[{start}, {end}) is empty, overlaps the previous range or lies outside the {length} tokens";
            previousEnd = end;
        }
        return null;
    }
}
