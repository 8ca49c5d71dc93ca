namespace EntropyLong.Core;

/// <summary>One step of a build over a block of documents (datatrove's PipelineStep, over blocks: verification groups
/// the (document, chunk) pairs of a whole block). Steps run in the order <see cref="BuildSteps"/> composes them.</summary>
public interface IBuildStep
{
    /// <summary>The step's key in stats.json's "seconds".</summary>
    string Name { get; }

    void Run(BuildBlock block, CancellationToken cancellationToken);
}

/// <summary>The documents a step works on together, the build's counters, and a sink for progress inside the block
/// (the fraction of the block's slowest work done).</summary>
public sealed class BuildBlock(IReadOnlyList<BuildDocument> documents, BuildStats stats, Action<double>? progress = null)
{
    public IReadOnlyList<BuildDocument> Documents { get; } = documents;
    public BuildStats Stats { get; } = stats;
    public void ReportProgress(double fraction) => progress?.Invoke(fraction);

    /// <summary>The documents no step has ruled out yet.</summary>
    public IEnumerable<BuildDocument> Active => Documents.Where(d => !d.Skipped);
}
