namespace EntropyLong.Core;

/// <summary>Stage 2: each document's adaptive threshold and its anchors (<see cref="Anchors.Select"/>).</summary>
public sealed class AnchorStep(EntropyLongOptions options) : IBuildStep
{
    public string Name => "anchors";

    public void Run(BuildBlock block, CancellationToken cancellationToken)
    {
        foreach (var d in block.Active)
            (d.Threshold, d.Anchors) = options.WordEntropy
                ? Anchors.SelectWords(d.Entropy, d.Pieces, options.Alpha, options.MaxAnchorsPerDocument, options.SkipFirstTokens)
                : Anchors.Select(d.Entropy, options.Alpha, options.MaxAnchorsPerDocument, options.SkipFirstTokens);
    }
}
